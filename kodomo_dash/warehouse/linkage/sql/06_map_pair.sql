-- 06_map_pair: the 対応表's pairs whose student number is one child and whose 宛名番号 is in the
-- registry, less every pair a person declined (not_same). Conflicts are split off later
-- (14_map_clean).
create or replace temp table _kd_map_pair as
select distinct m.student_no, m.resident_id
from stg.student_resident_map m
join _kd_unit u on u.student_no = m.student_no and u.n_people = 1
join _kd_resident_all r on r.resident_id = m.resident_id
where not exists (
    select 1
    from _kd_decision d
    where d.student_no = m.student_no and d.resident_id = m.resident_id and d.decision = 'not_same'
);
