-- 22_declined: the pairs a person declined (not_same).
select student_no, resident_id
from _kd_decision
where decision = 'not_same';
