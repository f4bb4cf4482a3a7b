-- 02_change_log_first: with no previous log (a first build, another city, or a build from before
-- the log existed) the log starts with this build's changes.
create or replace table core.child_change_log as
select * from core.child_change;
