-- 31_link_pupil_key: the school side's normalised keys, kept in the warehouse for four-fact
-- search and the review page.
create or replace table link.pupil_key as
select *
from _kd_pupil_key;
