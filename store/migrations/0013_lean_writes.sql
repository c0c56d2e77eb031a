-- The reminder pass writes four rows per reminder (outbox, transcript,
-- reminder log, conversation); at a million invoices every index and
-- per-row check on them is paid a million times. Measured on PostgreSQL
-- (docs/benchmarks.md, 2026-12-05): these changes took the server's CPU
-- per 100,000 reminders from 5.6 s to about 4 s.

-- Claimers look a token up only after setting it: rows waiting with no
-- claim ('') need no index entry. Queries say "claim_token <> ''" so the
-- planner can prove this index applies to any token.
DROP INDEX outbox_claim_token;
CREATE INDEX outbox_claim_token ON outbox (claim_token) WHERE claim_token <> '';

-- GET /v1/deliveries lists events only; messages need no entry here. (kind
-- stays in the key so that SQLite, too, prefers this index to outbox_due.)
-- Queries spell "kind = 'event'" literally for the same reason as above.
DROP INDEX outbox_kind_id;
CREATE INDEX outbox_event_id ON outbox (kind, id) WHERE kind = 'event';

-- No query reads the outbox by conversation.
DROP INDEX outbox_conversation;

-- The two append-only logs lose their foreign keys on PostgreSQL, where
-- each inserted row ran a trigger query that also locked its parent row
-- (a WAL record and a dirtied page per reminder): a quarter of the
-- server's work in a pass. Their parents are written or checked in the
-- same transaction by the only code that writes them — a transcript
-- entry's conversation is inserted or version-checked there, a log row's
-- invoice re-read (store.precheck) — and nothing deletes conversations or
-- invoices. SQLite keeps both keys (its checks are in-process index
-- probes), so the same test suites still catch an orphan row there.
{{POSTGRES}}ALTER TABLE transcript_entries DROP CONSTRAINT IF EXISTS transcript_entries_conversation_id_fkey;
{{POSTGRES}}ALTER TABLE reminder_log DROP CONSTRAINT IF EXISTS reminder_log_invoice_id_fkey;
