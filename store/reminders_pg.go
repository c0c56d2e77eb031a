package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/reminders"
)

// commitPostgres is CommitReminderTurns on PostgreSQL, in one transaction
// on the pgx connection under database/sql: rows whose keys are fresh
// (new conversations, transcript entries, outbox items) go in by COPY, the
// reminder log — the claim — and the guarded conversation updates by one
// statement each over arrays (one shape, whatever the batch's size, so it
// is parsed once per connection). A COPY has no ON CONFLICT, and needs
// none here: a unique violation (another writer started the conversation
// first) fails it as it fails an INSERT, and the transaction with it.
func (s *Store) commitPostgres(ctx context.Context, turns []reminders.MarkedTurn) error {
	if _, inTx := s.Gorm.Statement.ConnPool.(gorm.TxCommitter); inTx {
		return errors.New("reminder turns commit in a transaction of their own, not inside WithTx")
	}
	return s.pgConn(ctx, func(c *pgx.Conn) error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		// After a failure the connection is in an aborted transaction
		// (or closed): roll back whatever the context.
		defer tx.Rollback(context.WithoutCancel(ctx))
		if err := pgTurns(ctx, tx, turns); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

func pgTurns(ctx context.Context, tx pgx.Tx, turns []reminders.MarkedTurn) error {
	heads, err := pgPrecheck(ctx, tx, turns)
	if err != nil {
		return err
	}
	var w batchWrite
	for _, mt := range turns {
		if err := w.add(mt, heads); err != nil {
			return err
		}
	}
	if len(w.updates) > 0 {
		u := transpose(w.updates)
		tag, err := tx.Exec(ctx, `UPDATE conversations AS c SET customer_id = v.customer_id, status = v.status, state = v.state,
			memory = v.memory, agent = v.agent, locale = v.locale, updated_at = v.updated_at, last_seq = v.last_seq,
			last_hash = v.last_hash, version = c.version + 1
			FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::timestamptz[], $10::bigint[], $11::text[]) AS v (id, version, customer_id, status, state, memory, agent, locale,
			updated_at, last_seq, last_hash) WHERE c.id = v.id AND c.version = v.version`, u...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != int64(len(w.updates)) {
			return bot.ErrVersionConflict
		}
	}
	for _, c := range w.cols {
		if _, err := tx.Exec(ctx, `INSERT INTO collections (invoice_id, status, until, detail, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (invoice_id) DO UPDATE SET status = excluded.status, until = excluded.until, detail = excluded.detail,
			updated_at = excluded.updated_at`, c.InvoiceID, string(c.Status), c.Until, string(c.Detail), c.UpdatedAt.UTC()); err != nil {
			return err
		}
	}
	if err := pgCopy(ctx, tx, "conversations", convColumns, w.convs, bot.ErrVersionConflict); err != nil {
		return err
	}
	if len(w.marks) > 0 { // the claim: a key logged by another pass fails the batch
		_, err := tx.Exec(ctx, `INSERT INTO reminder_log (invoice_id, step_key, customer_id, kind, outbox_id, sent_on, at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])`,
			transpose(w.marks)...)
		if err != nil {
			if isUniqueViolation(err) {
				return reminders.ErrAlreadyDone
			}
			return err
		}
	}
	if err := pgCopy(ctx, tx, "transcript_entries", entryColumns, w.entries, nil); err != nil {
		return err
	}
	return pgCopy(ctx, tx, "outbox", outboxColumns, w.outbox, nil)
}

var (
	convColumns = []string{"id", "customer_id", "phone", "transport", "status", "state", "memory", "agent", "locale", "version",
		"last_seq", "last_hash", "created_at", "updated_at"}
	entryColumns = []string{"conversation_id", "seq", "at", "direction", "author", "text", "media", "intent", "state_from",
		"state_to", "status", "outbox_id", "prev_hash", "hash", "content_hash"}
	outboxColumns = []string{"id", "kind", "conversation_id", "transport", "recipient", "event_type", "payload", "status", "attempts",
		"next_attempt_at", "claimed_until", "claim_token", "last_error", "external_id", "created_at", "sent_at"}
)

func pgCopy(ctx context.Context, tx pgx.Tx, table string, columns []string, rows [][]any, unique error) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
	if err != nil && unique != nil && isUniqueViolation(err) {
		return unique
	}
	return err
}

// pgPrecheck is precheck in one round trip, which also steers the
// transaction's plans (steerWrite).
func pgPrecheck(ctx context.Context, tx pgx.Tx, turns []reminders.MarkedTurn) (map[string]conversationRow, error) {
	ids, convIDs, due := turnKeys(turns)
	heads := map[string]conversationRow{}
	err := pgBatch(ctx, tx, steerWrite, []readQuery{
		{sql: "SELECT id, status, due_date FROM invoices WHERE id " + idList, ids: ids, scan: planned(due)},
		{sql: "SELECT id, version, last_seq, last_hash FROM conversations WHERE id " + idList, ids: convIDs, scan: readHead(heads)},
	})
	if err == nil && len(due) > 0 {
		err = reminders.ErrStale
	}
	return heads, err
}

// pgReads runs qs on a connection of the pool in one round trip.
func (s *Store) pgReads(ctx context.Context, walk bool, qs []readQuery) error {
	steer := steerRead
	if walk {
		steer = steerWalk
	}
	return s.pgConn(ctx, func(c *pgx.Conn) error { return pgBatch(ctx, c, steer, qs) })
}

// pgConn runs fn on the pgx connection under one of the pool's.
func (s *Store) pgConn(ctx context.Context, fn func(c *pgx.Conn) error) error {
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("not a pgx connection")
		}
		return fn(sc.Conn())
	})
}

// Plans are steered for the rest of the transaction — a batch is one —
// because statistics lag a growing book: a new install imports a million
// invoices, then its first pass creates as many conversations and log
// rows, and planned from stale numbers pages sorted every invoice after
// the cursor and lookups scanned whole tables: the pass went quadratic.
// Sequential scans are off, and for a keyset walk bitmap scans too:
// lookups by key stay bitmap-friendly, a walk must follow the index to
// its limit. Statements are prepared once per connection (parsing is the
// server's work too); reads are planned for each execution's values
// (force_custom_plan), but never a commit's transaction: there it would
// re-plan the foreign-key check of every row inserted, which took a
// sixth of the server's time.
const (
	steerWrite = "SELECT set_config('enable_seqscan', 'off', true)"
	steerRead  = "SELECT set_config('enable_seqscan', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)"
	steerWalk  = "SELECT set_config('enable_seqscan', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true), " +
		"set_config('enable_bitmapscan', 'off', true)"
)

// querier is a pgx connection or transaction.
type querier interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// pgBatch runs steer then qs in one round trip ("IN (?…)" becomes "= ANY" of one array).
func pgBatch(ctx context.Context, c querier, steer string, qs []readQuery) error {
	var b pgx.Batch
	b.Queue(steer)
	for _, q := range qs {
		sql, args := q.sql, q.args
		switch {
		case q.pg != "":
			sql, args = q.pg, q.pgArgs
		case strings.Contains(sql, idList):
			if len(q.ids) == 0 {
				continue
			}
			sql, args = strings.Replace(sql, idList, "= ANY(?)", 1), append(append([]any{}, args...), q.ids)
		}
		scan := q.scan
		b.Queue(dollars(sql), args...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				if err := scan(rows); err != nil {
					return err
				}
			}
			return rows.Err()
		})
	}
	return c.SendBatch(ctx, &b).Close()
}

// dollars numbers "?" placeholders as PostgreSQL's "$n".
func dollars(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// transpose turns rows into one slice per column, typed after the first
// row's values, for unnest.
func transpose(rows [][]any) []any {
	cols := make([]any, len(rows[0]))
	for j := range cols {
		switch rows[0][j].(type) {
		case string:
			cols[j] = column[string](rows, j)
		case *string:
			cols[j] = column[*string](rows, j)
		case int64:
			cols[j] = column[int64](rows, j)
		case int:
			cols[j] = column[int](rows, j)
		case time.Time:
			cols[j] = column[time.Time](rows, j)
		default:
			cols[j] = columnOf(rows, j)
		}
	}
	return cols
}

func column[T any](rows [][]any, j int) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = r[j].(T)
	}
	return out
}

func columnOf(rows [][]any, j int) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r[j]
	}
	return out
}
