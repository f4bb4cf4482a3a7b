-- 001_base: casework bookkeeping shared by every later migration.
-- Number ranges: 010-019 auth/audit, 020-029 linkage decisions, 030-039 screening runs,
-- 040-059 push-support workflow and forms, 060-069 evaluation/reports.
create table if not exists app_setting (
    key varchar primary key,
    value varchar not null,
    updated_by varchar,
    updated_at timestamp not null default current_timestamp
);
