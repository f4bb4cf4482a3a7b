-- 32_link_resident_key: the registry side's normalised keys, kept in the warehouse for four-fact
-- search and the review page.
create or replace table link.resident_key as
select *
from _kd_resident_key;
