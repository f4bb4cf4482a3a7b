-- 42_cohorts_all_children: Beppu's cohort, every child.
-- Beppu: every child.
create or replace view cohorts.all_children as
with

final as (select * from features.child_features)

select * from final;
