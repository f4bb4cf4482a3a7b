-- 14_map_clean: the 対応表 pairs that settle a pupil: the student number has one child and the
-- child one student number. The rest are map_conflict (16_map_conflict).
create or replace temp table _kd_map_clean as
select student_no, resident_id
from (
    select
        *,
        count(*) over (partition by student_no) as per_student,
        count(*) over (partition by resident_id) as per_resident
    from _kd_map_pair
)
where per_student = 1 and per_resident = 1;
