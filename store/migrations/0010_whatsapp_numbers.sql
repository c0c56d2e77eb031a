-- What the WhatsApp transport remembers about each linked number across
-- restarts, beside whatsmeow's own whatsmeow_* tables: when it was linked
-- (warm-up), when its phone was last seen, the 463 first-contact pause and
-- today's proactive send count. Times are unix seconds (0 = never).
CREATE TABLE quita_whatsapp_numbers (
    jid            TEXT PRIMARY KEY,
    linked_at      BIGINT NOT NULL,
    phone_seen_at  BIGINT NOT NULL DEFAULT 0,
    timelock_until BIGINT NOT NULL DEFAULT 0,
    sent_day       TEXT NOT NULL DEFAULT '',
    sent_count     INTEGER NOT NULL DEFAULT 0
);
