-- Personal data has a lifecycle (LGPD, issue 16).

-- Transcript chain scheme 2: each entry's text and media are hashed
-- separately (content_hash) and the chain covers that leaf hash, so erasing
-- the content keeps every link checkable. Entries sealed before this keep
-- content_hash = '' and verify under scheme 1. erased_at marks entries
-- whose content was removed.
ALTER TABLE transcript_entries ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE transcript_entries ADD COLUMN erased_at {{TIMESTAMP}};

-- An anonymised customer keeps its row (invoices refer to it, and the
-- amounts and dates stay for accounting) with erased_at set.
ALTER TABLE customers ADD COLUMN erased_at {{TIMESTAMP}};

-- Every erasure, who asked and why: the record an admin's "force" leaves,
-- and the answer to "when was my data erased". It names no personal data.
CREATE TABLE erasures (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    external_id   TEXT NOT NULL DEFAULT '',
    at            {{TIMESTAMP}} NOT NULL,
    actor         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    forced        BOOLEAN NOT NULL DEFAULT FALSE,
    open_invoices TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX erasures_customer ON erasures (customer_id);

-- An access request lists the events raised in a customer's conversations.
CREATE INDEX outbox_event_conversation ON outbox (conversation_id) WHERE kind = 'event';
