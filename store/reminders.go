package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
	"github.com/quitabot/quita/bot/transcript"
)

// passConn runs the statements of bot/reminders' persistence, thousands a
// pass, without gorm's reflection.
type passConn struct {
	ctx     context.Context
	pool    gorm.ConnPool
	dialect Dialect
	stmts   map[string]*sql.Stmt // SQLite writes: each shape parsed once per transaction, which closes them
}

// read runs fn's queries, on PostgreSQL with plans pinned (steer): stats lag
// a growing book — a new install imports a million invoices, then its first
// pass creates as many conversations and log rows — and planned from stale
// numbers, pages sorted every invoice after the cursor, lookups scanned
// whole tables, and the pass went quadratic.
func (s *Store) read(ctx context.Context, walk bool, fn func(c *passConn) error) error {
	c := &passConn{ctx: ctx, pool: s.Gorm.Statement.ConnPool, dialect: s.Dialect}
	if s.Dialect != Postgres {
		return fn(c)
	}
	tx, err := s.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	c.pool = tx
	if err := c.steer(walk); err != nil {
		return err
	}
	return fn(c)
}

func (s *Store) each(ctx context.Context, q string, ids, pre []string, scan func(*sql.Rows) error) error {
	return s.read(ctx, false, func(c *passConn) error { return c.each(q, ids, pre, scan) })
}

// steer rules out sequential scans for the rest of a PostgreSQL
// transaction (see read), and for a walk bitmap scans too: lookups by key
// stay bitmap-friendly, a keyset walk must follow the index to its limit.
func (c *passConn) steer(walk bool) error {
	if c.dialect != Postgres {
		return nil
	}
	_, err := c.exec("SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', ?, true)",
		map[bool]string{true: "off", false: "on"}[walk])
	return err
}

// prepare turns "?" into "$n" for PostgreSQL and asks pgx to plan this execution, not reuse a cached plan.
func (c *passConn) prepare(q string, args []any) (string, []any) {
	if c.dialect != Postgres {
		return q, args
	}
	parts := strings.Split(q, "?")
	var b strings.Builder
	for i, p := range parts[:len(parts)-1] {
		b.WriteString(p + "$" + strconv.Itoa(i+1))
	}
	return b.String() + parts[len(parts)-1], append([]any{pgx.QueryExecModeExec}, args...)
}

func (c *passConn) query(q string, args ...any) (*sql.Rows, error) {
	q, args = c.prepare(q, args)
	return c.pool.QueryContext(c.ctx, q, args...)
}

func (c *passConn) exec(q string, args ...any) (n int64, err error) {
	q, args = c.prepare(q, args)
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

// each runs q once per chunk of ids (parameters per statement are capped),
// "(?…)" standing for the chunk after pre's values, and scans every row.
func (c *passConn) each(q string, ids, pre []string, scan func(*sql.Rows) error) error {
	for len(ids) > 0 {
		part := ids[:min(len(ids), 500)]
		ids = ids[len(part):]
		var args []any
		for _, v := range append(append([]string{}, pre...), part...) {
			args = append(args, v)
		}
		rows, err := c.query(strings.Replace(q, "(?…)", "("+repeat("?", len(part))+")", 1), args...)
		if err == nil {
			err = scanAll(rows, scan)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func scanAll(rows *sql.Rows, scan func(*sql.Rows) error) (err error) {
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
// customer up to the cursor on each page).
func (s *Store) ReminderCandidates(ctx context.Context, q reminders.CandidateQuery) ([]reminders.Candidate, error) {
	var out []reminders.Candidate
	err := s.read(ctx, true, func(c *passConn) error {
		var ids, customerIDs []string
		customers, cols := map[string]bot.Customer{}, map[string]bot.Collection{}
		rows, err := c.query(`SELECT id, customer_id, amount_cents, currency, due_date, description, payment_link,
		pix_copy_paste, boleto_line, pdf_url FROM invoices i WHERE status = ? AND (customer_id, id) > (?, ?)
		AND (due_date BETWEEN ? AND ? OR EXISTS (SELECT 1 FROM collections col WHERE col.invoice_id = i.id
		AND col.status IN (?, ?, ?, ?) AND col.until >= ?)) ORDER BY customer_id, id LIMIT ?`,
			string(bot.InvoiceOpen), q.AfterCustomer, q.AfterInvoice, q.DueFrom, q.DueTo, string(bot.CollectionPlan),
			string(bot.CollectionExtended), string(bot.CollectionPromised), string(bot.CollectionClaimed), q.UntilFrom, q.Limit)
		if err == nil {
			err = scanAll(rows, func(rows *sql.Rows) error {
				inv := bot.Invoice{Status: bot.InvoiceOpen}
				err := rows.Scan(&inv.ID, &inv.CustomerID, &inv.AmountCents, &inv.Currency, &inv.DueDate, &inv.Description,
					&inv.Payment.Link, &inv.Payment.PixCopyPaste, &inv.Payment.BoletoLine, &inv.PDFURL)
				if len(customerIDs) == 0 || customerIDs[len(customerIDs)-1] != inv.CustomerID {
					customerIDs = append(customerIDs, inv.CustomerID)
				}
				ids, out = append(ids, inv.ID), append(out, reminders.Candidate{Invoice: inv})
				return err
			})
		}
		if err == nil {
			err = c.each("SELECT id, external_id, name, phone, email, document, locale, tags FROM customers WHERE id IN (?…)",
				customerIDs, nil, func(rows *sql.Rows) error {
					var r customerRow
					err := rows.Scan(&r.ID, &r.ExternalID, &r.Name, &r.Phone, &r.Email, &r.Document, &r.Locale, &r.Tags)
					customers[r.ID] = r.toDomain()
					return err
				})
		}
		if err == nil {
			err = c.each("SELECT invoice_id, status, until, detail FROM collections WHERE invoice_id IN (?…)", ids, nil,
				func(rows *sql.Rows) error {
					var col bot.Collection
					var detail string
					err := rows.Scan(&col.InvoiceID, &col.Status, &col.Until, &detail)
					col.Detail = []byte(detail)
					cols[col.InvoiceID] = col
					return err
				})
		}
		for i, o := range out {
			out[i].Customer, out[i].Collection = customers[o.Invoice.CustomerID], cols[o.Invoice.ID]
		}
		return err
	})
	return wrapped(out, err, "reminder candidates")
}

// ReminderLog returns the reminder log of the given invoices.
func (s *Store) ReminderLog(ctx context.Context, invoiceIDs []string) (map[string]map[string]reminders.Logged, error) {
	out := map[string]map[string]reminders.Logged{}
	err := s.each(ctx, "SELECT invoice_id, step_key, kind, sent_on FROM reminder_log WHERE invoice_id IN (?…)", invoiceIDs, nil,
		func(rows *sql.Rows) error {
			var id, key, kind, on string
			err := rows.Scan(&id, &key, &kind, &on)
			if out[id] == nil {
				out[id] = map[string]reminders.Logged{}
			}
			day, _ := policy.ParseDate(on)
			out[id][key] = reminders.Logged{Kind: kind, Day: day}
			return err
		})
	return wrapped(out, err, "reminder log")
}

// ReminderCounts returns each customer's proactive messages today and in the
// seven days ending today: outbox ids, not rows (one message, many invoices).
func (s *Store) ReminderCounts(ctx context.Context, customerIDs []string, today policy.Date) (map[string]reminders.Counts, error) {
	out := map[string]reminders.Counts{}
	day := today.String()
	err := s.each(ctx, `SELECT customer_id, sent_on, COUNT(DISTINCT outbox_id) FROM reminder_log WHERE sent_on >= ?
		AND sent_on <= ? AND outbox_id <> '' AND customer_id IN (?…) GROUP BY customer_id, sent_on`,
		customerIDs, []string{today.AddDays(-6).String(), day}, func(rows *sql.Rows) error {
			var id, on string
			var n int
			err := rows.Scan(&id, &on, &n)
			c := out[id]
			if c.Week += n; on == day {
				c.Today += n
			}
			out[id] = c
			return err
		})
	return wrapped(out, err, "reminder counts")
}

// ConversationsByPhones returns the conversations of any of phones on any of
// transports, which lets the lookup use the unique (transport, phone) index.
func (s *Store) ConversationsByPhones(ctx context.Context, transports, phones []string) ([]bot.Conversation, error) {
	var out []bot.Conversation
	err := s.each(ctx, `SELECT id, customer_id, phone, transport, status, state, memory, agent, locale, version, created_at,
		updated_at FROM conversations WHERE transport IN (`+repeat("?", len(transports))+`) AND phone IN (?…)`,
		phones, transports, func(rows *sql.Rows) error {
			var r conversationRow
			err := rows.Scan(&r.ID, &r.CustomerID, &r.Phone, &r.Transport, &r.Status, &r.State, &r.Memory, &r.Agent,
				&r.Locale, &r.Version, &r.CreatedAt, &r.UpdatedAt)
			out = append(out, r.toDomain())
			return err
		})
	return wrapped(out, err, "conversations by phones")
}

// CommitReminderTurns writes many turns and their log rows in one
// transaction, all or nothing, failing with bot.ErrVersionConflict (a
// conversation changed since it was loaded), reminders.ErrAlreadyDone (a mark
// exists: another pass did it) or reminders.ErrStale (see precheck).
func (s *Store) CommitReminderTurns(ctx context.Context, turns []reminders.MarkedTurn) error {
	_, err := wrapped(0, s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c := &passConn{ctx: ctx, pool: tx.Statement.ConnPool, dialect: s.Dialect}
		if s.Dialect == SQLite { // re-parsing large INSERTs for every chunk took a fifth of a commit
			c.stmts = map[string]*sql.Stmt{}
		}
		if err := c.steer(false); err != nil {
			return err
		}
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
			e.StateFrom, e.StateTo, e.Status, e.OutboxID, e.PrevHash, e.Hash})
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
			"state_to, status, outbox_id, prev_hash, hash)", w.entries, nil)
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
	due, heads := map[string]string{}, map[string]conversationRow{}
	var ids, convIDs []string
	for _, mt := range turns {
		if !mt.Turn.IsNew {
			convIDs = append(convIDs, mt.Turn.Conversation.ID)
		}
		for _, m := range mt.Marks {
			ids, due[m.InvoiceID] = append(ids, m.InvoiceID), m.DueDate
		}
	}
	err := c.each("SELECT id, status, due_date FROM invoices WHERE id IN (?…)", ids, nil, func(rows *sql.Rows) error {
		var id, st, d string
		err := rows.Scan(&id, &st, &d)
		if st == string(bot.InvoiceOpen) && due[id] == d {
			delete(due, id) // as planned
		}
		return err
	})
	if err == nil && len(due) > 0 {
		err = reminders.ErrStale
	}
	if err == nil {
		err = c.each("SELECT id, version, last_seq, last_hash FROM conversations WHERE id IN (?…)", convIDs, nil, func(rows *sql.Rows) error {
			var r conversationRow
			err := rows.Scan(&r.ID, &r.Version, &r.LastSeq, &r.LastHash)
			heads[r.ID] = r
			return err
		})
	}
	return heads, err
}

// insert writes multi-row INSERTs (64 rows on SQLite, where the full chunk's
// statement is parsed once) and reports a unique violation as unique if set.
func insert(c *passConn, into string, rows [][]any, unique error) error {
	per := 64
	if c.dialect == Postgres && len(rows) > 0 {
		per = 30000 / len(rows[0]) // PostgreSQL takes at most 65,535 parameters
	}
	err := chunked(rows, per, func(n int, args []any) error {
		_, err := c.exec("INSERT INTO "+into+" VALUES "+repeat("("+repeat("?", len(args)/n)+")", n), args...)
		return err
	})
	if err != nil && unique != nil && isUniqueViolation(err) {
		return unique
	}
	return err
}

// updateConversations writes state and heads (rows from add) still at their loaded version, else
// bot.ErrVersionConflict; PostgreSQL 500 per statement from a VALUES list.
func updateConversations(c *passConn, rows [][]any) error {
	const sqlite = `UPDATE conversations SET customer_id = ?3, status = ?4, state = ?5, memory = ?6, agent = ?7,
		locale = ?8, updated_at = ?9, last_seq = ?10, last_hash = ?11, version = version + 1 WHERE id = ?1 AND version = ?2`
	const row = "(CAST(? AS text), CAST(? AS bigint), CAST(? AS text), CAST(? AS text), CAST(? AS text), CAST(? AS text), " +
		"CAST(? AS text), CAST(? AS text), CAST(? AS timestamptz), CAST(? AS bigint), CAST(? AS text))"
	var affected int64
	err := chunked(rows, map[Dialect]int{SQLite: 1, Postgres: 500}[c.dialect], func(n int, args []any) error {
		q := sqlite
		if c.dialect == Postgres {
			q = `UPDATE conversations AS c SET customer_id = v.customer_id, status = v.status, state = v.state, memory = v.memory,
				agent = v.agent, locale = v.locale, updated_at = v.updated_at, last_seq = v.last_seq, last_hash = v.last_hash,
				version = c.version + 1 FROM (VALUES ` + repeat(row, n) + `) AS v (id, version, customer_id, status, state,
				memory, agent, locale, updated_at, last_seq, last_hash) WHERE c.id = v.id AND c.version = v.version`
		}
		m, err := c.exec(q, args...)
		affected += m
		return err
	})
	if err == nil && affected != int64(len(rows)) {
		err = bot.ErrVersionConflict
	}
	return err
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
