-- 23_core_child: children aged 0-17 living in the city at the as-of date (Fukuoka serves
-- about 210,000 aged 0-15 in 7 wards). The unit every screening, card and funnel counts.
create or replace table core.child as
with
persons as (select * from core.person where is_resident and age_years between 0 and 17),
final as (
    select
        p.resident_id,
        p.household_id,
        p.name_kanji,
        p.name_kana,
        p.birth_date,
        p.sex,
        p.nationality,
        p.alias_name,
        p.address_text,
        p.address_code,
        p.ward_code,
        p.ward_name,
        p.age_years,
        p.age_months,
        p.class_age,
        case when p.class_age between 6 and 14 then p.class_age - 5 end as grade_expected
    from persons p
)
select * from final;
