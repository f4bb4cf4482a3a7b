-- 02_change_log: every change any build of this city found, oldest build first: the previous
-- build's log carried forward, then this build's changes. A fact's first appearance is its row
-- here, so a state without a date of its own (a check-up now overdue) still has the as-of of the
-- build that first saw it, and an alert can expire by it.
create or replace table core.child_change_log as
select * from prev.core.child_change_log
union all
select * from core.child_change;
