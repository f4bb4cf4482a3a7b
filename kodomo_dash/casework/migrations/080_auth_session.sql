-- 080_auth_session: one row per signed-in session, so that signing out, a password change, a
-- deactivation or an administrator ends it on the server, and the user page can list who is
-- signed in (decision 060). The browser holds no credential: the random session id lives in the
-- server's session state only, and only its SHA-256 is stored here.
create table if not exists auth_session (
    session_id varchar primary key,
    username varchar not null,
    method varchar not null,
    started_at timestamp not null,
    authenticated_at timestamp not null,
    last_seen_at timestamp not null,
    ended_at timestamp,
    end_reason varchar,
    ended_by varchar
);
