-- 07_resident_pick: the registry children compared. Those born for school ages (first-grade year
-- between the two parameters: the school year less 12, a margin for graduates still on a roster,
-- and the school year plus 1), plus anyone the 対応表 or a person named, whatever their recorded
-- birth date.
create or replace temp table _kd_resident_pick as
select resident_id
from _kd_resident_all
where birth_date is null or entry_year between ? and ?
union
select resident_id
from _kd_map_pair
union
select d.resident_id
from _kd_decision d
join _kd_resident_all r using (resident_id);
