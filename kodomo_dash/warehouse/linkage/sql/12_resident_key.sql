-- 12_resident_key: the registry side as Splink reads it, one row per registry child compared.
-- Same columns as 11_pupil_key; guardians are the household's 世帯主 and 配偶者, normalised, and
-- their given names alone (a parent's surname changes with a divorce); ``arrival`` is the 転入日.
create or replace temp table _kd_resident_key as
with guardians as (
    select
        o.resident_id,
        list(distinct kk.norm order by kk.norm) as guardians,
        coalesce(list(distinct kk.given order by kk.given) filter (where kk.given is not null), []) as guardian_givens
    from _kd_guardian_of o
    join _kd_kanji_key kk on kk.raw = o.name_kanji
    group by o.resident_id
)
select
    a.resident_id as unique_id,
    k.kana_strict,
    k.kana_loose,
    k.kana_roman,
    k.given_loose,
    kk.norm as kanji,
    al.norm as alias,
    a.birth_date,
    a.entry_year::integer as entry_year,
    a.sex,
    a.address_code,
    coalesce(g.guardians, []::varchar[]) as guardians,
    coalesce(g.guardian_givens, []::varchar[]) as guardian_givens,
    a.moved_in_date as arrival
from _kd_resident_all a
join _kd_resident_pick using (resident_id)
left join _kd_kana_key k on k.raw = a.name_kana
left join _kd_kanji_key kk on kk.raw = a.name_kanji
left join _kd_kanji_key al on al.raw = a.alias_name
left join guardians g on g.resident_id = a.resident_id
order by unique_id;
