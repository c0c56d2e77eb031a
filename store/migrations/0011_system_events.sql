-- Service-level events an operator should be able to look back on: the
-- health changes of transport links (connected, logged out, banned…).
CREATE TABLE system_events (
    id         TEXT PRIMARY KEY,
    at         {{TIMESTAMP}} NOT NULL,
    source     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX system_events_at ON system_events (at);
