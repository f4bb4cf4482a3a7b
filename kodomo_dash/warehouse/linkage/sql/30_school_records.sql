-- 30_school_records: the school records the step summary starts from: one per student number,
-- plus every record without one.
select
    (select count(*) from _kd_unit)
    + (select count(*) from _kd_roster_all where student_no is null);
