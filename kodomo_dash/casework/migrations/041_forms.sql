-- 041_forms: declarative forms (school screening sheet, SSW hearing sheet, conference sheet,
-- home-visit record) as saved by people (issue 6, part 2). Written only through
-- kodomo_dash.casework.form_store.
--
-- form_record holds the latest state; version is the optimistic-concurrency counter: a save names
-- the version it was made on and is refused if the row has moved on. Every save also appends the
-- whole content to form_revision in the same transaction, so a form is never half-saved and any
-- acknowledged save can be found again. data_sha256 is sha256 of the canonical JSON in data.
create table if not exists form_record (
    form_id varchar primary key,
    form_type varchar not null,
    def_version varchar not null,               -- hash of the YAML definition used at the last save
    list_id varchar,
    resident_id varchar,
    school_code varchar,
    ward_code varchar,
    status varchar not null check (status in ('requested', 'draft', 'submitted')),
    version integer not null,
    data varchar not null,
    data_sha256 varchar not null,
    assignee varchar,                           -- who is asked to fill it in
    due_date date,
    created_at timestamp not null,
    created_by varchar not null,
    updated_at timestamp not null,
    updated_by varchar not null,
    submitted_at timestamp,
    submitted_by varchar,
    submit_token varchar                        -- the page's token of the submit that succeeded
);

create table if not exists form_revision (
    form_id varchar not null,
    version integer not null,
    status varchar not null,
    op varchar not null,                        -- request / draft / submit / reopen
    data varchar not null,
    data_sha256 varchar not null,
    saved_at timestamp not null,
    saved_by varchar not null,
    note varchar,                               -- reopen: why it was sent back
    primary key (form_id, version)
);
