-- 40_cohorts_fukuoka_unenrolled_3_6: who is screened in Fukuoka; the cohorts schema starts here.
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
