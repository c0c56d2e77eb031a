package webhooks_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
	"github.com/quitabot/quita/webhooks"
)

var t0 = time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

type responder func(w http.ResponseWriter, r *http.Request, n int)

// receiver is the billing system's side: requests counted per webhook-id
// (newEnv verifies each and answers with a responder).
type receiver struct {
	mu    sync.Mutex
	calls map[string]int // by webhook-id, and the total under all
}

const all = "*"

func (rc *receiver) count(id string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.calls[id]
}

// observer records what the dispatcher reports.
type observer struct {
	mu                                     sync.Mutex
	delivered, retrying, disabled, enabled int
	failed                                 []string
}

func (o *observer) Delivered(string, time.Duration) { o.mu.Lock(); o.delivered++; o.mu.Unlock() }
func (o *observer) Retrying(string)                 { o.mu.Lock(); o.retrying++; o.mu.Unlock() }
func (o *observer) Failed(_, r string)              { o.mu.Lock(); o.failed = append(o.failed, r); o.mu.Unlock() }
func (o *observer) EndpointDisabled(string)         { o.mu.Lock(); o.disabled++; o.mu.Unlock() }
func (o *observer) EndpointEnabled()                { o.mu.Lock(); o.enabled++; o.mu.Unlock() }

type env struct {
	t   *testing.T
	s   *store.Store
	clk *clock.Manual
	rcv *receiver
	srv *httptest.Server
	obs *observer
	n   int
}

func newEnv(t *testing.T, s *store.Store, respond responder) *env {
	e := &env{t: t, s: s, clk: clock.NewManual(t0), obs: &observer{}, rcv: &receiver{calls: map[string]int{}}}
	secret, _ := webhooks.ParseSecret(testSecret)
	verifier := &webhooks.Verifier{Secrets: []webhooks.Secret{secret}} // receivers check against their wall clock
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifier.Verify(r.Header, body); err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" || !strings.HasPrefix(string(body), `{"type":`) {
			t.Errorf("not the stored payload as JSON: %s %s", ct, body)
		}
		e.rcv.mu.Lock()
		e.rcv.calls[r.Header.Get(webhooks.HeaderID)]++
		e.rcv.calls[all]++
		n := e.rcv.calls[r.Header.Get(webhooks.HeaderID)]
		e.rcv.mu.Unlock()
		respond(w, r, n)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) dispatcher(client *http.Client) *webhooks.Dispatcher {
	secret, _ := webhooks.ParseSecret(testSecret)
	return webhooks.NewDispatcher(e.s, e.srv.URL+"/hooks?token=x", secret, e.clk, client, nil, e.obs)
}

// event commits an event the way the engine does: with a conversation
// turn, in one transaction.
func (e *env) event(typ string) string {
	e.t.Helper()
	e.n++
	now := e.clk.Now()
	id := fmt.Sprintf("evt_%04d", e.n)
	conv := bot.Conversation{ID: fmt.Sprintf("cnv_%04d", e.n), Phone: fmt.Sprintf("+55119888%05d", e.n), Transport: "sim",
		Status: bot.StatusOpen, State: "start", CreatedAt: now, UpdatedAt: now}
	body := fmt.Sprintf(`{"type":%q,"created_at":%q,"data":{"conversation_id":%q}}`, typ, now.Format(time.RFC3339), conv.ID)
	item := bot.OutboxItem{ID: id, Kind: bot.OutboxEvent, ConversationID: conv.ID, EventType: typ, Payload: []byte(body),
		NextAttemptAt: now, CreatedAt: now}
	if _, err := e.s.CommitTurn(context.Background(), bot.Turn{Conversation: conv, IsNew: true, Outbox: []bot.OutboxItem{item}}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) delivery(id string) store.EventDelivery {
	e.t.Helper()
	d, err := e.s.EventDelivery(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func runDue(t *testing.T, d *webhooks.Dispatcher) int {
	t.Helper()
	n, err := d.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func status(code int) responder {
	return func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(code) }
}

func TestDispatcherRetriesWithBackoffUnderOneWebhookID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, func(w http.ResponseWriter, _ *http.Request, n int) {
			if n == 1 {
				http.Error(w, "database is down", http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		d := e.dispatcher(nil)
		id := e.event("payment.claimed")
		if n := runDue(t, d); n != 0 {
			t.Fatalf("delivered %d on a 500", n)
		}
		got := e.delivery(id)
		wait := got.NextAttemptAt.Sub(t0)
		if got.Status != bot.OutboxPending || wait < webhooks.FirstRetry/2 || wait > webhooks.FirstRetry {
			t.Fatalf("after a 500: status %s, next attempt in %s, want pending in [15s, 30s]", got.Status, wait)
		}
		if !strings.Contains(got.LastError, "500") || !strings.Contains(got.LastError, "database is down") {
			t.Fatalf("last error %q", got.LastError)
		}
		if runDue(t, d); e.rcv.count(id) != 1 {
			t.Fatal("retried before its backoff")
		}
		e.clk.Advance(webhooks.FirstRetry)
		if n := runDue(t, d); n != 1 {
			t.Fatalf("delivered %d after the backoff", n)
		}
		got = e.delivery(id)
		if got.Status != bot.OutboxSent || got.Attempts != 2 || got.SentAt == nil || !got.SentAt.Equal(t0.Add(webhooks.FirstRetry)) {
			t.Fatalf("after 500 then 200: %+v", got.OutboxItem)
		}
		if len(got.Log) != 2 || got.Log[0].StatusCode != 500 || got.Log[1].StatusCode != 200 || got.Log[1].Error != "" || got.Log[1].Attempt != 2 {
			t.Fatalf("attempt log: %+v", got.Log)
		}
		if e.obs.retrying != 1 || e.obs.delivered != 1 {
			t.Fatalf("observed %d retries, %d deliveries", e.obs.retrying, e.obs.delivered)
		}
		// Both requests carried the same webhook-id: the receiver saw it twice.
		if e.rcv.count(id) != 2 || e.rcv.count(all) != 2 {
			t.Fatalf("requests per id %v", e.rcv.calls)
		}
	})
}

func TestDispatcherRunDeliversOnWakeAndStops(t *testing.T) {
	e := newEnv(t, storetest.OpenSQLite(t), status(http.StatusOK))
	d := e.dispatcher(nil)
	d.Poll = time.Hour // so only Wake can start the pass that finds the event
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	id := e.event("promise.created")
	d.Wake()
	for start := time.Now(); e.rcv.count(id) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatal("not delivered after Wake")
		}
	}
	cancel()
	<-done
}

func TestDispatcherClassifiesStatuses(t *testing.T) {
	// A 302 is not followed: a POST must not turn into a GET that "succeeds".
	retried := map[int]bool{400: false, 401: false, 404: false, 422: false, 302: true, 408: true, 429: true, 500: true, 503: true}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var codes sync.Map // webhook-id → status to answer
		e := newEnv(t, s, func(w http.ResponseWriter, r *http.Request, _ int) {
			code, _ := codes.Load(r.Header.Get(webhooks.HeaderID))
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(code.(int))
		})
		for code := range retried {
			codes.Store(e.event("dispute.opened"), code)
		}
		d := e.dispatcher(nil)
		runDue(t, d)
		e.clk.Advance(time.Hour)
		runDue(t, d)
		codes.Range(func(id, code any) bool {
			want, calls := bot.OutboxFailed, 1
			if retried[code.(int)] {
				want, calls = bot.OutboxPending, 2
			}
			if got := e.delivery(id.(string)); got.Status != want || e.rcv.count(id.(string)) != calls {
				t.Errorf("HTTP %d: status %s after %d requests, want %s after %d", code, got.Status, e.rcv.count(id.(string)), want, calls)
			}
			return true
		})
	})
}

func TestDispatcherHonoursRetryAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, func(w http.ResponseWriter, _ *http.Request, n int) {
			if n == 1 {
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		id := e.event("reminder.sent")
		d := e.dispatcher(nil)
		runDue(t, d)
		if got := e.delivery(id); !got.NextAttemptAt.Equal(t0.Add(2 * time.Minute)) {
			t.Fatalf("next attempt %s, want Retry-After's 2 min", got.NextAttemptAt)
		}
		e.clk.Advance(2 * time.Minute)
		if runDue(t, d) != 1 {
			t.Fatal("not delivered after Retry-After")
		}
	})
}

func TestDispatcherRetriesTimeouts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				select { // slower than the client waits
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		id := e.event("conversation.handoff")
		d := e.dispatcher(&http.Client{Timeout: 100 * time.Millisecond})
		runDue(t, d)
		got := e.delivery(id)
		if got.Status != bot.OutboxPending || len(got.Log) != 1 || got.Log[0].StatusCode != 0 || !strings.Contains(got.Log[0].Error, "timeout") {
			t.Fatalf("after a timeout: %+v %+v", got.OutboxItem, got.Log)
		}
		if strings.Contains(got.LastError, "token=x") {
			t.Fatalf("the error leaks the URL: %q", got.LastError)
		}
		e.clk.Advance(webhooks.FirstRetry)
		if runDue(t, d) != 1 {
			t.Fatal("not delivered after a timeout")
		}
	})
}

// TestDispatcherRetrySchedule follows an event that never succeeds through
// the whole documented schedule.
func TestDispatcherRetrySchedule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, status(http.StatusServiceUnavailable))
		id := e.event("plan.accepted")
		d := e.dispatcher(nil)
		deadline := t0.Add(webhooks.RetryWindow)
		got := e.delivery(id)
		for attempt := 1; got.Status == bot.OutboxPending && attempt <= 30; attempt++ {
			if err := e.clk.Set(got.NextAttemptAt); err != nil {
				t.Fatal(err)
			}
			runDue(t, d)
			got = e.delivery(id)
			wait, ceiling := got.NextAttemptAt.Sub(e.clk.Now()), webhooks.Backoff(attempt)
			if got.Status == bot.OutboxPending && (wait > ceiling || wait < ceiling/2 && !got.NextAttemptAt.Equal(deadline)) {
				t.Fatalf("attempt %d: next in %s, want [%s, %s] or the deadline", attempt, wait, ceiling/2, ceiling)
			}
		}
		last := got.Log[len(got.Log)-1]
		if got.Status != bot.OutboxFailed || !last.At.Equal(deadline) || !strings.Contains(got.LastError, "gave up after 24h") {
			t.Fatalf("end of the window: %+v, last attempt at %s", got.OutboxItem, last.At)
		}
		if len(got.Log) < 14 || len(got.Log) > 18 {
			t.Fatalf("%d attempts in 24 h, the documented schedule makes 14 to 18", len(got.Log))
		}
		if len(e.obs.failed) != 1 || e.obs.failed[0] != webhooks.FailExpired {
			t.Fatalf("observed failures %v", e.obs.failed)
		}
	})
}

func TestDispatcherStopsOnGoneUntilReenabled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var gone atomic.Bool
		gone.Store(true)
		e := newEnv(t, s, func(w http.ResponseWriter, _ *http.Request, _ int) {
			if gone.Load() {
				w.WriteHeader(http.StatusGone)
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		ctx := context.Background()
		d, other := e.dispatcher(nil), e.dispatcher(nil)
		first := e.event("contact.opted_out")
		runDue(t, d)
		url, _, _, err := s.BillingEndpointDisabled(ctx)
		if err != nil || url != e.srv.URL+"/hooks?token=x" || e.obs.disabled != 1 {
			t.Fatalf("after a 410: disabled url %q, observed %d, err %v", url, e.obs.disabled, err)
		}
		if got := e.delivery(first); got.Status != bot.OutboxPending {
			t.Fatalf("the event that met the 410 must wait, not fail: %s", got.Status)
		}
		second := e.event("contact.wrong_number")
		e.clk.Advance(time.Hour)
		runDue(t, d)
		runDue(t, other) // another instance honours the shared flag
		if e.rcv.count(all) != 1 {
			t.Fatalf("%d requests to a disabled endpoint", e.rcv.count(all))
		}
		gone.Store(false)
		if ok, err := s.EnableBillingEndpoint(ctx); !ok || err != nil {
			t.Fatalf("enable: %v %v", ok, err)
		}
		if n := runDue(t, d); n != 2 || e.rcv.count(first) != 2 || e.rcv.count(second) != 1 {
			t.Fatalf("after re-enabling: delivered %d, requests %v", n, e.rcv.calls)
		}
		if e.obs.enabled != 1 || e.obs.disabled != 2 { // d and other each saw it disabled
			t.Fatalf("observed enabled %d disabled %d", e.obs.enabled, e.obs.disabled)
		}
		// A disable recorded for an old URL does not stop the configured one.
		if _, err := s.DisableBillingEndpoint(ctx, "https://old.example/hooks", "HTTP 410", t0); err != nil {
			t.Fatal(err)
		}
		e.event("conversation.resolved")
		if runDue(t, d) != 1 {
			t.Fatal("a disable recorded for another URL stopped delivery")
		}
	})
}

func TestConcurrentDispatchersDeliverEachEventOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s, func(w http.ResponseWriter, _ *http.Request, _ int) {
			time.Sleep(time.Millisecond) // let the dispatchers overlap
			w.WriteHeader(http.StatusOK)
		})
		const events = 60
		ids := make([]string, events)
		for i := range ids {
			ids[i] = e.event("invoice.resend_requested")
		}
		var wg sync.WaitGroup
		var delivered atomic.Int64
		for range 3 {
			d := e.dispatcher(nil)
			wg.Go(func() {
				for range 3 {
					n, err := d.RunDue(context.Background())
					delivered.Add(int64(n))
					if err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		for _, id := range ids {
			if n := e.rcv.count(id); n != 1 {
				t.Errorf("%s posted %d times", id, n)
			}
		}
		if delivered.Load() != events || e.rcv.count(all) != events {
			t.Fatalf("delivered %d, requests %d, want %d", delivered.Load(), e.rcv.count(all), events)
		}
	})
}
