-- 085_auth_oidc_signin: sign-in through the city's identity provider (OIDC, decision 064).
-- Streamlit keeps the provider's identity token claims in its own signed, HttpOnly cookie; the
-- product binds each provider sign-in to a row here, keyed by the SHA-256 of the token's issuer,
-- subject, issued-at time and nonce (a new sign-in at the provider has a new iat and nonce). A copy
-- of the cookie presented after sign-out, after an administrator or a timeout ended one of its
-- sessions, or after the user's password or rights changed finds its row ended and is refused.
create table if not exists auth_oidc_signin (
    binding varchar primary key,
    username varchar not null,
    epoch integer not null,
    issued_at timestamp not null,
    started_at timestamp not null,
    ended_at timestamp,
    end_reason varchar,
    ended_by varchar
);
-- The tab sessions (auth_session rows, method 'oidc') opened from one provider sign-in.
create table if not exists auth_oidc_session (
    session_id varchar primary key,
    binding varchar not null
);
