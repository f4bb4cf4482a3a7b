-- 13_school_age_absent: 13_school_age when the city delivers no 学齢簿: the same table, empty.
create or replace temp table _kd_school_age (resident_id varchar, school_code varchar, grade integer);
