package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
	"github.com/quitabot/quita/bot/transcript"
)

// passConn runs the statements of bot/reminders' persistence on SQLite,
// thousands a pass, without gorm's reflection (PostgreSQL: reminders_pg.go).
type passConn struct {
	ctx   context.Context
	pool  gorm.ConnPool
	stmts map[string]*sql.Stmt // writes: each shape parsed once per transaction, which closes them
}

// rowScanner is a row of *sql.Rows or pgx.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// readQuery is one statement of a read: "?" parameters (args), then
// "IN (?…)" standing for ids — chunked on SQLite (parameters per statement
// are capped), one array on PostgreSQL. A query with "(?…)" and no ids
// is not run.
type readQuery struct {
	sql  string
	args []any
	ids  []string
	scan func(rowScanner) error
	// pg and pgArgs, when set, replace sql, args and ids on PostgreSQL.
	pg     string
	pgArgs []any
}

const idList = "IN (?…)"

// reads runs qs in order; on PostgreSQL in one round trip with plans
// steered (see pgSteer), walk for a keyset walk.
func (s *Store) reads(ctx context.Context, walk bool, qs ...readQuery) error {
	if s.Dialect == Postgres {
		return s.pgReads(ctx, walk, qs)
	}
	c := &passConn{ctx: ctx, pool: s.Gorm.Statement.ConnPool}
	for _, q := range qs {
		if err := c.each(q); err != nil {
			return err
		}
	}
	return nil
}

func (c *passConn) query(q string, args ...any) (*sql.Rows, error) {
	return c.pool.QueryContext(c.ctx, q, args...)
}

func (c *passConn) exec(q string, args ...any) (n int64, err error) {
	if c.stmts != nil && c.stmts[q] == nil {
		if c.stmts[q], err = c.pool.PrepareContext(c.ctx, q); err != nil {
			return 0, err
		}
	}
	var res sql.Result
	if stmt := c.stmts[q]; stmt != nil {
		res, err = stmt.ExecContext(c.ctx, args...)
	} else {
		res, err = c.pool.ExecContext(c.ctx, q, args...)
	}
	if err == nil {
		n, err = res.RowsAffected()
	}
	return n, err
}

// each runs q once per chunk of its ids (once if it has no list) and
// scans every row.
func (c *passConn) each(q readQuery) error {
	if !strings.Contains(q.sql, idList) {
		rows, err := c.query(q.sql, q.args...)
		if err == nil {
			err = scanAll(rows, q.scan)
		}
		return err
	}
	ids := q.ids
	for len(ids) > 0 {
		part := ids[:min(len(ids), 500)]
		ids = ids[len(part):]
		args := append(make([]any, 0, len(q.args)+len(part)), q.args...)
		for _, v := range part {
			args = append(args, v)
		}
		rows, err := c.query(strings.Replace(q.sql, idList, "IN ("+repeat("?", len(part))+")", 1), args...)
		if err == nil {
			err = scanAll(rows, q.scan)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func scanAll(rows *sql.Rows, scan func(rowScanner) error) (err error) {
	defer rows.Close()
	for err == nil && rows.Next() {
		err = scan(rows)
	}
	return cmp.Or(err, rows.Err())
}

// SerialWrites reports one writer at a time (SQLite): queue in-process, not in its busy handler.
func (s *Store) SerialWrites() bool { return s.Dialect == SQLite }

// ReminderCandidates returns open invoices that may have reminder work in
// (customer, id) order after the cursor — a walk along
// invoices_open_by_customer — with their customers and collection states,
// read by key for the page alone (joined in, PostgreSQL merge-joined every
// customer up to the cursor on each page). An invoice older than the usual
// horizon stays a candidate until its escalation for its due date is
// logged (reminders.CandidateQuery.OldFrom): one probe of reminder_log's
// primary key each, so a book of long-escalated debts costs a pass little.
func (s *Store) ReminderCandidates(ctx context.Context, q reminders.CandidateQuery) ([]reminders.Candidate, error) {
	// Sized for a full page: a Candidate is large, and growing the slice
	// by appends copied each page several times.
	out := make([]reminders.Candidate, 0, max(q.Limit, 0))
	ids, customerIDs := make([]string, 0, max(q.Limit, 0)), make([]string, 0, max(q.Limit, 0))
	err := s.reads(ctx, true, readQuery{sql: `SELECT id, customer_id, amount_cents, currency, due_date, description,
		payment_link, pix_copy_paste, boleto_line, pdf_url FROM invoices i WHERE status = ? AND (customer_id, id) > (?, ?)
		AND (due_date BETWEEN ? AND ? AND (due_date >= ? OR NOT EXISTS (SELECT 1 FROM reminder_log l
		WHERE l.invoice_id = i.id AND l.step_key = 'escalation@' || i.due_date)) OR EXISTS (SELECT 1 FROM collections col
		WHERE col.invoice_id = i.id AND col.status IN (?, ?, ?, ?) AND col.until >= ?)) ORDER BY customer_id, id LIMIT ?`,
		args: []any{string(bot.InvoiceOpen), q.AfterCustomer, q.AfterInvoice, cmp.Or(q.OldFrom, q.DueFrom), q.DueTo, q.DueFrom, string(bot.CollectionPlan),
			string(bot.CollectionExtended), string(bot.CollectionPromised), string(bot.CollectionClaimed), q.UntilFrom, q.Limit},
		scan: func(rows rowScanner) error {
			inv := bot.Invoice{Status: bot.InvoiceOpen}
			err := rows.Scan(&inv.ID, &inv.CustomerID, &inv.AmountCents, &inv.Currency, &inv.DueDate, &inv.Description,
				&inv.Payment.Link, &inv.Payment.PixCopyPaste, &inv.Payment.BoletoLine, &inv.PDFURL)
			if len(customerIDs) == 0 || customerIDs[len(customerIDs)-1] != inv.CustomerID {
				customerIDs = append(customerIDs, inv.CustomerID)
			}
			ids, out = append(ids, inv.ID), append(out, reminders.Candidate{Invoice: inv})
			return err
		}})
	if err != nil || len(out) == 0 {
		return wrapped(out, err, "reminder candidates")
	}
	customers, cols := make(map[string]bot.Customer, len(customerIDs)), map[string]bot.Collection{}
	err = s.reads(ctx, false, readQuery{sql: "SELECT id, external_id, name, phone, email, document, locale, tags FROM customers WHERE id " + idList,
		ids: customerIDs, scan: func(rows rowScanner) error {
			var r customerRow
			err := rows.Scan(&r.ID, &r.ExternalID, &r.Name, &r.Phone, &r.Email, &r.Document, &r.Locale, &r.Tags)
			customers[r.ID] = r.toDomain()
			return err
		}}, readQuery{sql: "SELECT invoice_id, status, until, detail FROM collections WHERE invoice_id " + idList, ids: ids,
		scan: func(rows rowScanner) error {
			var col bot.Collection
			var detail string
			err := rows.Scan(&col.InvoiceID, &col.Status, &col.Until, &detail)
			col.Detail = []byte(detail)
			cols[col.InvoiceID] = col
			return err
		}})
	for i, o := range out {
		out[i].Customer, out[i].Collection = customers[o.Invoice.CustomerID], cols[o.Invoice.ID]
	}
	return wrapped(out, err, "reminder candidates")
}

// ReminderLog returns the reminder log of the given invoices.
func (s *Store) ReminderLog(ctx context.Context, invoiceIDs []string) (map[string]map[string]reminders.Logged, error) {
	out := map[string]map[string]reminders.Logged{}
	err := s.reads(ctx, false, readQuery{sql: "SELECT invoice_id, step_key, kind, sent_on FROM reminder_log WHERE invoice_id " + idList,
		ids: invoiceIDs, scan: func(rows rowScanner) error {
			var id, key, kind, on string
			err := rows.Scan(&id, &key, &kind, &on)
			if out[id] == nil {
				out[id] = map[string]reminders.Logged{}
			}
			day, _ := policy.ParseDate(on)
			out[id][key] = reminders.Logged{Kind: kind, Day: day}
			return err
		}})
	return wrapped(out, err, "reminder log")
}

// ReminderCounts returns each customer's proactive messages today and in the
// seven days ending today: outbox ids, not rows (one message, many invoices).
func (s *Store) ReminderCounts(ctx context.Context, customerIDs []string, today policy.Date) (map[string]reminders.Counts, error) {
	out := map[string]reminders.Counts{}
	day := today.String()
	err := s.reads(ctx, false, readQuery{sql: `SELECT customer_id, sent_on, COUNT(DISTINCT outbox_id) FROM reminder_log
		WHERE sent_on >= ? AND sent_on <= ? AND outbox_id <> '' AND customer_id ` + idList + ` GROUP BY customer_id, sent_on`,
		args: []any{today.AddDays(-6).String(), day}, ids: customerIDs, scan: func(rows rowScanner) error {
			var id, on string
			var n int
			err := rows.Scan(&id, &on, &n)
			c := out[id]
			if c.Week += n; on == day {
				c.Today += n
			}
			out[id] = c
			return err
		}})
	return wrapped(out, err, "reminder counts")
}

// ConversationsByPhones returns the conversations of any of phones on any of
// transports, which lets the lookup use the unique (transport, phone) index.
func (s *Store) ConversationsByPhones(ctx context.Context, transports, phones []string) ([]bot.Conversation, error) {
	var out []bot.Conversation
	phones = slices.Compact(slices.Sorted(slices.Values(phones)))
	targs := make([]any, len(transports))
	for i, t := range transports {
		targs[i] = t
	}
	const cols = "id, customer_id, phone, transport, status, state, memory, agent, locale, version, created_at, updated_at"
	err := s.reads(ctx, false, readQuery{sql: "SELECT " + cols + " FROM conversations WHERE transport IN (" +
		repeat("?", len(transports)) + ") AND phone " + idList, args: targs, ids: phones,
		// PostgreSQL: one probe of the index per number, whatever the
		// statistics say. A first pass creates the conversations it then
		// looks up; planned from numbers that still call the table tiny,
		// "phone = ANY(…)" became a filter over every conversation on the
		// transport — each batch read all of them, and a pass went quadratic.
		// The OFFSET 0 keeps the subquery from being flattened into a join.
		pg: "SELECT c.* FROM unnest(CAST(? AS text[])) AS p (phone), LATERAL (SELECT " + cols +
			" FROM conversations WHERE transport = ANY(CAST(? AS text[])) AND phone = p.phone OFFSET 0) AS c",
		pgArgs: []any{phones, transports},
		scan: func(rows rowScanner) error {
			var r conversationRow
			err := rows.Scan(&r.ID, &r.CustomerID, &r.Phone, &r.Transport, &r.Status, &r.State, &r.Memory, &r.Agent,
				&r.Locale, &r.Version, &r.CreatedAt, &r.UpdatedAt)
			out = append(out, r.toDomain())
			return err
		}})
	return wrapped(out, err, "conversations by phones")
}

// CommitReminderTurns writes many turns and their log rows in one
// transaction, all or nothing, failing with bot.ErrVersionConflict (a
// conversation changed since it was loaded), reminders.ErrAlreadyDone (a mark
// exists: another pass did it) or reminders.ErrStale (see precheck).
func (s *Store) CommitReminderTurns(ctx context.Context, turns []reminders.MarkedTurn) error {
	if s.Dialect == Postgres {
		_, err := wrapped(0, s.commitPostgres(ctx, turns), "commit reminder turns")
		return err
	}
	_, err := wrapped(0, s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Re-parsing large INSERTs for every chunk took a fifth of a commit.
		c := &passConn{ctx: ctx, pool: tx.Statement.ConnPool, stmts: map[string]*sql.Stmt{}}
		heads, err := precheck(c, turns)
		if err != nil {
			return err
		}
		var w batchWrite
		for _, mt := range turns {
			if err := w.add(mt, heads); err != nil {
				return err
			}
		}
		return w.write(c, tx)
	}), "commit reminder turns") // errors.Is still finds the sentinels
	return err
}

// batchWrite gathers many turns' rows, table by table.
type batchWrite struct {
	convs, updates, entries, outbox, marks [][]any
	cols                                   []bot.Collection
}

func (w *batchWrite) add(mt reminders.MarkedTurn, heads map[string]conversationRow) error {
	t := mt.Turn
	r := conversationToRow(t.Conversation)
	var head *bot.TranscriptEntry
	if !t.IsNew {
		h, ok := heads[r.ID]
		if !ok || h.Version != r.Version {
			return bot.ErrVersionConflict
		}
		if r.LastSeq, r.LastHash = h.LastSeq, h.LastHash; h.LastSeq > 0 {
			head = &bot.TranscriptEntry{Seq: h.LastSeq, Hash: h.LastHash}
		}
	}
	sealed := slices.Clone(t.Entries)
	for i := range sealed {
		sealed[i].ConversationID = r.ID
	}
	transcript.Seal(head, sealed)
	for _, e := range sealed {
		e := transcriptToRow(e)
		w.entries = append(w.entries, []any{e.ConversationID, e.Seq, e.At, e.Direction, e.Author, e.Text, e.Media, e.Intent,
			e.StateFrom, e.StateTo, e.Status, e.OutboxID, e.PrevHash, e.Hash, e.ContentHash})
		r.LastSeq, r.LastHash = e.Seq, e.Hash
	}
	if t.IsNew {
		w.convs = append(w.convs, []any{r.ID, r.CustomerID, r.Phone, r.Transport, r.Status, r.State, r.Memory, r.Agent,
			r.Locale, 1, r.LastSeq, r.LastHash, r.CreatedAt, r.UpdatedAt})
	} else {
		w.updates = append(w.updates, []any{r.ID, r.Version, r.CustomerID, r.Status, r.State, r.Memory, r.Agent, r.Locale,
			r.UpdatedAt, r.LastSeq, r.LastHash})
	}
	for _, o := range t.Outbox {
		o := outboxToRow(o)
		w.outbox = append(w.outbox, []any{o.ID, o.Kind, o.ConversationID, o.Transport, o.Recipient, o.EventType, o.Payload,
			o.Status, o.Attempts, o.NextAttemptAt, o.ClaimedUntil, o.ClaimToken, o.LastError, o.ExternalID, o.CreatedAt, o.SentAt})
	}
	w.cols = append(w.cols, t.Collections...)
	for _, m := range mt.Marks {
		w.marks = append(w.marks, []any{m.InvoiceID, m.Key, m.CustomerID, m.Kind, m.OutboxID, m.Day.String(), m.At.UTC()})
	}
	return nil
}

func (w *batchWrite) write(c *passConn, tx *gorm.DB) error {
	err := updateConversations(c, w.updates)
	if err == nil {
		err = saveCollections(tx, w.cols)
	}
	if err == nil { // a unique violation: another writer started the conversation first
		err = insert(c, "conversations (id, customer_id, phone, transport, status, state, memory, agent, locale, version, "+
			"last_seq, last_hash, created_at, updated_at)", w.convs, bot.ErrVersionConflict)
	}
	if err == nil {
		err = insert(c, "transcript_entries (conversation_id, seq, at, direction, author, text, media, intent, state_from, "+
			"state_to, status, outbox_id, prev_hash, hash, content_hash)", w.entries, nil)
	}
	if err == nil {
		err = insert(c, "outbox (id, kind, conversation_id, transport, recipient, event_type, payload, status, attempts, "+
			"next_attempt_at, claimed_until, claim_token, last_error, external_id, created_at, sent_at)", w.outbox, nil)
	}
	if err == nil {
		err = insert(c, "reminder_log (invoice_id, step_key, customer_id, kind, outbox_id, sent_on, at)", w.marks, reminders.ErrAlreadyDone)
	}
	return err
}

// precheck refuses (reminders.ErrStale) an invoice paid, cancelled or re-dated since it was
// planned — the reminder would be untrue — and reads existing conversations' versions and heads.
func precheck(c *passConn, turns []reminders.MarkedTurn) (map[string]conversationRow, error) {
	ids, convIDs, due := turnKeys(turns)
	heads := map[string]conversationRow{}
	err := c.each(readQuery{sql: "SELECT id, status, due_date FROM invoices WHERE id " + idList, ids: ids, scan: planned(due)})
	if err == nil && len(due) > 0 {
		err = reminders.ErrStale
	}
	if err == nil {
		err = c.each(readQuery{sql: "SELECT id, version, last_seq, last_hash FROM conversations WHERE id " + idList, ids: convIDs,
			scan: readHead(heads)})
	}
	return heads, err
}

// turnKeys returns the invoices turns log steps of, the existing
// conversations they update, and each invoice's due date as planned.
func turnKeys(turns []reminders.MarkedTurn) (ids, convIDs []string, due map[string]string) {
	due = map[string]string{}
	for _, mt := range turns {
		if !mt.Turn.IsNew {
			convIDs = append(convIDs, mt.Turn.Conversation.ID)
		}
		for _, m := range mt.Marks {
			ids, due[m.InvoiceID] = append(ids, m.InvoiceID), m.DueDate
		}
	}
	return ids, convIDs, due
}

// planned scans invoices (id, status, due date), crossing off due those still as planned.
func planned(due map[string]string) func(rowScanner) error {
	return func(rows rowScanner) error {
		var id, st, d string
		err := rows.Scan(&id, &st, &d)
		if st == string(bot.InvoiceOpen) && due[id] == d {
			delete(due, id)
		}
		return err
	}
}

// readHead scans conversations (id, version, last seq and hash) into heads.
func readHead(heads map[string]conversationRow) func(rowScanner) error {
	return func(rows rowScanner) error {
		var r conversationRow
		err := rows.Scan(&r.ID, &r.Version, &r.LastSeq, &r.LastHash)
		heads[r.ID] = r
		return err
	}
}

// insert writes multi-row INSERTs, 64 rows each (the full chunk's statement
// is parsed once), and reports a unique violation as unique if set.
func insert(c *passConn, into string, rows [][]any, unique error) error {
	err := chunked(rows, 64, func(n int, args []any) error {
		_, err := c.exec("INSERT INTO "+into+" VALUES "+repeat("("+repeat("?", len(args)/n)+")", n), args...)
		return err
	})
	if err != nil && unique != nil && isUniqueViolation(err) {
		return unique
	}
	return err
}

// updateConversations writes state and heads (rows from add) still at their loaded version, else
// bot.ErrVersionConflict.
func updateConversations(c *passConn, rows [][]any) error {
	for _, r := range rows {
		n, err := c.exec(`UPDATE conversations SET customer_id = ?3, status = ?4, state = ?5, memory = ?6, agent = ?7,
		locale = ?8, updated_at = ?9, last_seq = ?10, last_hash = ?11, version = version + 1 WHERE id = ?1 AND version = ?2`, r...)
		if err != nil {
			return err
		}
		if n != 1 {
			return bot.ErrVersionConflict
		}
	}
	return nil
}

// chunked calls fn with the values of up to per rows at a time.
func chunked(rows [][]any, per int, fn func(n int, args []any) error) error {
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), per)]
		rows = rows[len(chunk):]
		var args []any
		for _, r := range chunk {
			args = append(args, r...)
		}
		if err := fn(len(chunk), args); err != nil {
			return err
		}
	}
	return nil
}

// wrapped returns v, or err with the store's prefix.
func wrapped[T any](v T, err error, what string) (T, error) {
	if err != nil {
		return *new(T), fmt.Errorf("store: %s: %w", what, err)
	}
	return v, nil
}

func repeat(row string, n int) string { return strings.Repeat(row+", ", n-1) + row }
