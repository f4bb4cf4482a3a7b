-- 09_guardian_of: each registry child compared with the 世帯主 and 配偶者 (続柄 1, 2) of its
-- household: the guardians Splink compares with the school's 保護者名, and the review page shows.
create or replace temp table _kd_guardian_of as
select c.resident_id, g.name_kanji, g.relationship, g.resident_id as guardian_id
from _kd_resident_all c
join _kd_resident_pick using (resident_id)
join (select * from _kd_resident_all where relationship in ('1', '2')) g
    on g.household_id = c.household_id and g.resident_id <> c.resident_id;
