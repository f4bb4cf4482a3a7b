-- 02_roster_all: every distinct school record as the roster delivers it, with a student number
-- or without one (those end in link.unlinked as missing_student_no).
create or replace temp table _kd_roster_all as
select distinct
    student_no, school_code, grade, class_name, name_kanji, name_kana, birth_date, sex,
    address_text, address_code, guardian_name, entry_date
from stg.student_roster;
