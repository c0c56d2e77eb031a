package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

// benchReportInvoices is the size of BenchmarkCollectionReport's book:
// QUITA_BENCH_REPORT_INVOICES, default 100,000.
func benchReportInvoices() int {
	if n, err := strconv.Atoi(os.Getenv("QUITA_BENCH_REPORT_INVOICES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkCollectionReport measures one 30-day collection report over a
// book of N invoices with 90 days of history: two invoices per debtor, one
// reminder.sent event per invoice spread over the 90 days (a third of them
// in the period), a conversation with two debtor messages for every other
// debtor, 30 % of the invoices paid and a promise for every 20th. The book
// is bulk-inserted with SQL (building it through the real write paths
// would take longer than the figure is worth); the counting rules
// themselves are tested through those paths in reports_test.go. Run with
// -benchtime=1x; see docs/benchmarks.md.
func BenchmarkCollectionReport(b *testing.B) {
	n := benchReportInvoices()
	for _, backend := range storetest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			s := backend.Open(b)
			end := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
			seedReportBook(b, s, n, end)
			q := store.ReportQuery{From: policy.NewDate(2026, 12, 2), To: policy.NewDate(2026, 12, 31), Today: policy.NewDate(2026, 12, 31),
				DefaultAfterDays: 60}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				r, err := s.CollectionReport(context.Background(), q)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/report")
				if i == 0 {
					b.Logf("%d invoices: %d reminders, %d paid, %d promises, %d conversations in the period", n, r.Reminders.Sent, r.Paid, r.PromisesMade, r.Started)
				}
			}
		})
	}
}

// seedReportBook bulk-inserts the benchmark's book, history ending at end.
func seedReportBook(b *testing.B, s *store.Store, n int, end time.Time) {
	b.Helper()
	ctx := context.Background()
	bulk := newBulk(b, s)
	day := func(i int) time.Time {
		return end.Add(-time.Duration(i%90) * 24 * time.Hour).Add(-time.Duration(i%600) * time.Minute)
	}
	for i := 0; i < n/2+1; i++ {
		cust := fmt.Sprintf("cus_%07d", i)
		bulk.add("customers (id, name, phone, created_at, updated_at)", cust, "Cliente", fmt.Sprintf("+55119%08d", i), end, end)
		if i%2 == 0 {
			conv := fmt.Sprintf("cnv_%07d", i)
			at := day(i)
			bulk.add("conversations (id, customer_id, phone, transport, status, state, created_at, updated_at)",
				conv, cust, fmt.Sprintf("+55119%08d", i), "sim", "open", "menu", at, at)
			for seq := 1; seq <= 2; seq++ {
				bulk.add("transcript_entries (conversation_id, seq, at, direction, author, prev_hash, hash)",
					conv, seq, at.Add(time.Duration(seq)*7*time.Hour), "in", "debtor", "", "")
			}
		}
	}
	bulk.flush()
	for i := 0; i < n; i++ {
		inv, cust := fmt.Sprintf("INV-%07d", i), fmt.Sprintf("cus_%07d", i/2)
		due := policy.DateOf(day(i)).AddDays(-1 - i%5)
		status := "open"
		if i%10 < 3 {
			status = "paid"
		}
		bulk.add("invoices (id, customer_id, amount_cents, currency, due_date, status, created_at, updated_at)",
			inv, cust, 1000+i%9000, "BRL", due.String(), status, end, end)
	}
	bulk.flush()
	for i := 0; i < n; i++ {
		inv, conv := fmt.Sprintf("INV-%07d", i), fmt.Sprintf("cnv_%07d", i/2)
		at := day(i)
		payload := fmt.Sprintf(`{"type":"reminder.sent","created_at":%q,"data":{"conversation_id":%q,"invoice_ids":[%q],"invoice_id":%q,"step":"d+1","tone":"friendly"}}`,
			at.Format(time.RFC3339), conv, inv, inv)
		bulk.add("outbox (id, kind, conversation_id, event_type, payload, status, next_attempt_at, created_at)",
			fmt.Sprintf("evt_r%07d", i), "event", conv, "reminder.sent", payload, "sent", at, at)
		if i%20 == 0 {
			payload := fmt.Sprintf(`{"type":"promise.created","data":{"invoice_id":%q,"date":%q,"amount_cents":1000}}`,
				inv, policy.DateOf(at).AddDays(5).String())
			bulk.add("outbox (id, kind, conversation_id, event_type, payload, status, next_attempt_at, created_at)",
				fmt.Sprintf("evt_p%07d", i), "event", conv, "promise.created", payload, "sent", at.Add(time.Hour), at.Add(time.Hour))
		}
		if i%10 < 3 {
			paid := at.Add(time.Duration(1+i%200) * time.Hour)
			bulk.add("invoice_settlements (invoice_id, kind, at, on_date, amount_cents, days_late, contacted)",
				inv, "paid", paid, policy.DateOf(paid).String(), 1000+i%9000, 1+i%5, 1)
		}
	}
	bulk.flush()
	// Both engines plan from statistics, which a live database keeps.
	if err := s.Gorm.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
}

// bulkInsert batches multi-row INSERTs per table.
type bulkInsert struct {
	b     *testing.B
	s     *store.Store
	rows  map[string][][]any
	order []string // tables in the order first added, so parents go first
}

func newBulk(b *testing.B, s *store.Store) *bulkInsert {
	return &bulkInsert{b: b, s: s, rows: map[string][][]any{}}
}

func (w *bulkInsert) add(into string, values ...any) {
	if _, ok := w.rows[into]; !ok {
		w.order = append(w.order, into)
	}
	w.rows[into] = append(w.rows[into], values)
	if len(w.rows[into]) >= 500 {
		w.flush()
	}
}

func (w *bulkInsert) flush() {
	for _, into := range w.order {
		w.write(into)
	}
}

func (w *bulkInsert) write(into string) {
	rows := w.rows[into]
	if len(rows) == 0 {
		return
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ") + ")"
	var args []any
	tuples := make([]string, len(rows))
	for i, r := range rows {
		tuples[i] = one
		args = append(args, r...)
	}
	if err := w.s.Gorm.Exec("INSERT INTO "+into+" VALUES "+strings.Join(tuples, ", "), args...).Error; err != nil {
		w.b.Fatal(err)
	}
	w.rows[into] = rows[:0]
}
