-- Receiving transports (WhatsApp, the Cloud API).

-- Delivery receipts name a message by the transport's id for it.
CREATE INDEX outbox_external ON outbox (transport, external_id) WHERE external_id <> '';

-- The Cloud API's 24-hour window starts at the debtor's last message.
CREATE INDEX inbox_sender ON inbox (transport, sender, sent_at);

-- With several linked WhatsApp numbers, each debtor sticks to the number
-- they talk with.
CREATE TABLE whatsapp_routes (
    phone      TEXT PRIMARY KEY,
    device     TEXT NOT NULL,
    updated_at {{TIMESTAMP}} NOT NULL
);

-- How the engine treats a stored message (history, undecryptable, typed by
-- an operator on the linked phone) and the message it answers.
ALTER TABLE inbox ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
