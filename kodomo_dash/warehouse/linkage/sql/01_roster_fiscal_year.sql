-- 01_roster_fiscal_year: the school year the roster's grades refer to, as the commonest
-- (entry year + grade - 1). Pupils know their own birth date and grade, so on clean rows this is
-- one value and a few typos cannot move the mode. No row: the caller falls back to today's year.
select
    first_grade_year(birth_date) + grade - 1 as fy,  -- config/calendar.py
    count(*) as n
from stg.student_roster
where birth_date is not null and grade between 1 and 9
group by fy
order by n desc, fy desc
limit 1;
