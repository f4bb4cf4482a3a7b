-- 010_auth_audit: sign-in state, the hash-chained audit trail and the record of
-- pseudonymised extracts (issue 5). Everything here is written only through
-- kodomo_dash.auth; the tables are append-only or single-row-per-user by contract.
-- All timestamps are UTC without a zone (DuckDB TIMESTAMP), written by Python.

-- Time-based lockout: consecutive failures per (normalised) username, across every
-- login path (password form, re-login cookie, TOTP step). Unknown usernames are counted
-- too, so a locked answer does not reveal whether an account exists. The key is a sha256
-- of the normalised username, so a password typed into the username box is not stored.
create table if not exists auth_login_failure (
    user_key varchar primary key,
    failures integer not null default 0,
    first_failure_at timestamp,
    last_failure_at timestamp,
    locked_until timestamp
);

-- TOTP single use: the last 30-second time step accepted per user. A code is accepted
-- only for a step strictly after this one, so a code cannot be replayed in its window.
create table if not exists auth_totp_used (
    username varchar primary key,
    last_step bigint not null,
    used_at timestamp not null
);

-- Session epoch: bumped on password change or revoke; a session (or re-login cookie)
-- from an older epoch is no longer valid.
create table if not exists auth_session_epoch (
    username varchar primary key,
    epoch integer not null default 0,
    changed_at timestamp,
    reason varchar
);

-- Audit trail. One row per event; row_hash = sha256(canonical JSON of the row || prev_hash).
-- Never holds names, kana, addresses or tax values: resident_id (宛名番号) only, so
-- "who viewed this child" works; detail is a small JSON object checked on write.
create table if not exists audit_log (
    seq bigint primary key,
    occurred_at timestamp not null,
    username varchar not null,
    role varchar,
    action varchar not null,
    page varchar,
    resident_id varchar,
    target varchar,
    n_children integer,
    detail varchar not null,
    prev_hash varchar not null,
    row_hash varchar not null
);
create index if not exists audit_log_resident_idx on audit_log (resident_id);
create index if not exists audit_log_user_idx on audit_log (username);

-- The newest (seq, row_hash), written in the same transaction as each row, so that
-- deleting the newest rows is noticed by verify (a gap between head and the table).
create table if not exists audit_head (
    id integer primary key,
    seq bigint not null,
    row_hash varchar not null
);

-- Retention: rows up to through_seq were pruned; the chain restarts from through_hash.
-- Each prune is also an ordinary chained audit row (action 'retention').
create table if not exists audit_checkpoint (
    through_seq bigint primary key,
    through_hash varchar not null,
    pruned_count bigint not null,
    pruned_at timestamp not null,
    pruned_by varchar not null
);

-- Pseudonymised extracts handed to analysts: who took each one, for what, where its
-- file and key are, and when both must be (and were) deleted.
create table if not exists pseudo_extract (
    extract_id varchar primary key,
    project varchar not null,
    purpose varchar not null,
    taken_by varchar not null,
    taken_at timestamp not null,
    delete_by date not null,
    file_path varchar not null,
    key_path varchar not null,
    row_count integer not null,
    suppressed_count integer not null,
    k_required integer not null,
    k_achieved integer not null,
    quasi_identifiers varchar not null,
    generalisation varchar not null,
    deleted_at timestamp,
    deleted_by varchar
);
