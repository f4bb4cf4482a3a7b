-- 41_cohorts_school_children: Izumi's cohort (grades 1-9; the query picks the model schools).
-- Izumi: school-age children (grade 1–9); the query picks the model schools with
-- `where list_contains($school_codes, school_code)`.
create or replace view cohorts.school_children as
with

children as (select * from features.child_features),

final as (
    select * from children where grade is not null
)

select * from final;
