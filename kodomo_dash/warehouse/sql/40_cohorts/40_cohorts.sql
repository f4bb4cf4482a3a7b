-- 40_cohorts: who is screened (cohorts) and who is taken off before a list (exclusions).
-- Reproduces the 母集団 of 図表 6-1 / 7-3 (3歳から6歳の未就園児, 1,327 in FY2025), Izumi's model-school
-- children and Beppu's all children. The pandas twins live in kodomo_dash/screening/cohorts.py and
-- tests/screening/test_cohorts.py checks the two agree. The as-of date comes from meta.build_info.
create schema if not exists cohorts;

-- Fukuoka: preschoolers aged 3–6 in no nursery of any kind (licensed and unlicensed count as
-- enrolled: Amagasaki's trap); first-graders count as preschoolers in April–September.
create or replace view cohorts.fukuoka_unenrolled_3_6 as
with

build as (select as_of from meta.build_info),

children as (select * from features.child_features),

final as (
    select children.*
    from children
    cross join build
    -- school year from the registry (class_age: 6 = first grade), not from school records,
    -- which can be missing or quarantined for a pupil
    where (coalesce(children.enrolled_any, 0) = 0
           and children.class_age <= 5 and children.age_years between 3 and 6)
       -- a first-grader who moved in after 31 March has enrolled_any NULL: unknown, not unenrolled
       or (children.enrolled_any = 0 and children.class_age = 6 and month(build.as_of) between 4 and 9)
)

select * from final;

-- Izumi: school-age children (grade 1–9); the query picks the model schools with
-- `where list_contains($school_codes, school_code)`.
create or replace view cohorts.school_children as
with

children as (select * from features.child_features),

final as (
    select * from children where grade is not null
)

select * from final;

-- Beppu: every child.
create or replace view cohorts.all_children as
with

final as (select * from features.child_features)

select * from final;

-- Exclusion reasons, one row per (child, reason). moved_out is found when a saved list is
-- checked against a newer build (a listed child no longer in features.child_features).
create or replace view cohorts.exclusion_reason as
with

children as (select * from features.child_features),

already_in_support as (
    select resident_id, 'already_in_support' as reason
    from children
    where coalesce(yotaikyo_open, 0) = 1 or coalesce(open_consultation, 0) = 1
),

enrolled as (
    select resident_id, 'enrolled' as reason
    from children
    where coalesce(enrolled_any, 0) = 1
),

final as (
    select * from already_in_support
    union all
    select * from enrolled
)

select * from final;
