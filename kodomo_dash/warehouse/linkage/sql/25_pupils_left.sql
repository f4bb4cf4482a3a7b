-- 25_pupils_left: the pupils the rules decide on, in order: everyone the 対応表 did not settle.
select unique_id
from _kd_pupil_rest
order by 1;
