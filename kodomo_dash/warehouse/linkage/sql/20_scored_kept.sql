-- 20_scored_kept: on Splink's own connection, the scored pairs worth keeping (probability at
-- least the parameter, LinkSettings.keep_threshold); only these cross back to the build.
select *
from scored
where match_probability >= ?;
