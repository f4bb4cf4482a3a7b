-- 15_pupil_rest: every pupil the 対応表 did not settle; they go on to the exact and the
-- probabilistic pass.
create or replace temp table _kd_pupil_rest as
select p.*
from _kd_pupil_key p
anti join _kd_map_clean m on m.student_no = p.unique_id
order by p.unique_id;
