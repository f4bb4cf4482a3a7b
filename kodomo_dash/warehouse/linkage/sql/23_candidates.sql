-- 23_candidates: every candidate of every pupil, in the order the rules read them: exact matches
-- first, then by weight (the resident id only breaks ties).
select student_no, resident_id, match_probability, match_weight, is_exact, is_map
from link.candidate_pair
order by student_no, is_exact desc, match_weight desc, resident_id;
