-- 30_features_programme_flags: one row per child, one 0/1 flag per programme.
-- Participant-only systems hold rows only for participants; everyone else is completed
-- with 0 (「0：非該当」), as Fukuoka did, so every child has the same columns (2.3.2).
-- enrolled_any for a first-grader in April-September is their last preschool year (an
-- enrolment active on 31 March): Fukuoka treats them as preschoolers then (図表 3-1). A
-- first-grader who moved in after that day has no city record of that year: NULL (unknown).
create or replace table features.programme_flags as
with
params as (
    select as_of,
           make_date(fiscal_year(as_of), 3, 31) as preschool_end,  -- config/calendar.py
           month(as_of) between 4 and 9 as first_half
    from meta.build_info
),
children as (
    select c.resident_id, c.household_id, (c.class_age = 6 and p.first_half) as as_preschooler,
           coalesce(pe.moved_in_date > p.preschool_end, false) as moved_in_since
    from core.child c
    join core.person pe using (resident_id)
    cross join params p
),
active_pa as (
    select distinct m.household_id
    from stg.public_assistance pa
    join core.household_member m using (resident_id)
    cross join params p
    where pa.start_date <= p.as_of and (pa.end_date is null or pa.end_date > p.as_of)
),
cra as (select distinct child_resident_id as resident_id from stg.child_rearing_allowance where payment_class in ('1', '2')),
sca as (select distinct child_resident_id as resident_id from stg.special_child_allowance),
loans as (
    select distinct m.household_id
    from stg.single_parent_loan l
    join core.household_member m on m.resident_id = l.borrower_resident_id
),
subsidy_sp as (select distinct resident_id from stg.medical_subsidy where subsidy_type = '2'),
handbook as (select distinct resident_id from stg.disability_handbook),
service as (
    select distinct resident_id from stg.child_disability_service s cross join params p
    where s.start_date <= p.as_of and (s.end_date is null or s.end_date >= p.as_of)
),
enrolled as (
    select resident_id, max((licensed = '1')::int) as licensed
    from stg.nursery_enrolment n cross join params p
    where n.start_date <= p.as_of and (n.end_date is null or n.end_date >= p.as_of)
    group by resident_id
),
enrolled_last_preschool_day as (
    select resident_id, max((licensed = '1')::int) as licensed
    from stg.nursery_enrolment n cross join params p
    where n.start_date <= p.preschool_end and (n.end_date is null or n.end_date >= p.preschool_end)
    group by resident_id
),
aid as (
    select distinct resident_id from stg.school_expense_aid a cross join params p
    where a.fiscal_year = fiscal_year(p.as_of)
),
newborn as (select distinct resident_id from stg.newborn_visit where result = '1'),
final as (
    select
        c.resident_id,
        (c.household_id in (select household_id from active_pa))::int as public_assistance,
        (c.resident_id in (select resident_id from cra))::int as child_rearing_allowance,
        (c.resident_id in (select resident_id from sca))::int as special_child_allowance,
        (c.household_id in (select household_id from loans))::int as single_parent_loan,
        (c.resident_id in (select resident_id from subsidy_sp))::int as medical_subsidy_single_parent,
        (c.resident_id in (select resident_id from handbook))::int as disability_handbook,
        (c.resident_id in (select resident_id from service))::int as child_disability_service,
        case when c.as_preschooler and c.moved_in_since then null
             when c.as_preschooler then (ep.resident_id is not null)::int
             else (e.resident_id is not null)::int end as enrolled_any,
        coalesce(case when c.as_preschooler then ep.licensed else e.licensed end, 0) as enrolled_licensed,
        (c.resident_id in (select resident_id from aid))::int as school_expense_aid,
        (c.resident_id in (select resident_id from newborn))::int as newborn_visit_done
    from children c
    left join enrolled e using (resident_id)
    left join enrolled_last_preschool_day ep using (resident_id)
)
select * from final;

-- the card and the household view read a few people at a time (decision 069)
create index features_programme_flags_resident_id on features.programme_flags (resident_id);
