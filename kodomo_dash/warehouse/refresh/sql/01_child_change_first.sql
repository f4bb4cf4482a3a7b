-- 01_child_change_first: a first build (or another city) has nothing to compare with, so nothing
-- is new: core.child_change holds no row, with the columns 01_child_change gives it. Parameters as
-- there (the previous build's id and as-of are null).
create or replace table core.child_change as
select
    ?::varchar as build_id,
    ?::date as as_of,
    ?::varchar as previous_build_id,
    ?::date as previous_as_of,
    resident_id, kind, event_date, code, value, source, event_key
from core.child_event
where false;
