-- The collection report (GET /v1/reports/collections, README "Reports").
-- (0015 is left to another branch.)

-- One row per invoice settled by the billing system: kind paid or
-- cancelled, at the instant Quita received it (the service clock). An
-- invoice cancelled and then paid has both rows. Everything the report
-- needs about a payment is fixed when it arrives, so a report is a range
-- read on (kind, at) rather than a walk over invoices, reminders and
-- conversations: on_date is the business-day date of receipt, days_late
-- that date minus the due date, contacted 1 when the invoice had a
-- reminder or the debtor a conversation before the payment.
CREATE TABLE invoice_settlements (
    invoice_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    at           {{TIMESTAMP}} NOT NULL,
    on_date      TEXT NOT NULL,
    amount_cents BIGINT NOT NULL DEFAULT 0,
    days_late    INTEGER NOT NULL DEFAULT 0,
    contacted    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (invoice_id, kind)
);
CREATE INDEX invoice_settlements_kind_at ON invoice_settlements (kind, at);

-- Outbound events of one type in a period (reminder.sent, promise.created…);
-- the report counts them, and the conversations they happened in, from
-- the index alone. Queries spell "kind = 'event'" literally so the planner
-- can prove this partial index applies.
CREATE INDEX outbox_event_type_at ON outbox (event_type, created_at, conversation_id) WHERE kind = 'event';

-- The open book by due date with amounts (open, overdue, aging), read
-- from the index alone; it serves whatever used (status, due_date).
DROP INDEX invoices_status_due;
CREATE INDEX invoices_status_due ON invoices (status, due_date, amount_cents);

-- Conversations started in a period, and whether a debtor had one before
-- a payment (invoice_settlements.contacted).
CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX conversations_customer ON conversations (customer_id, created_at);
