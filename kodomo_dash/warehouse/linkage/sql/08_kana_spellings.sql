-- 08_kana_spellings: every distinct kana spelling on either side, so the normalised keys
-- (normalise.kana_keys, in Python) are computed once per spelling.
select distinct name_kana
from (
    select name_kana
    from _kd_roster
    union all
    select a.name_kana
    from _kd_resident_all a
    join _kd_resident_pick using (resident_id)
)
where name_kana is not null
order by 1;
