-- 24_nearest: the nearest registry child Splink found for each pupil (19_scored_best), unless a
-- person declined that pair: the best_resident_id of a 'rejected' pupil.
select b.student_no, b.resident_id, b.match_probability
from _kd_scored_best b
where not exists (
    select 1
    from _kd_decision d
    where d.student_no = b.student_no and d.resident_id = b.resident_id and d.decision = 'not_same'
);
