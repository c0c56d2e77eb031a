-- Agent accounts of the console and their sessions. Names are the login
-- and appear in transcripts as "agent:<name>", so they are lower-case and
-- unique. Passwords are stored as bcrypt hashes only.
CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('agent', 'admin')),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    {{TIMESTAMP}} NOT NULL,
    updated_at    {{TIMESTAMP}} NOT NULL
);

-- Console sessions live server-side so logging out, disabling an agent or
-- an expiry really ends them. id_hash is the SHA-256 of the cookie value:
-- a copy of this table does not let anyone sign in. csrf is the token the
-- session's forms and API calls must echo.
CREATE TABLE console_sessions (
    id_hash      TEXT PRIMARY KEY,
    agent_id     TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    created_at   {{TIMESTAMP}} NOT NULL,
    last_seen_at {{TIMESTAMP}} NOT NULL,
    expires_at   {{TIMESTAMP}} NOT NULL
);
CREATE INDEX console_sessions_agent ON console_sessions (agent_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
