-- 13_school_age: the school and grade the 学齢簿 gives a registry child, shown beside the
-- registry side on the review page.
create or replace temp table _kd_school_age as
select resident_id, any_value(school_code) as school_code, any_value(grade) as grade
from stg.school_age_register
where resident_id is not null
group by 1;
