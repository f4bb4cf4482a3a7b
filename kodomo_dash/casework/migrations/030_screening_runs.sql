-- 030_screening_runs: screening rule-set versions, trained models, runs and their lists,
-- and the human-assessment items people record (尼崎市 表 8-3). Written only through
-- kodomo_dash.screening.runs; a rebuild of the warehouse never touches these tables.
-- No foreign keys: DuckDB refuses updates to a row another table references, and a run's
-- status changes (draft -> accepted); integrity is kept by the one writer module instead.

-- Every saved edit of a rule set is a new row: who, when, which version it came from.
create table if not exists screening_rule_set (
    rule_set_id varchar primary key,
    name varchar not null,                -- preset family: amagasaki / beppu / izumi / own name
    version integer not null,             -- 1, 2, 3 ... per name
    parent_id varchar,                    -- the version it was edited from (null for a preset as shipped)
    label_ja varchar not null,
    definition_json varchar not null,     -- the whole rule set: params, items, weights
    checksum varchar not null,
    note varchar,
    created_by varchar not null,
    created_at timestamp not null default current_timestamp,
    unique (name, version)
);

-- Trained similarity models: the file lives under warehouse/models/, its card here.
create table if not exists screening_model (
    model_version varchar primary key,
    path varchar not null,
    feature_signature varchar not null,
    card_json varchar not null,           -- features, metrics, training parameters
    created_by varchar not null,
    created_at timestamp not null default current_timestamp
);

-- One screening run: method + parameters + cohort + exclusions + selection -> a list.
create table if not exists screening_run (
    run_id varchar primary key,
    method varchar not null,              -- similarity / rule_points / item_counts / edu_welfare
    method_label_ja varchar not null,
    params_json varchar not null,
    method_version varchar,               -- model version or rule-set name:checksum
    rule_set_id varchar,                  -- screening_rule_set row, for rule-based methods
    model_version varchar,                -- screening_model row, for the similarity model
    cohort varchar not null,
    cohort_params_json varchar not null,
    as_of date,
    exclusions_json varchar not null,     -- the exclusion reasons applied
    ward_cohort_json varchar not null,    -- cohort size per ward, for the per-ward funnel
    top_n integer,
    threshold double,
    cohort_size integer not null,
    excluded_count integer not null,
    scored_count integer not null,
    list_size integer not null,
    status varchar not null default 'draft' check (status in ('draft', 'accepted', 'discarded')),
    note varchar,
    created_by varchar not null,
    created_at timestamp not null default current_timestamp,
    decided_by varchar,
    decided_at timestamp
);

-- The list of a run, in rank order, with the reasons a person reads.
create table if not exists screening_list (
    run_id varchar not null,
    resident_id varchar not null,
    ward_code varchar,
    school_code varchar,
    rank integer not null,
    score double not null,
    reasons_json varchar not null,        -- JSON array of Japanese strings
    sub_scores_json varchar not null,     -- e.g. {"basic_hits": 5, "other_hits": 2}
    primary key (run_id, resident_id)
);

-- Children of the cohort taken off before scoring, one row per reason (funnel stages).
create table if not exists screening_exclusion (
    run_id varchar not null,
    resident_id varchar not null,
    reason varchar not null check (reason in ('already_in_support', 'enrolled', 'moved_out')),
    primary key (run_id, resident_id, reason)
);

-- Human-assessment items (表 8-3) as people record them; history kept, the latest row
-- (highest seq) counts.
create sequence if not exists screening_assessment_seq;
create table if not exists screening_assessment (
    assessment_id varchar primary key,
    seq bigint not null default nextval('screening_assessment_seq'),
    resident_id varchar not null,
    rule_set_name varchar not null,
    item_key varchar not null,
    value integer not null check (value in (0, 1)),
    note varchar,
    recorded_by varchar not null,
    recorded_at timestamp not null default current_timestamp
);

create index if not exists screening_list_rank on screening_list (run_id, rank);
create index if not exists screening_assessment_child on screening_assessment (resident_id, item_key);
