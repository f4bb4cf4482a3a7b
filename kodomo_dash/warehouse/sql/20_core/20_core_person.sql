-- 20_core_person: every person in the resident registry (住基), with ward name, age at the
-- as-of date, the school-year cohort and whether they still live in the city.
-- class_age follows the Japanese school year (config/calendar.py: born 2 April .. 1 April share a class):
-- 0..5 = preschool classes (3 = 3歳児クラス), 6 = first grade, ... 14 = ninth grade.
create or replace table core.person as
with
params as (
    select as_of, fiscal_year(as_of) as fiscal_year  -- config/calendar.py
    from meta.build_info
),
-- One row per 宛名番号 (decision 062): a number delivered twice keeps its current row (not moved
-- out, then the latest move-in), as 名寄せ does (linkage/sql/05_resident_all_deduplicated.sql); the
-- other rows stay in stg and in meta.quarantine as duplicate_key, for the data owner to settle.
registry as (
    select *
    from stg.resident_registry
    qualify row_number() over (
        partition by resident_id
        order by moved_out_date nulls first, moved_in_date desc nulls last, household_id, name_kana, birth_date, name_kanji
    ) = 1
),
wards as (
    select code as ward_code, label_ja as ward_name
    from meta.code_label where source = 'resident_registry' and column_name = 'ward_code'
),
final as (
    select
        ---------- ids
        r.resident_id,
        r.household_id,
        r.relationship,
        ---------- identity (four facts)
        r.name_kanji,
        r.name_kana,
        r.birth_date,
        r.sex,
        r.nationality,
        r.alias_name,
        r.address_text,
        r.address_code,
        r.ward_code,
        w.ward_name,
        ---------- age at as-of
        (year(p.as_of) - year(r.birth_date))
            - ((month(p.as_of) * 100 + day(p.as_of)) < (month(r.birth_date) * 100 + day(r.birth_date)))::int
            as age_years,
        date_diff('month', r.birth_date, p.as_of) - (day(p.as_of) < day(r.birth_date))::int as age_months,
        class_age(r.birth_date, p.as_of) as class_age,  -- config/calendar.py
        ---------- moves
        r.moved_in_date,
        r.moved_out_date,
        (r.moved_out_date is null or r.moved_out_date > p.as_of) as is_resident
    from registry r
    cross join params p
    left join wards w using (ward_code)
    where r.birth_date is not null
)
select * from final;

-- The card and the household view look one person, household or address up at a time (decision 069):
-- an index answers such an equality in well under a millisecond where a scan takes several.
create index core_person_resident_id on core.person (resident_id);
create index core_person_household_id on core.person (household_id);
create index core_person_address_code on core.person (address_code);
