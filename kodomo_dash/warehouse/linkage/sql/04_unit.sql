-- 04_unit: the school side's units, one per student number, with its current school and grade.
-- n_people counts the different children carrying the number (name, birth date or sex differ):
-- more than one makes the number unusable (duplicate_student_no).
create or replace temp table _kd_unit as
select r.student_no, a.n_rows, a.n_people, r.school_code, r.grade
from (
    select student_no, count(*) as n_rows, count(distinct (name_kana, birth_date, sex)) as n_people
    from _kd_roster_all
    where student_no is not null
    group by student_no
) a
join _kd_roster r using (student_no);
