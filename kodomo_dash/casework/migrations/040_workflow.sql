-- 040_workflow: push-support lists and the append-only stage events (issue 6, part 1).
-- Written only through kodomo_dash.casework.stages. Nothing here is ever updated except
-- wf_list_member.state_version, a counter bumped in every transaction that records an event
-- for the child, so two sessions deciding about the same child conflict instead of both winning.
-- A mistaken event is cancelled by a new row with stage = 'void' and supersedes = its event_id.
-- No secondary indexes: DuckDB scans these small tables faster than it maintains ART indexes on
-- every insert (measured: dropping them halved the time of a simulated year).

-- A screening run's list as accepted by a manager (one row per list).
create table if not exists wf_list (
    list_id varchar primary key,
    fy integer not null,                        -- 年度 the list belongs to (April-March)
    run_id varchar not null,                    -- the screening run that produced it
    method varchar not null,                    -- similarity / rule_points / item_counts / edu_welfare
    path varchar not null check (path in ('ward', 'school')),
    screening_sheet_required boolean not null default false,  -- Izumi: teacher's sheet before the SSW
    cohort_label_ja varchar,                    -- e.g. 3歳から6歳の未就園児
    cohort_size integer,                        -- children the run scored (Fukuoka 1,327), from the run
    eligible_size integer,                      -- after the run's own exclusions (Izumi 6,500), if reported
    list_size integer not null,
    accepted_on date not null,                  -- the list exists from this date on
    accepted_at timestamp not null,
    accepted_by varchar not null,
    note varchar
);

-- Optional per-ward cohort sizes from the run, so a ward's funnel starts from its own cohort.
create table if not exists wf_list_ward (
    list_id varchar not null,
    ward_code varchar not null,
    cohort_size integer not null,
    eligible_size integer,
    primary key (list_id, ward_code)
);

create table if not exists wf_list_member (
    list_id varchar not null,
    resident_id varchar not null,               -- 宛名番号
    ward_code varchar,
    school_code varchar,                        -- school path (Izumi, Beppu)
    rank integer,
    score double,
    selection_reason varchar,                   -- e.g. top_n / welfare_only (Izumi) / basic_items (Beppu)
    state_version integer not null default 0,
    primary key (list_id, resident_id)
);

create sequence if not exists wf_event_seq start 1;

create table if not exists wf_event (
    event_id bigint primary key default nextval('wf_event_seq'),
    list_id varchar not null,
    resident_id varchar not null,
    stage varchar not null,                     -- see kodomo_dash.casework.stages.STAGES
    event_date date not null,                   -- when it happened (visit, conference, decision)
    department varchar,                         -- secondary: the department that checked
    method varchar,                             -- contact_attempt: home_visit / phone / other
    decision varchar,                           -- the stage's outcome code
    category varchar,                           -- support_act: what was advised / informed
    reason varchar,                             -- why (exclusion, no approach, not needed, no support)
    note varchar,                               -- free text, stored as typed
    assignee varchar,                           -- conference: assigned staff; follow_up: who follows up
    due_date date,                              -- follow_up: next planned contact
    form_id varchar,                            -- the form this event came from, if any
    supersedes bigint,                          -- void: the event it cancels
    detail varchar not null default '{}',       -- JSON: assessment levels etc.
    recorded_at timestamp not null,
    recorded_by varchar not null
);
