-- 11_pupil_key: the school side as Splink reads it, one row per usable student number. Same
-- columns as 12_resident_key; the parameter is the school year (entry year = year - grade + 1).
-- ``arrival`` is the 入学・転入日: against the registry's 転入日 it tells a pupil who arrived with
-- a move into the city (decision 063).
create or replace temp table _kd_pupil_key as
select
    r.student_no as unique_id,
    k.kana_strict,
    k.kana_loose,
    k.kana_roman,
    k.given_loose,
    kk.norm as kanji,
    null::varchar as alias,
    r.birth_date,
    (? - r.grade + 1)::integer as entry_year,
    r.sex,
    r.address_code,
    case when g.norm is null then []::varchar[] else [g.norm] end as guardians,
    case when g.given is null then []::varchar[] else [g.given] end as guardian_givens,
    r.entry_date as arrival
from _kd_roster r
join _kd_unit u on u.student_no = r.student_no and u.n_people = 1
left join _kd_kana_key k on k.raw = r.name_kana
left join _kd_kanji_key kk on kk.raw = r.name_kanji
left join _kd_kanji_key g on g.raw = r.guardian_name
order by unique_id;
