-- 03_roster: one school record per student number. Copies of one child under one number (a stale
-- row left at the previous school) collapse to the current row: the one with a class, then the
-- latest entry; the remaining columns only make the choice deterministic.
create or replace temp table _kd_roster as
select *
from _kd_roster_all
where student_no is not null
qualify row_number() over (
    partition by student_no
    order by class_name is null, entry_date desc nulls last, school_code, grade, address_code, name_kana, birth_date
) = 1;
