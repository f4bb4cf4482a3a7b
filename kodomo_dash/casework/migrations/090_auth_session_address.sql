-- 090_auth_session_address: a session is bound to the client address it was opened from
-- (decision 060). Streamlit reconnects a tab to its server session by an id kept in the tab's
-- sessionStorage; a copy of that id used from another machine is refused because its address
-- differs. Kept as an HMAC under a key that lives only in the server process's memory (sessions
-- end with the process), never as the address itself; null for a row opened without a connection.
alter table auth_session add column if not exists client_address_hash varchar;
