-- 10_kanji_spellings: every distinct kanji name on either side (pupils, guardians, registry
-- children, their 通称名 and their guardians), so normalise.name_strict runs once per spelling.
select distinct n
from (
    select name_kanji as n
    from _kd_roster
    union all
    select guardian_name
    from _kd_roster
    union all
    select a.name_kanji
    from _kd_resident_all a
    join _kd_resident_pick using (resident_id)
    union all
    select a.alias_name
    from _kd_resident_all a
    join _kd_resident_pick using (resident_id)
    union all
    select name_kanji
    from _kd_guardian_of
)
where n is not null
order by 1;
