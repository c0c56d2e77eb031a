package reminders_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/nlu"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

var saoPaulo, _ = time.LoadLocation("America/Sao_Paulo")

// instance is one Quita process as far as reminders go: its own database
// handle, engine (actors), sender and runner.
type instance struct {
	st     *store.Store
	engine *engine.Engine
	sender *engine.Sender
	runner *reminders.Runner
}

// newInstance opens rawURL (already migrated) as one more instance.
func newInstance(t testing.TB, rawURL string, co bot.Coordinator, clk bot.Clock, batch int) *instance {
	t.Helper()
	st, err := store.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	classifier, err := nlu.New(locales.NLUFiles)
	if err != nil {
		t.Fatal(err)
	}
	ids := bot.NewIDs()
	e, err := engine.New(engine.Config{Store: st, Classifier: classifier, Catalog: catalog, Policy: policy.Default(), Clock: clk,
		IDs: ids, Coord: co, Location: saoPaulo, Transports: []string{sim.Name}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	r, err := reminders.New(reminders.Config{Store: st, Engine: e, Policy: policy.Default(), Location: saoPaulo, BatchSize: batch})
	if err != nil {
		t.Fatal(err)
	}
	return &instance{st: st, engine: e, sender: engine.NewSender(st, clk, nil, nil, sim.New(st, clk, ids)), runner: r}
}

// freshURL returns a migrated database for backend.
func freshURL(t testing.TB, backend string) string {
	t.Helper()
	u := storetest.URLFor(t, backend)
	st, err := store.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return u
}

// coordinator is the shared Redis when QUITA_TEST_REDIS_URL is set, else
// none shared: each instance gets its own in-process one, the harder case,
// where only the database keeps them from sending twice.
func coordinator(t testing.TB) func() bot.Coordinator {
	url := os.Getenv("QUITA_TEST_REDIS_URL")
	if url == "" {
		return func() bot.Coordinator { return coord.NewMemory() }
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	r, err := coord.NewRedis(context.Background(), url, coord.WithPrefix("quita_test_"+hex.EncodeToString(b)+":"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return func() bot.Coordinator { return r }
}

// debtorCount is how many debtors the exactly-once tests use;
// QUITA_TEST_REMINDER_DEBTORS raises it (the run is 10000).
func debtorCount() int {
	if n, err := strconv.Atoi(os.Getenv("QUITA_TEST_REMINDER_DEBTORS")); err == nil && n > 0 {
		return n
	}
	return 300
}

// seed loads n debtors with 1–3 invoices each, all due Wednesday 02/12/2026.
func seed(t testing.TB, st *store.Store, n int) int {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	invoices := 0
	for i := 0; i < n; i++ {
		c := bot.Customer{ID: fmt.Sprintf("cus_%06d", i), Name: fmt.Sprintf("Cliente %d", i), Phone: fmt.Sprintf("+55119%08d", i),
			CreatedAt: at, UpdatedAt: at}
		for k := 0; k <= i%3; k++ {
			inv := bot.Invoice{ID: fmt.Sprintf("INV-%06d-%d", i, k), CustomerID: c.ID, AmountCents: 5000 + int64(i), Currency: "BRL",
				DueDate: "2026-12-02", Description: "Fatura", Status: bot.InvoiceOpen, CreatedAt: at, UpdatedAt: at}
			if err := st.UpsertInvoice(ctx, c, inv); err != nil {
				t.Fatal(err)
			}
			invoices++
		}
	}
	return invoices
}

// passDays are the mornings the tests run passes on, 30/11 to 09/12.
func passDays() []time.Time {
	var out []time.Time
	for d := 0; d < 10; d++ {
		out = append(out, time.Date(2026, 11, 30, 10, 0, 0, 0, saoPaulo).AddDate(0, 0, d))
	}
	return out
}

// checkExactlyOnce verifies what the simulator delivered: every invoice
// got exactly the steps the cadence has for these days (D-3 on Monday,
// D0, D+1, D+7), each in exactly one delivered message, no debtor got two
// messages in a day, and no delivered message is unaccounted for.
func checkExactlyOnce(t *testing.T, st *store.Store, invoices int) {
	t.Helper()
	var logRows []struct {
		InvoiceID string
		StepKey   string
		OutboxID  string
	}
	if err := st.Gorm.Raw("SELECT invoice_id, step_key, outbox_id FROM reminder_log WHERE kind = 'sent'").Scan(&logRows).Error; err != nil {
		t.Fatal(err)
	}
	var sims []struct {
		OutboxID  string
		Recipient string
		At        time.Time
	}
	if err := st.Gorm.Raw("SELECT outbox_id, recipient, at FROM sim_messages").Scan(&sims).Error; err != nil {
		t.Fatal(err)
	}
	delivered := map[string]int{}
	perDay := map[string]int{}
	for _, s := range sims {
		delivered[s.OutboxID]++
		perDay[s.Recipient+" "+s.At.In(saoPaulo).Format("2006-01-02")]++
	}
	steps := map[string]int{}
	messages := map[string]bool{}
	for _, r := range logRows {
		steps[r.InvoiceID+" "+r.StepKey]++
		messages[r.OutboxID] = true
		if delivered[r.OutboxID] != 1 {
			t.Fatalf("%s %s: message %s delivered %d times", r.InvoiceID, r.StepKey, r.OutboxID, delivered[r.OutboxID])
		}
	}
	if want := invoices * 4; len(logRows) != want || len(steps) != want {
		t.Fatalf("%d steps sent (%d distinct), want %d", len(logRows), len(steps), want)
	}
	if len(messages) != len(sims) {
		t.Fatalf("%d messages delivered, %d logged", len(sims), len(messages))
	}
	for k, n := range perDay {
		if n > 1 {
			t.Fatalf("%s: %d messages in one day", k, n)
		}
	}
}

func TestTwoRunnersSendEachStepOnce(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			u := freshURL(t, b.Name)
			co := coordinator(t)
			clk := clock.NewManual(passDays()[0])
			a, z := newInstance(t, u, co(), clk, 97), newInstance(t, u, co(), clk, 131)
			invoices := seed(t, a.st, debtorCount())
			for _, d := range passDays() {
				if err := clk.Set(d); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				errs := make(chan error, 4)
				for _, in := range []*instance{a, z} {
					wg.Add(1)
					go func(in *instance) {
						defer wg.Done()
						rep, err := in.runner.RunDue(ctx, clk.Now())
						if err != nil {
							errs <- err
						}
						t.Logf("%s: sent %d suppressed %v deferred %v", d.Format("02/01"), rep.Sent, rep.Suppressed, rep.Deferred)
						if _, err := in.sender.RunDue(ctx); err != nil {
							errs <- err
						}
					}(in)
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatal(err)
				}
			}
			checkExactlyOnce(t, a.st, invoices)
		})
	}
}

func TestPassCutShortThenRerunSendsTheRestOnce(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			u := freshURL(t, b.Name)
			co := coordinator(t)
			clk := clock.NewManual(passDays()[0])
			in := newInstance(t, u, co(), clk, 50)
			invoices := seed(t, in.st, debtorCount())
			sent := 0
			for i, d := range passDays() {
				if err := clk.Set(d); err != nil {
					t.Fatal(err)
				}
				// Each day's first pass is cut short at a different point.
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+i*3)*time.Millisecond)
				cut, err := in.runner.RunDue(ctx, clk.Now())
				cancel()
				rest, err2 := in.runner.RunDue(context.Background(), clk.Now())
				if err2 != nil {
					t.Fatal(err2)
				}
				t.Logf("%s: cut pass sent %d (err %v), rerun sent %d", d.Format("02/01"), cut.Sent, err, rest.Sent)
				sent += cut.Sent + rest.Sent
				if _, err := in.sender.RunDue(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			// A commit cut at the very end may land while its pass sees the
			// error, so reports may fall short; they never count too much.
			if sent > invoices*4 {
				t.Fatalf("passes reported %d sent, want at most %d", sent, invoices*4)
			}
			checkExactlyOnce(t, in.st, invoices)
		})
	}
}
