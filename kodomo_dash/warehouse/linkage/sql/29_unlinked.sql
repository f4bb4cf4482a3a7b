-- 29_unlinked: every school record not linked, with its reason: the rules' verdicts (_kd_unlinked),
-- then the numbers carried by two children and the records without a number.
create or replace table link.unlinked as
select u.student_no, u.reason, x.school_code, x.grade, u.best_resident_id, u.best_probability
from _kd_unlinked u
join _kd_unit x using (student_no)
union all
select student_no, 'duplicate_student_no', school_code, grade, null, null
from _kd_unit
where n_people > 1
union all
select null, 'missing_student_no', school_code, grade, null, null
from _kd_roster_all
where student_no is null
order by student_no nulls last, school_code, grade;
