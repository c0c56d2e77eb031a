-- Every attempt to deliver an outbound event (outbox kind = event) to the
-- billing webhook, for support: GET /v1/deliveries shows why an event is
-- late or failed. The outbox row keeps the current state; this table keeps
-- the history, so a retry never overwrites the evidence of earlier failures.
-- status_code is 0 when no response arrived (timeout, refused connection).
-- Attempts go when their outbox row goes (retention, erasure).
CREATE TABLE delivery_attempts (
    outbox_id   TEXT NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at          {{TIMESTAMP}} NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (outbox_id, attempt)
);

-- GET /v1/deliveries lists events newest first by id, paging with an id
-- cursor; the outbox_due index is ordered for claiming, not for this.
CREATE INDEX outbox_kind_id ON outbox (kind, id);
