-- 22_core_household: registry households of resident children, with the household facts the
-- screening uses (children, adults, single parent), counted from core.household_member.
-- Single parent (ひとり親): exactly one parent-generation adult, as Fukuoka judges it from the
-- registry composition (図表 3-1 kept this rule although it can miss the real situation).
create or replace table core.household as
with
members as (select * from core.household_member),
per_household as (
    select
        household_id,
        any_value(ward_code) as ward_code,
        any_value(address_code) as address_code,
        count(*) as n_members,
        count(*) filter (where age_years < 18) as n_children,
        count(*) filter (where age_years >= 18) as n_adults,
        bool_or(relationship = '7' and age_years < 18) as has_grandchildren,
        count(*) filter (where relationship in ('1', '2') and age_years >= 18) as n_head_couple,
        count(*) filter (where relationship = '3' and age_years >= 18) as n_adult_children
    from members
    group by household_id
),
final as (
    select
        household_id,
        ward_code,
        address_code,
        n_members,
        n_children,
        n_adults,
        case when has_grandchildren then n_adult_children else n_head_couple end as n_parents,
        (n_children > 0 and (case when has_grandchildren then n_adult_children else n_head_couple end) = 1)::int
            as single_parent
    from per_household
)
select * from final;
