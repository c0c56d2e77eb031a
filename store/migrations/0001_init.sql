-- Quita's first schema. Tokens in braces are replaced per dialect:
-- TIMESTAMP becomes TIMESTAMPTZ on PostgreSQL and DATETIME on SQLite,
-- BLOB becomes BYTEA on PostgreSQL. Times are stored in UTC.

-- Generated secrets and other service-wide values.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at {{TIMESTAMP}} NOT NULL
);

CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    external_id TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL,
    phone       TEXT NOT NULL,
    email       TEXT NOT NULL DEFAULT '',
    document    TEXT NOT NULL DEFAULT '',
    locale      TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '',
    created_at  {{TIMESTAMP}} NOT NULL,
    updated_at  {{TIMESTAMP}} NOT NULL
);
CREATE UNIQUE INDEX customers_external_id ON customers (external_id) WHERE external_id <> '';
CREATE INDEX customers_phone ON customers (phone);

-- Invoices are keyed by the billing system's invoice_id.
CREATE TABLE invoices (
    id             TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL REFERENCES customers (id),
    amount_cents   BIGINT NOT NULL CHECK (amount_cents > 0),
    currency       TEXT NOT NULL,
    due_date       TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    items          TEXT NOT NULL DEFAULT '[]',
    payment_link   TEXT NOT NULL DEFAULT '',
    pix_copy_paste TEXT NOT NULL DEFAULT '',
    boleto_line    TEXT NOT NULL DEFAULT '',
    pdf_url        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'open',
    created_at     {{TIMESTAMP}} NOT NULL,
    updated_at     {{TIMESTAMP}} NOT NULL
);
CREATE INDEX invoices_customer_status ON invoices (customer_id, status);
CREATE INDEX invoices_status_due ON invoices (status, due_date);

-- One conversation per phone and transport. last_seq/last_hash are the
-- head of the transcript chain, updated in the same transaction as the
-- entries so appending never has to scan the transcript.
CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES customers (id),
    phone       TEXT NOT NULL,
    transport   TEXT NOT NULL,
    status      TEXT NOT NULL,
    state       TEXT NOT NULL,
    memory      TEXT NOT NULL DEFAULT '{}',
    agent       TEXT NOT NULL DEFAULT '',
    locale      TEXT NOT NULL DEFAULT '',
    version     BIGINT NOT NULL DEFAULT 0,
    last_seq    BIGINT NOT NULL DEFAULT 0,
    last_hash   TEXT NOT NULL DEFAULT '',
    created_at  {{TIMESTAMP}} NOT NULL,
    updated_at  {{TIMESTAMP}} NOT NULL,
    UNIQUE (transport, phone)
);
CREATE INDEX conversations_status ON conversations (status, updated_at);

-- Every inbound message, stored before the transport acknowledges it.
-- The unique key makes a redelivery a no-op.
CREATE TABLE inbox (
    id              TEXT PRIMARY KEY,
    transport       TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    sender          TEXT NOT NULL,
    text            TEXT NOT NULL DEFAULT '',
    media           TEXT NOT NULL DEFAULT '',
    sent_at         {{TIMESTAMP}} NOT NULL,
    received_at     {{TIMESTAMP}} NOT NULL,
    processed_at    {{TIMESTAMP}},
    conversation_id TEXT NOT NULL DEFAULT '',
    result          TEXT NOT NULL DEFAULT '',
    UNIQUE (transport, external_id)
);
CREATE INDEX inbox_unprocessed ON inbox (received_at) WHERE processed_at IS NULL;

-- Attachments (receipts, invoice PDFs) kept in the database so a backup of
-- it is a backup of everything.
CREATE TABLE media (
    id         TEXT PRIMARY KEY,
    sha256     TEXT NOT NULL,
    mime       TEXT NOT NULL,
    filename   TEXT NOT NULL DEFAULT '',
    size       BIGINT NOT NULL,
    data       {{BLOB}} NOT NULL,
    created_at {{TIMESTAMP}} NOT NULL
);

CREATE TABLE transcript_entries (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    at              {{TIMESTAMP}} NOT NULL,
    direction       TEXT NOT NULL,
    author          TEXT NOT NULL,
    text            TEXT NOT NULL DEFAULT '',
    media           TEXT NOT NULL DEFAULT '',
    intent          TEXT NOT NULL DEFAULT '',
    state_from      TEXT NOT NULL DEFAULT '',
    state_to        TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    outbox_id       TEXT NOT NULL DEFAULT '',
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX transcript_outbox ON transcript_entries (outbox_id) WHERE outbox_id <> '';

-- Work leaving the service: messages to debtors (kind = message) and
-- events to the billing system (kind = event). Written in the same
-- transaction as the state change that caused it; drained by claimers
-- holding a short lease (claimed_until) so several instances share it.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    conversation_id TEXT NOT NULL DEFAULT '',
    transport       TEXT NOT NULL DEFAULT '',
    recipient       TEXT NOT NULL DEFAULT '',
    event_type      TEXT NOT NULL DEFAULT '',
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{TIMESTAMP}} NOT NULL,
    claimed_until   {{TIMESTAMP}},
    claim_token     TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    external_id     TEXT NOT NULL DEFAULT '',
    created_at      {{TIMESTAMP}} NOT NULL,
    sent_at         {{TIMESTAMP}}
);
CREATE INDEX outbox_due ON outbox (kind, status, next_attempt_at);
CREATE INDEX outbox_conversation ON outbox (conversation_id, created_at);

-- What the simulator transport "delivered", in order, per recipient.
CREATE TABLE sim_messages (
    id        TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    at        {{TIMESTAMP}} NOT NULL,
    text      TEXT NOT NULL DEFAULT '',
    payload   TEXT NOT NULL DEFAULT '',
    outbox_id TEXT NOT NULL UNIQUE
);
CREATE INDEX sim_messages_recipient ON sim_messages (recipient, id);
