-- The reminder log: one row per (invoice, step) the reminders acted on,
-- written in the same transaction as the conversation turn and outbox rows
-- that carried it. The primary key is what makes each step go out at most
-- once across crashes and instances: a second writer's insert fails and
-- its whole turn rolls back. kind: sent | superseded (a later step went out
-- instead) | followup (promise follow-up) | escalated. outbox_id is the
-- message that carried it ('' when none); per-debtor caps count distinct
-- outbox ids by sent_on, the business-day date (YYYY-MM-DD) of sending.
CREATE TABLE reminder_log (
    invoice_id  TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    step_key    TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    outbox_id   TEXT NOT NULL DEFAULT '',
    sent_on     TEXT NOT NULL,
    at          {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (invoice_id, step_key)
);
CREATE INDEX reminder_log_customer ON reminder_log (customer_id, sent_on);

-- Reminder passes read open invoices a debtor at a time, in (customer_id,
-- id) order with a keyset cursor, so one pass over a million invoices is
-- a walk along this index rather than a sort.
CREATE INDEX invoices_open_by_customer ON invoices (status, customer_id, id);
