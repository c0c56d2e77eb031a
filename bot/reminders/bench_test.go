package reminders_test

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// benchInvoices is the size of BenchmarkRemindersRun's book of invoices:
// QUITA_BENCH_REMINDER_INVOICES, default 100,000.
func benchInvoices() int {
	if n, err := strconv.Atoi(os.Getenv("QUITA_BENCH_REMINDER_INVOICES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkRemindersRun measures one reminder pass over a book of N open
// invoices (1–3 per debtor, all with a step due): selection from the
// database in batches, planning, rendering through the flows and locale
// catalogs, and queueing (conversations, transcript, outbox and reminder
// log committed). Sending is not included. "first_contact" is the pass
// that opens every conversation; "next_step" the one after, which updates
// them. Run with -benchtime=1x; see docs/benchmarks.md.
func BenchmarkRemindersRun(b *testing.B) {
	n := benchInvoices()
	// The collector's target the service runs with (cmd/quita's main).
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	bot.TuneGC()
	for _, backend := range storetest.Backends() {
		for _, phase := range []string{"first_contact", "next_step"} {
			b.Run(backend.Name+"/"+phase, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					u := freshURL(b, backend.Name)
					clk := clock.NewManual(time.Date(2026, 11, 30, 10, 0, 0, 0, saoPaulo))
					in := newInstance(b, u, coord.NewMemory(), clk, 1000)
					invoices := bulkSeed(b, in.st, n)
					if phase == "next_step" {
						if _, err := in.runner.RunDue(context.Background(), clk.Now()); err != nil {
							b.Fatal(err)
						}
						_ = clk.Set(time.Date(2026, 12, 2, 10, 0, 0, 0, saoPaulo))
					}
					b.StartTimer()
					start, goCPU, dbCPU := time.Now(), selfCPU(), postgresCPU()
					rep, err := in.runner.RunDue(context.Background(), clk.Now())
					took := time.Since(start)
					goCPU, dbCPU = selfCPU()-goCPU, postgresCPU()-dbCPU
					if err != nil {
						b.Fatal(err)
					}
					if rep.Sent != invoices {
						b.Fatalf("sent %d of %d: %+v", rep.Sent, invoices, rep)
					}
					b.ReportMetric(float64(rep.Sent)/took.Seconds(), "reminders/s")
					b.ReportMetric(float64(rep.Messages)/took.Seconds(), "messages/s")
					// CPU per 100k reminders, this process's and the local
					// PostgreSQL server's: on a host where both share the
					// cores it tells where the time goes better than the
					// wall clock, which swings with whatever else runs.
					per := 100_000 / float64(rep.Sent)
					b.ReportMetric(goCPU.Seconds()*per, "go-cpu-s/100k")
					if backend.Name == "postgres" && dbCPU > 0 {
						b.ReportMetric(dbCPU.Seconds()*per, "db-cpu-s/100k")
					}
				}
			})
		}
	}
}

// bulkSeed loads debtors with 1–3 invoices each, n invoices in all, due
// Wednesday 02/12/2026, with multi-row inserts (UpsertInvoice one by one
// would take longer than the pass being measured).
func bulkSeed(b testing.TB, st *store.Store, n int) int {
	b.Helper()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var custArgs, invArgs []any
	var custRows, invRows []string
	flush := func(force bool) {
		if len(invRows) >= 500 || force && len(invRows) > 0 {
			if len(custRows) > 0 {
				if err := st.Gorm.Exec("INSERT INTO customers (id, name, phone, created_at, updated_at) VALUES "+strings.Join(custRows, ","), custArgs...).Error; err != nil {
					b.Fatal(err)
				}
			}
			if err := st.Gorm.Exec("INSERT INTO invoices (id, customer_id, amount_cents, currency, due_date, description, status, created_at, updated_at) VALUES "+
				strings.Join(invRows, ","), invArgs...).Error; err != nil {
				b.Fatal(err)
			}
			custArgs, invArgs, custRows, invRows = nil, nil, nil, nil
		}
	}
	made := 0
	for c := 0; made < n; c++ {
		id := fmt.Sprintf("cus_%07d", c)
		custRows = append(custRows, "(?, ?, ?, ?, ?)")
		custArgs = append(custArgs, id, fmt.Sprintf("Cliente %d", c), fmt.Sprintf("+55119%08d", c), at, at)
		for k := 0; k <= c%3 && made < n; k++ {
			invRows = append(invRows, "(?, ?, ?, 'BRL', '2026-12-02', 'Fatura', 'open', ?, ?)")
			invArgs = append(invArgs, fmt.Sprintf("INV-%07d-%d", c, k), id, 5000+int64(c%1000), at, at)
			made++
		}
		flush(false)
	}
	flush(true)
	return made
}
