-- 17_decisions_known: the manual decisions whose school record and registry child are both still
-- in this build; the others are counted as ignored.
select d.student_no, d.resident_id
from _kd_decision d
join _kd_pupil_key p on p.unique_id = d.student_no
join _kd_resident_key r on r.unique_id = d.resident_id;
