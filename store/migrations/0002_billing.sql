-- Every billing webhook delivery received, for idempotency (a repeated
-- webhook-id has no second effect) and for support (GET /v1/webhooks/received).
CREATE TABLE webhook_deliveries (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    received_at {{TIMESTAMP}} NOT NULL
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
CREATE INDEX invoices_due ON invoices (due_date);
