-- 01_child_change: what is new per child since the build being served (attached as prev): every
-- fact of core.child_event this build holds that the previous one did not (a move, a check-up
-- result, a missed check-up, an allowance, a consultation, an enrolment, a month of absence), and
-- every child of the previous build who is gone from the registry altogether. Parameters: this
-- build's id and as-of, then the previous build's id and as-of (decision 066).
create or replace table core.child_change as
with
new_facts as (
    select e.resident_id, e.kind, e.event_date, e.code, e.value, e.source, e.event_key
    from core.child_event e
    anti join prev.core.child_event p using (event_key)
),
left_registry as (
    select
        p.resident_id, 'left_registry' as kind, null::date as event_date, null::varchar as code,
        null::double as value, 'resident_registry' as source,
        md5(p.resident_id || '|left_registry') as event_key
    from prev.core.person p
    where p.age_years between 0 and 17
      and not exists (select 1 from core.person c where c.resident_id = p.resident_id)
)
select
    ?::varchar as build_id,
    ?::date as as_of,
    ?::varchar as previous_build_id,
    ?::date as previous_as_of,
    f.*
from (select * from new_facts union all select * from left_registry) f
order by resident_id, kind, event_date nulls last;
