-- Claimers load what they just leased by token; without an index that is
-- a scan of the whole (ever-growing) outbox on every claim.
CREATE INDEX outbox_claim_token ON outbox (claim_token);
