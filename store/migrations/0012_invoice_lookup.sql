-- A debtor's open invoices by due date, read on every message: with only
-- (customer_id, status) SQLite preferred invoices_status_due and walked
-- every open invoice of the book (20 % of an inbound message's CPU).
CREATE INDEX invoices_customer_open ON invoices (customer_id, status, due_date, id);
