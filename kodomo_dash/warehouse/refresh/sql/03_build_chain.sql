-- 03_build_chain: the builds of this city in order, each with its as-of and how many changes it
-- found: the previous build's chain carried forward, then this build. Parameter: none.
create or replace table meta.build_chain as
select * from prev.meta.build_chain
union all
select b.build_id, b.built_at, b.as_of, (select count(*) from core.child_change) as changes
from meta.build_info b;
