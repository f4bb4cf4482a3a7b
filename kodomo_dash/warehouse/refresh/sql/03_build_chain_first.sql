-- 03_build_chain_first: the chain starts with this build.
create or replace table meta.build_chain as
select b.build_id, b.built_at, b.as_of, (select count(*) from core.child_change) as changes
from meta.build_info b;
