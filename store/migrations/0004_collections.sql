-- The collection state of each invoice, written by conversation turns:
-- paused while a receipt is reviewed, a dispute is open, a promise or a
-- granted extension is pending, or replaced by an installment plan.
-- No row means active.
CREATE TABLE collections (
    invoice_id TEXT PRIMARY KEY REFERENCES invoices (id),
    status     TEXT NOT NULL,
    until      TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    updated_at {{TIMESTAMP}} NOT NULL
);
CREATE INDEX collections_status_until ON collections (status, until);
