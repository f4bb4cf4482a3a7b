-- 01_child_change: what is new per child since the build being served (attached as prev): every
-- fact of core.child_event this build holds that the previous one did not (a move, a check-up
-- result, a missed check-up, an allowance, a consultation, an enrolment, a month of absence), and
-- every child of the previous build who is gone from the registry altogether; a child whose
-- registry household is another one now (a household that split, a child taken into a relative's
-- household: household_changed, the new household in code); and a child gone under one 宛名番号
-- and present under another with the same name (kana), birth date and sex — most likely renumbered
-- by the registry — recorded on both numbers as renumbered, the other number in code, so staff who
-- work with the old number find the new one and nothing kept under the old one is lost
-- (decision 069). Parameters: this build's id and as-of, then the previous build's id and as-of
-- (decision 066).
create or replace table core.child_change as
with
appeared as (  -- children under a number the previous build did not have
    select c.resident_id, c.birth_date, c.sex, c.name_kana
    from core.person c
    anti join prev.core.person x using (resident_id)
    where c.age_years between 0 and 17
),
vanished as (  -- people under a number this build no longer has
    select p.resident_id, p.birth_date, p.sex, p.name_kana
    from prev.core.person p
    anti join core.person y using (resident_id)
),
renumbered_pairs as (  -- one of each, alike in name (kana), birth date and sex, and no other alike
    select a.resident_id as new_id, v.resident_id as old_id
    from appeared a
    join vanished v using (birth_date, sex, name_kana)
    qualify count(*) over (partition by a.resident_id) = 1 and count(*) over (partition by v.resident_id) = 1
),
new_facts as (
    -- a renumbered child's facts that its old number already had are not new
    select e.resident_id, e.kind, e.event_date, e.code, e.value, e.source, e.event_key
    from core.child_event e
    anti join prev.core.child_event p using (event_key)
    where not exists (
        select 1 from renumbered_pairs r join prev.core.child_event o on o.resident_id = r.old_id
        where r.new_id = e.resident_id and o.kind = e.kind and o.source = e.source
          and o.event_date is not distinct from e.event_date and o.code is not distinct from e.code
    )
),
left_registry as (
    select
        p.resident_id, 'left_registry' as kind, null::date as event_date, null::varchar as code,
        null::double as value, 'resident_registry' as source,
        md5(p.resident_id || '|left_registry') as event_key
    from prev.core.person p
    where p.age_years between 0 and 17
      and not exists (select 1 from core.person c where c.resident_id = p.resident_id)
),
household_changed as (
    select
        c.resident_id, 'household_changed' as kind, null::date as event_date, c.household_id as code,
        null::double as value, 'resident_registry' as source,
        md5(c.resident_id || '|household|' || coalesce(p.household_id, '') || '>' || coalesce(c.household_id, ''))
            as event_key
    from core.person c
    join prev.core.person p using (resident_id)
    where c.age_years between 0 and 17 and c.household_id is distinct from p.household_id
),
renumbered as (
    select new_id as resident_id, 'renumbered' as kind, null::date as event_date, old_id as code,
           null::double as value, 'resident_registry' as source, md5(new_id || '|renumbered|' || old_id) as event_key
    from renumbered_pairs
    union all
    select old_id, 'renumbered', null::date, new_id, null::double, 'resident_registry',
           md5(old_id || '|renumbered|' || new_id)
    from renumbered_pairs
)
select
    ?::varchar as build_id,
    ?::date as as_of,
    ?::varchar as previous_build_id,
    ?::date as previous_as_of,
    f.*
from (
    select * from new_facts
    union all select * from left_registry
    union all select * from household_changed
    union all select * from renumbered
) f
order by resident_id, kind, event_date nulls last;
