-- 05_resident_all_deduplicated: 05_resident_all for a registry that carries a 宛名番号 twice:
-- the number keeps its current row (not moved out, then the latest move-in); the remaining
-- columns only make the choice deterministic.
create or replace temp table _kd_resident_all as
select
    resident_id, household_id, relationship, name_kanji, name_kana, birth_date, sex, alias_name,
    address_text, address_code, moved_in_date, moved_out_date,
    first_grade_year(birth_date) as entry_year  -- config/calendar.py
from stg.resident_registry
where resident_id is not null
qualify row_number() over (
    partition by resident_id
    order by moved_out_date nulls first, moved_in_date desc nulls last, household_id, name_kana, birth_date, name_kanji
) = 1;
