-- 16_map_conflict: student numbers the 対応表 pairs but does not settle (a number with two
-- children, or a child with two numbers): they go to review as map_conflict.
select distinct student_no
from _kd_map_pair
anti join _kd_map_clean using (student_no);
