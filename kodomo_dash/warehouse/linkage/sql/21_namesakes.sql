-- 21_namesakes: groups of registry children compared who share loose kana and birth date; linking
-- one of them automatically is not safe (same_name_birth_date).
select list(unique_id order by unique_id)
from _kd_resident_key
where kana_loose is not null and birth_date is not null
group by kana_loose, birth_date
having count(*) > 1;
