-- 26_map_claims: the children the 対応表 links, for the rule that one child claimed by two school
-- records goes to review.
select student_no, resident_id
from _kd_map_clean
order by 1;
