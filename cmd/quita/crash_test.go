package main

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/cmd/quitabench/loadgen"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

// Crash-safety tests. Each builds the real binary, runs it as a child
// process and kills it with SIGKILL at a bad moment. CI runs the short
// defaults; the long versions are environment-controlled (see
// docs/benchmarks.md):
//
//	QUITA_CRASH_MESSAGES=10000 go test -count=1 -timeout 30m -run TestCrashDuringInboundLoad -v ./cmd/quita
//	QUITA_CRASH_REMINDER_DEBTORS=2000 go test -count=1 -timeout 30m -run TestCrashDuringReminderRun -v ./cmd/quita
//	QUITA_TWO_INSTANCE_MESSAGES=10000 go test -count=1 -timeout 30m -run TestTwoInstances -v ./cmd/quita

const noRemindersPolicy = "company:\n  name: Quita Demo\nreminders:\n  cadence: []\n"

// reminderPolicy has four steps: D-3, D0, D+1 and D+7.
const reminderPolicy = `company:
  name: Quita Demo
reminders:
  cadence:
    - {offset_days: -3, message: reminder.upcoming, tone: friendly}
    - {offset_days: 0, message: reminder.due_today, tone: friendly}
    - {offset_days: 1, message: reminder.overdue, tone: friendly}
    - {offset_days: 7, message: reminder.notice, tone: firm}
  escalation:
    action: none
`

// TestCrashDuringInboundLoad kills the service in the middle of a load of
// debtor messages, restarts it on the same database, re-sends every
// message whose request failed or was cut (same id), and checks that each
// message was answered exactly once.
func TestCrashDuringInboundLoad(t *testing.T) {
	bin := buildQuita(t)
	n := envInt(t, "QUITA_CRASH_MESSAGES", 1000)
	debtors := envInt(t, "QUITA_CRASH_DEBTORS", max(n/20, 1))
	for _, backend := range crashBackends() {
		t.Run(backend, func(t *testing.T) {
			b := newCrashBackend(t, backend)
			env := b.env(t, noRemindersPolicy)
			p := startProc(t, "first", bin, env)
			block := phoneBlock()
			phones := make([]string, debtors)
			for d := range phones {
				phones[d] = debtorPhone(block, d)
			}
			seedInvoices(t, p, phones, time.Now().AddDate(0, 1, 0).Format("2006-01-02"))
			msgs := crashMessages(fmt.Sprintf("crash%d", block), phones, n)
			answers := make([]*inboundAnswer, n)
			start := time.Now()
			var answered atomic.Int64
			killAt := int64(n / 3)
			runParallel(n, 16, func(i int) {
				a, err := sendInbound(p, msgs[i], 1)
				if err != nil {
					return
				}
				answers[i] = a
				if answered.Add(1) == killAt {
					p.kill()
				}
			})
			p.kill()
			stored := b.unprocessed(t)
			t.Logf("killed after %d of %d answers in %v; %d messages stored but unprocessed", answered.Load(), n, time.Since(start).Round(time.Millisecond), stored)

			restart := time.Now()
			p = startProc(t, "restarted", bin, env)
			// The start-up replay answers what was stored but not processed
			// before anything is re-sent.
			for b.unprocessed(t) > 0 {
				if time.Since(restart) > 90*time.Second {
					t.Fatalf("stored messages still unprocessed 90s after the restart: %s", p.stderr.String())
				}
				time.Sleep(200 * time.Millisecond)
			}
			if got := p.replayed(); got < stored {
				t.Errorf("the restart replayed %d stored messages, %d were waiting", got, stored)
			}
			// Replies the killed process had claimed for sending stay leased
			// to it for a minute (engine.Sender.Lease) of service time; the
			// simulator's clock skips that minute instead of the test
			// waiting it out.
			if err := moveClock(p, time.Now().Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
			t.Logf("start-up replay and lease expiry done %v after the restart", time.Since(restart).Round(time.Millisecond))
			resent, slowest := 0, time.Duration(0)
			var mu sync.Mutex
			runParallel(n, 16, func(i int) {
				if answers[i] != nil {
					return
				}
				t0 := time.Now()
				a, err := sendInbound(p, msgs[i], 5)
				mu.Lock()
				defer mu.Unlock()
				slowest = max(slowest, time.Since(t0))
				resent++
				if err != nil {
					t.Errorf("re-sending %s: %v", msgs[i].ID, err)
					return
				}
				answers[i] = a
			})
			t.Logf("restarted, replayed %d, re-sent %d messages (slowest %v) in %v", p.replayed(), resent,
				slowest.Round(time.Millisecond), time.Since(restart).Round(time.Millisecond))
			if t.Failed() {
				t.FailNow()
			}
			checkExactlyOnce(t, p, msgs, answers)
			if left := b.unprocessed(t); left != 0 {
				t.Errorf("%d inbox rows left unprocessed", left)
			}
			p.stop()
			t.Logf("%s: %d messages from %d debtors, each answered exactly once; total %v", backend, n, debtors, time.Since(start).Round(time.Millisecond))
		})
	}
}

// reminderDays picks a Monday at least two days ahead whose week and the
// Thursday after it are business days, and returns the four step days of
// reminderPolicy at 10:00 with the due date (the Thursday).
func reminderDays(t *testing.T) (due string, days []time.Time) {
	loc := saoPauloTZ(t)
	pol := policy.Default()
	d := time.Now().In(loc).AddDate(0, 0, 2)
	for ; ; d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Monday {
			continue
		}
		mon := time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, loc)
		days = []time.Time{mon, mon.AddDate(0, 0, 3), mon.AddDate(0, 0, 4), mon.AddDate(0, 0, 10)}
		ok := true
		for _, day := range days {
			ok = ok && pol.IsBusinessDay(policy.DateOf(day))
		}
		if ok {
			return days[1].Format("2006-01-02"), days
		}
	}
}

// simCounter counts simulator deliveries straight from the database, so
// the test sees them whatever path (engine sender, reminder pass) made them.
type simCounter struct {
	st   *store.Store
	mark string
}

func newSimCounter(t *testing.T, b crashBackend) *simCounter {
	st, err := store.Open(context.Background(), b.databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &simCounter{st: st}
}

// reset makes the next counts start from now.
func (c *simCounter) reset() error {
	var err error
	c.mark, err = c.st.LastSimMessageID(context.Background())
	return err
}

// count is the number of simulator messages delivered since reset, or -1.
func (c *simCounter) count() int {
	msgs, err := c.st.SimMessagesAfter(context.Background(), c.mark)
	if err != nil {
		return -1
	}
	return len(msgs)
}

// moveClock moves p's simulator clock, which runs every reminder due.
func moveClock(p *proc, at time.Time) error {
	_, err := p.do("POST", "/v1/sim/clock", map[string]string{"now": at.Format(time.RFC3339)}, nil)
	return err
}

// outboxCounts returns how many messages the simulator holds per phone.
func outboxCounts(t *testing.T, p *proc, phones []string) []int {
	counts := make([]int, len(phones))
	runParallel(len(phones), 4, func(i int) {
		var out struct{ Messages []struct{ Text string } }
		if _, err := p.do("GET", "/v1/sim/outbox?to="+url.QueryEscape(phones[i]), nil, &out); err != nil {
			t.Error(err)
		}
		counts[i] = len(out.Messages)
	})
	return counts
}

// waitForCounts waits until every phone holds at least want messages and
// fails if any holds more.
func waitForCounts(t *testing.T, p *proc, phones []string, want int, step string) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for {
		counts := outboxCounts(t, p, phones)
		short := 0
		for i, c := range counts {
			if c > want {
				t.Fatalf("%s: %s holds %d reminder messages, want %d: a step was sent twice", step, phones[i], c, want)
			}
			if c < want {
				short++
			}
		}
		if short == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d debtors still lack a reminder after 120s", step, short)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestCrashDuringReminderRun moves the simulator clock over four cadence
// days of a book of debtors, kills the service in the middle of two of the
// runs (once while reminders are being delivered, once right after the run
// starts), restarts it, moves the clock to the same time again, and checks
// that every (invoice, step) reached the simulator exactly once.
func TestCrashDuringReminderRun(t *testing.T) {
	bin := buildQuita(t)
	debtors := envInt(t, "QUITA_CRASH_REMINDER_DEBTORS", 200)
	for _, backend := range crashBackends() {
		t.Run(backend, func(t *testing.T) {
			b := newCrashBackend(t, backend)
			env := b.env(t, reminderPolicy)
			p := startProc(t, "first", bin, env)
			block := phoneBlock()
			phones := make([]string, debtors)
			for d := range phones {
				phones[d] = debtorPhone(block, d)
			}
			due, days := reminderDays(t)
			seedInvoices(t, p, phones, due)
			sims := newSimCounter(t, b)
			start := time.Now()
			perStep := 0
			for k, day := range days {
				step := fmt.Sprintf("step %d (%s)", k+1, day.Format("Mon 2006-01-02"))
				switch k {
				case 1, 2:
					killed, at := killDuringRun(t, p, sims, day, k == 1, debtors*perStep/2)
					t.Logf("%s: killed %s, %d messages delivered by then", step, map[bool]string{true: "mid-run", false: "after the run had finished"}[killed], at)
					p = startProc(t, "restarted", bin, env)
					// The restarted clock is back at the wall's time. Moving it
					// a few minutes past the killed run's time also lets the
					// dead process's one-minute outbox leases expire.
					if err := moveClock(p, day.Add(3*time.Minute)); err != nil {
						t.Fatalf("%s: moving the clock again after the restart: %v", step, err)
					}
				default:
					if err := moveClock(p, day); err != nil {
						t.Fatalf("%s: %v", step, err)
					}
				}
				if k == 0 {
					// The first day has no kill: it shows how many messages
					// one step is (one, or more for a multi-part reminder).
					waitForCounts(t, p, phones[:1], 1, step)
					perStep = outboxCounts(t, p, phones[:1])[0]
				}
				waitForCounts(t, p, phones, (k+1)*perStep, step)
			}
			checkRemindedOnce(t, phones, len(days)*perStep, false, func(int) *proc { return p })
			p.stop()
			t.Logf("%s: %d debtors × %d steps × %d messages, each sent exactly once; total %v", backend, debtors, len(days), perStep, time.Since(start).Round(time.Millisecond))
		})
	}
}

// killDuringRun moves p's clock to day in the background and kills p with
// SIGKILL: once the database shows at least deliveredAtLeast simulator
// messages of this run (midDelivery), or 100 ms into the run. It reports
// whether the run was still going when the process died and how many
// messages had been delivered.
func killDuringRun(t *testing.T, p *proc, sims *simCounter, day time.Time, midDelivery bool, deliveredAtLeast int) (bool, int) {
	t.Helper()
	if err := sims.reset(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- moveClock(p, day) }()
	started := time.Now()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("clock move before the kill point: %v", err)
			}
			p.kill()
			return false, sims.count()
		case <-time.After(5 * time.Millisecond):
		}
		at := sims.count()
		if (midDelivery && at >= max(deliveredAtLeast, 1)) || (!midDelivery && time.Since(started) >= 100*time.Millisecond) {
			p.kill()
			<-done
			return true, at
		}
	}
}

// TestTwoInstances runs two services on one PostgreSQL database and one
// Redis behind a round-robin of requests — some messages sent to both at
// once with the same id — then moves both clocks over reminder days, and
// checks that no message was answered twice, no reminder went out twice
// and every transcript chain verifies.
func TestTwoInstances(t *testing.T) {
	if crashBackends()[len(crashBackends())-1] != "postgres+redis" {
		t.Skip("needs QUITA_TEST_DATABASE_URL and QUITA_TEST_REDIS_URL")
	}
	bin := buildQuita(t)
	n := envInt(t, "QUITA_TWO_INSTANCE_MESSAGES", 600)
	b := newCrashBackend(t, "postgres+redis")
	env := b.env(t, reminderPolicy)
	a := startProc(t, "a", bin, env)
	procs := []*proc{a, startProc(t, "b", bin, env)}
	block := phoneBlock()
	chatters := make([]string, max(n/15, 2))
	reminded := make([]string, 100)
	for d := range chatters {
		chatters[d] = debtorPhone(block, d)
	}
	for d := range reminded {
		reminded[d] = debtorPhone(block, 50_000+d)
	}
	due, days := reminderDays(t)
	seedInvoices(t, a, chatters, time.Now().AddDate(0, 3, 0).Format("2006-01-02"))
	seedInvoices(t, procs[1], reminded, due)

	start := time.Now()
	msgs := crashMessages(fmt.Sprintf("two%d", block), chatters, n)
	answers := make([]*inboundAnswer, n)
	doubled := 0
	var mu sync.Mutex
	runParallel(n, 16, func(i int) {
		if i%10 != 3 {
			ans, err := sendInbound(procs[i%2], msgs[i], 3)
			if err != nil {
				t.Errorf("%s: %v", msgs[i].ID, err)
			}
			answers[i] = ans
			return
		}
		// The same message to both instances at once.
		var both [2]*inboundAnswer
		var wg sync.WaitGroup
		for k := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ans, err := sendInbound(procs[k], msgs[i], 3)
				if err != nil {
					t.Errorf("%s to %s: %v", msgs[i].ID, procs[k].name, err)
					return
				}
				both[k] = ans
			}()
		}
		wg.Wait()
		if both[0] == nil || both[1] == nil {
			return
		}
		if both[0].ConversationID != both[1].ConversationID || fmt.Sprint(both[0].texts()) != fmt.Sprint(both[1].texts()) ||
			both[0].Duplicate == both[1].Duplicate {
			t.Errorf("%s answered differently by the two instances (or twice): %+v / %+v", msgs[i].ID, both[0], both[1])
		}
		answers[i] = both[0]
		mu.Lock()
		doubled++
		mu.Unlock()
	})
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d messages (%d sent to both instances) from %d debtors in %v", n, doubled, len(chatters), time.Since(start).Round(time.Millisecond))
	checkExactlyOnce(t, a, msgs, answers)

	// Reminders: the first day on one instance shows what a step sends;
	// then both instances run every later day at once.
	perStep := 0
	for k, day := range days {
		step := fmt.Sprintf("step %d (%s)", k+1, day.Format("Mon 2006-01-02"))
		if k == 0 {
			if err := moveClock(a, day); err != nil {
				t.Fatal(err)
			}
			waitForCounts(t, a, reminded[:1], 1, step)
			perStep = outboxCounts(t, a, reminded[:1])[0]
		} else {
			var wg sync.WaitGroup
			for _, p := range procs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := moveClock(p, day); err != nil {
						t.Errorf("%s on %s: %v", step, p.name, err)
					}
				}()
			}
			wg.Wait()
		}
		waitForCounts(t, procs[k%2], reminded, (k+1)*perStep, step)
	}
	checkRemindedOnce(t, reminded, len(days)*perStep, true, func(i int) *proc { return procs[i%2] })
	// The chatters' conversations again, after the reminder days.
	checkExactlyOnce(t, procs[1], msgs, answers)
	for _, p := range procs {
		p.stop()
	}
	t.Logf("two instances: %d messages, %d debtors × %d reminder steps, all exactly once; total %v", n, len(reminded), len(days), time.Since(start).Round(time.Millisecond))
}

// TestBenchToolAgainstARealQuita runs quitabench's core, small, against a
// service started like the other end-to-end tests: seeding, messages,
// webhooks and the mix, with no errors and every request counted. Scaled
// up, it profiles the service and the tool in one process:
//
//	QUITA_BENCH_DEBTORS=5000 QUITA_BENCH_REQUESTS=5000 go test -count=1 -run TestBenchToolAgainstARealQuita -cpuprofile cpu.out ./cmd/quita
func TestBenchToolAgainstARealQuita(t *testing.T) {
	debtors := envInt(t, "QUITA_BENCH_DEBTORS", 20)
	requests := envInt(t, "QUITA_BENCH_REQUESTS", 100)
	env := map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t), "QUITA_API_TOKEN": crashToken, "QUITA_WEBHOOK_SECRET": crashSecret}
	q := startQuita(t, env)
	for _, mode := range []string{loadgen.ModeInbound, loadgen.ModeWebhook, loadgen.ModeMixed} {
		rep, err := loadgen.Run(context.Background(), loadgen.Config{URL: q.base, Token: crashToken, WebhookSecret: crashSecret,
			Mode: mode, Debtors: debtors, Concurrency: 4, Requests: requests, Duration: 20 * time.Minute, SeedInvoices: mode == loadgen.ModeInbound})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		t.Logf("%s: %d requests, %.0f/s, p50 %.2f ms, p99 %.2f ms", mode, rep.Requests, rep.Throughput, rep.Latency.P50, rep.Latency.P99)
		if rep.Requests != int64(requests) || rep.Errors != 0 || rep.Latency.P99 <= 0 {
			t.Fatalf("%s: %d requests, errors %v, latency %+v", mode, rep.Requests, rep.ErrorsByStatus, rep.Latency)
		}
		if mode != loadgen.ModeWebhook && rep.Replies == 0 {
			t.Fatalf("%s: no replies counted", mode)
		}
	}
	var list struct{ Conversations []struct{ ID string } }
	q.call("GET", "/v1/conversations?limit=1000", nil, &list)
	if want := min(debtors, requests, 1000); len(list.Conversations) != want {
		t.Fatalf("%d conversations, want one per debtor (%d)", len(list.Conversations), want)
	}
}

// checkRemindedOnce waits for anything still in flight, then checks that
// each phone's outbox holds exactly want reminder messages (counted on the
// first phone's process) and that every one of its conversations' chains
// verifies; with single, also that each phone has exactly one
// conversation. on picks the process that answers for phone i.
func checkRemindedOnce(t *testing.T, phones []string, want int, single bool, on func(i int) *proc) {
	t.Helper()
	time.Sleep(2 * time.Second)
	for i, c := range outboxCounts(t, on(0), phones) {
		if c != want {
			t.Errorf("%s holds %d reminder messages, want %d", phones[i], c, want)
		}
	}
	var problems atomic.Int64
	report := func(format string, args ...any) {
		if problems.Add(1) <= 20 {
			t.Errorf(format, args...)
		}
	}
	runParallel(len(phones), 4, func(i int) {
		var list struct{ Conversations []struct{ ID string } }
		on(i).must("GET", "/v1/conversations?phone="+url.QueryEscape(phones[i]), nil, &list)
		if single && len(list.Conversations) != 1 {
			report("%s: %d conversations, want 1", phones[i], len(list.Conversations))
		}
		for _, c := range list.Conversations {
			verifyChain(on(i), c.ID, -1, report)
		}
	})
}
