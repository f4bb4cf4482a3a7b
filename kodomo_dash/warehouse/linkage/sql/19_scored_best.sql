-- 19_scored_best: on Splink's own connection, the nearest registry child of every pupil Splink
-- scored, kept or not: it tells 'rejected' (a candidate, too weak) from 'no_candidate'.
select
    student_no,
    arg_max(resident_id, (match_weight, resident_id)) as resident_id,
    max(match_probability) as match_probability
from scored
group by student_no;
