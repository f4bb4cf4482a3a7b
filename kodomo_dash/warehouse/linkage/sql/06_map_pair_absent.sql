-- 06_map_pair_absent: 06_map_pair when the city delivers no 対応表: the same table, empty.
create or replace temp table _kd_map_pair (student_no varchar, resident_id varchar);
