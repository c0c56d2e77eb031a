package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/quitabot/quita/bot"
)

// ImportRow is one customer and invoice of a bulk import, already
// validated. NewCustomerID is used only when no customer matches.
type ImportRow struct {
	Customer      bot.Customer
	Invoice       bot.Invoice
	NewCustomerID string
}

// RowError is a row of a batch the database refused; Index is its
// position in the batch.
type RowError struct {
	Index int
	Err   error
}

// BatchError lists the rows of a batch that failed while the others were
// applied.
type BatchError struct {
	Rows []RowError
}

// Error implements error.
func (e *BatchError) Error() string {
	msgs := make([]string, 0, 3)
	for i, r := range e.Rows {
		if i == 3 {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(e.Rows)-3))
			break
		}
		msgs = append(msgs, fmt.Sprintf("row %d: %v", r.Index, r.Err))
	}
	return fmt.Sprintf("store: %d row(s) of the batch failed: %s", len(e.Rows), strings.Join(msgs, "; "))
}

// ApplyInvoices applies a batch with ApplyInvoice's semantics (customer
// found by external id, else phone; same content changes nothing; paid and
// cancelled stay final), in order, in one transaction: on SQLite a commit
// costs a sync, so one per row would bound an import at a few hundred rows
// per second. Callers should keep batches to some hundreds of rows.
//
// When the transaction fails, the batch is retried row by row so one row
// the database refuses does not cost the others: the result is then a
// *BatchError naming the failed rows. On any error, changes[i] is non-empty
// exactly for the rows that were applied. When the database itself is gone
// (the connection, not a row, is the problem) or ctx ends, the error is
// returned as is.
func (s *Store) ApplyInvoices(ctx context.Context, batch []ImportRow) ([]InvoiceChange, error) {
	changes := make([]InvoiceChange, len(batch))
	err := s.applyBatch(ctx, batch, changes)
	if err == nil {
		return changes, nil
	}
	clear(changes) // the transaction rolled back: nothing of it stands
	if ctx.Err() != nil {
		return changes, ctx.Err()
	}
	if perr := s.Ping(ctx); perr != nil {
		return changes, fmt.Errorf("store: apply invoices: %w (database unreachable: %v)", err, perr)
	}
	var failed BatchError
	for i, r := range batch {
		ch, _, err := s.ApplyInvoice(ctx, r.Customer, r.Invoice, r.NewCustomerID)
		if err == nil {
			changes[i] = ch
			continue
		}
		if ctx.Err() != nil {
			return changes, ctx.Err()
		}
		failed.Rows = append(failed.Rows, RowError{Index: i, Err: err})
	}
	if len(failed.Rows) == 0 {
		// The batch failed for a reason that went away (a lock timeout): every row is in.
		return changes, nil
	}
	return changes, &failed
}

// applyBatch applies every row in one transaction whose statements are
// prepared once: SQLite spent a third of an import parsing the same four
// statements again for every row.
func (s *Store) applyBatch(ctx context.Context, batch []ImportRow, changes []InvoiceChange) error {
	sqlTx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	pool := &stmtCache{tx: sqlTx, stmts: map[string]*sql.Stmt{}}
	defer func() {
		pool.close()
		_ = sqlTx.Rollback() // a no-op after Commit; undoes an error or a panic
	}()
	// As gorm's own Begin does: a session whose statements go to the
	// transaction.
	tx := s.Gorm.WithContext(ctx)
	tx.Statement.ConnPool = pool
	for i, r := range batch {
		ch, _, err := applyInvoiceTx(tx, r.Customer, r.Invoice, r.NewCustomerID)
		if err != nil {
			return fmt.Errorf("invoice %s: %w", r.Invoice.ID, err)
		}
		changes[i] = ch
	}
	return sqlTx.Commit()
}

// stmtCache is a gorm connection pool over one transaction that prepares
// each distinct query once and reuses it for the transaction's life.
type stmtCache struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

// PrepareContext implements gorm.ConnPool.
func (c *stmtCache) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return c.stmt(ctx, query)
}

// ExecContext implements gorm.ConnPool.
func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext implements gorm.ConnPool.
func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext implements gorm.ConnPool.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return c.tx.QueryRowContext(ctx, query, args...) // carries the same error to Scan
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *stmtCache) close() {
	for _, st := range c.stmts {
		_ = st.Close()
	}
}
