-- 27_student_link: every linked school record with its method: the clean 対応表 pairs (unless a
-- person linked the pupil otherwise) and the links the rules made (_kd_links).
create or replace table link.student_link as
select student_no, resident_id, method, match_probability, band
from (
    select
        m.student_no,
        m.resident_id,
        'map' as method,
        null::double as match_probability,
        'auto_link' as band
    from _kd_map_clean m
    anti join _kd_links x using (student_no)
    union all
    select *
    from _kd_links
)
order by student_no;
