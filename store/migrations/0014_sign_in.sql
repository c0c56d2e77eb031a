-- Simulator page sessions live server-side, like console sessions, so a
-- logout, disabling the agent or an expiry really ends them. agent_id is
-- the admin who opened the page from the console (NULL: the holder of the
-- API token, through a sign-in code); console_session is the id_hash of
-- that console session, whose end ends this one too; token_tag is a
-- fingerprint of the API token that signed a token holder in, so rotating
-- the token ends those sessions.
CREATE TABLE sim_sessions (
    id_hash         TEXT PRIMARY KEY,
    agent_id        TEXT REFERENCES agents (id) ON DELETE CASCADE,
    console_session TEXT NOT NULL DEFAULT '',
    token_tag       TEXT NOT NULL DEFAULT '',
    created_at      {{TIMESTAMP}} NOT NULL,
    expires_at      {{TIMESTAMP}} NOT NULL
);
CREATE INDEX sim_sessions_agent ON sim_sessions (agent_id);
CREATE INDEX sim_sessions_console ON sim_sessions (console_session);
CREATE INDEX sim_sessions_expires ON sim_sessions (expires_at);

-- Short-lived, single-use codes that the link printed at start carries
-- instead of the API token. Only their SHA-256 is stored.
CREATE TABLE sign_in_codes (
    code_hash  TEXT PRIMARY KEY,
    token_tag  TEXT NOT NULL,
    created_at {{TIMESTAMP}} NOT NULL,
    expires_at {{TIMESTAMP}} NOT NULL
);

-- Failed console sign-ins per (name, address) pair, for the backoff.
-- key_hash is a SHA-256 of the pair: what a stranger typed as a name (it
-- may be somebody's password) is never stored.
CREATE TABLE login_failures (
    key_hash      TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    last_at       {{TIMESTAMP}} NOT NULL,
    blocked_until {{TIMESTAMP}} NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last_at);
