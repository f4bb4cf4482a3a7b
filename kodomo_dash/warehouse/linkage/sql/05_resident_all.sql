-- 05_resident_all: the registry side, one row per 宛名番号, with the school year each person
-- enters first grade. For a registry with no duplicated number; 05_resident_all_deduplicated
-- builds the same table when there is one (its window costs a sort, so it runs only then).
create or replace temp table _kd_resident_all as
select
    resident_id, household_id, relationship, name_kanji, name_kana, birth_date, sex, alias_name,
    address_text, address_code, moved_in_date, moved_out_date,
    first_grade_year(birth_date) as entry_year  -- config/calendar.py
from stg.resident_registry
where resident_id is not null;
