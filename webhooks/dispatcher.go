package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quitabot/quita/bot"
)

// The retry schedule of outbound events. After the n-th failed attempt the
// next one waits a random time in [Backoff(n)/2, Backoff(n)] ("equal
// jitter": spread out, yet never an immediate hammering of a struggling
// endpoint), where Backoff(n) = FirstRetry·2^(n-1) capped at MaxRetryDelay:
// 30 s, 1, 2, 4, 8, 16, 32 min, 1h04, 2h08, 4h16, then 6 h. A Retry-After
// (seconds) longer than that is honoured up to MaxRetryDelay. No retry is
// scheduled past created_at + RetryWindow; the last one is clamped to that
// moment, so an event is attempted for 24 h (14 to 18 attempts in all) and
// a failure at or after it is final.
const (
	FirstRetry    = 30 * time.Second
	MaxRetryDelay = 6 * time.Hour
	RetryWindow   = 24 * time.Hour
	// DefaultTimeout bounds one attempt when NewDispatcher builds the client.
	DefaultTimeout = 10 * time.Second
)

// Failure reasons passed to DeliveryObserver.Failed: short and fixed, so
// they can be metric labels.
const (
	FailRejected = "rejected" // a 4xx other than 408, 410 and 429
	FailExpired  = "expired"  // still failing at the end of RetryWindow
)

// DeliveryStore is the persistence the Dispatcher needs; *store.Store
// implements it. Claims are leases, so several dispatchers (in several
// instances) may drain one outbox.
type DeliveryStore interface {
	ClaimOutbox(ctx context.Context, kind string, now time.Time, lease time.Duration, limit int, ids []string) ([]bot.OutboxItem, error)
	MarkOutboxSent(ctx context.Context, id, externalID string, at time.Time) error
	MarkOutboxRetry(ctx context.Context, id, reason string, next time.Time) error
	MarkOutboxFailed(ctx context.Context, id, reason string, at time.Time) error
	ReleaseOutbox(ctx context.Context, ids []string) error // claimed, not attempted
	// RecordDeliveryAttempt appends to an event's history (statusCode 0: none).
	RecordDeliveryAttempt(ctx context.Context, outboxID string, at time.Time, statusCode int, errText string, took time.Duration) (int, error)
	// DisableBillingEndpoint reports whether this call disabled url.
	DisableBillingEndpoint(ctx context.Context, url, reason string, at time.Time) (bool, error)
	// BillingEndpointDisabled returns the disabled URL, or "" when enabled.
	BillingEndpointDisabled(ctx context.Context) (url, reason string, since time.Time, err error)
}

// DeliveryObserver hears about deliveries, so metrics stay out of this
// package. Calls come from several goroutines.
type DeliveryObserver interface {
	// Delivered reports a 2xx; latency runs from the event's creation.
	Delivered(eventType string, latency time.Duration)
	// Retrying reports a failed attempt that will be retried.
	Retrying(eventType string)
	// Failed reports giving up on an event: FailRejected or FailExpired.
	Failed(eventType, reason string)
	// EndpointDisabled and EndpointEnabled report changes of this
	// dispatcher's view of the endpoint, including the view at start.
	EndpointDisabled(reason string)
	EndpointEnabled()
}

// Dispatcher drains outbox events to the billing system's webhook, signed
// per the Standard Webhooks scheme, at least once. Events are posted by a
// small worker pool, so they may arrive out of order; receivers order by
// the payload's created_at and dedupe by webhook-id.
type Dispatcher struct {
	store    DeliveryStore
	url      string
	secret   Secret
	clock    bot.Clock
	client   *http.Client
	log      *slog.Logger
	obs      DeliveryObserver
	wake     chan struct{}
	disabled atomic.Bool // this instance's view, to report changes once
	// Workers is how many events are posted at once.
	Workers int
	// Lease bounds how long claimed events stay hidden from other
	// dispatchers; it must cover a batch of 4·Workers events posted by
	// Workers at the client's timeout each.
	Lease time.Duration
	// Poll is how often the outbox is checked without a wake-up.
	Poll time.Duration
}

// NewDispatcher returns a dispatcher posting to endpoint, signing with
// secret. A nil client means one with DefaultTimeout per attempt. Redirects
// are never followed, on any client: Go would turn the POST into a GET and a
// 200 from the new location would count as a delivery it was not.
func NewDispatcher(store DeliveryStore, endpoint string, secret Secret, clock bot.Clock, client *http.Client, log *slog.Logger, obs DeliveryObserver) *Dispatcher {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	noRedirects := *client
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if obs == nil {
		obs = nopDeliveryObserver{}
	}
	return &Dispatcher{store: store, url: endpoint, secret: secret, clock: clock, client: &noRedirects,
		log: log.With("component", "webhook_dispatcher"), obs: obs, wake: make(chan struct{}, 1),
		Workers: 4, Lease: 5 * time.Minute, Poll: time.Second}
}

// Wake asks the running loop to look at the outbox now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers due events until ctx ends. Then no new attempt starts;
// those in flight finish (each bounded by the client's timeout) and are
// recorded, and the rest of the batch is released.
func (d *Dispatcher) Run(ctx context.Context) {
	ticker := time.NewTicker(d.Poll)
	defer ticker.Stop()
	for {
		if _, err := d.runDue(ctx, context.WithoutCancel(ctx)); err != nil {
			d.log.Error("event delivery drain failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-d.wake:
		}
	}
}

// RunDue attempts every event due now, by the service clock, and returns
// how many were delivered. It does nothing while the endpoint is disabled.
func (d *Dispatcher) RunDue(ctx context.Context) (int, error) { return d.runDue(ctx, ctx) }

// runDue starts no attempt once stop is done; ctx bounds the work itself.
func (d *Dispatcher) runDue(stop, ctx context.Context) (int, error) {
	delivered := 0
	for stop.Err() == nil {
		if disabled, err := d.checkEndpoint(ctx); err != nil || disabled {
			return delivered, err
		}
		items, err := d.store.ClaimOutbox(ctx, bot.OutboxEvent, d.clock.Now(), d.Lease, 4*max(d.Workers, 1), nil)
		if err != nil {
			return delivered, err
		}
		if len(items) == 0 {
			return delivered, nil
		}
		delivered += d.deliverAll(stop, ctx, items)
	}
	return delivered, nil
}

// checkEndpoint reads the shared disabled flag, so an endpoint disabled or
// re-enabled through another instance or the API is honoured here too.
func (d *Dispatcher) checkEndpoint(ctx context.Context) (bool, error) {
	url, reason, _, err := d.store.BillingEndpointDisabled(ctx)
	if err != nil {
		return false, err
	}
	disabled := url != "" && url == d.url // one recorded for an old URL does not apply
	if disabled {
		d.setDisabled(reason, false)
	} else if d.disabled.CompareAndSwap(true, false) { // re-enabled since we last looked
		d.log.Info("billing endpoint re-enabled; delivering events again")
		d.obs.EndpointEnabled()
	}
	return disabled, nil
}

// setDisabled notes a disabled endpoint once per change of this view.
func (d *Dispatcher) setDisabled(reason string, quiet bool) {
	if d.disabled.CompareAndSwap(false, true) {
		if !quiet {
			d.log.Warn("billing endpoint is disabled; events wait until it is re-enabled", "reason", reason)
		}
		d.obs.EndpointDisabled(reason)
	}
}

// deliverAll posts claimed events with the worker pool and returns how
// many were delivered.
func (d *Dispatcher) deliverAll(stop, ctx context.Context, items []bot.OutboxItem) int {
	var delivered atomic.Int64
	queue := make(chan bot.OutboxItem)
	var wg sync.WaitGroup
	for range min(max(d.Workers, 1), len(items)) {
		wg.Go(func() {
			for item := range queue {
				if d.deliver(stop, ctx, item) {
					delivered.Add(1)
				}
			}
		})
	}
	for _, item := range items {
		queue <- item
	}
	close(queue)
	wg.Wait()
	return int(delivered.Load())
}

// attempt is the outcome of one POST.
type attempt struct {
	status     int // 0 when no response arrived
	err        string
	retryAfter time.Duration
	took       time.Duration
}

// deliver makes one attempt at item and records its outcome.
func (d *Dispatcher) deliver(stop, ctx context.Context, item bot.OutboxItem) bool {
	log := d.log.With("outbox_id", item.ID, "event_type", item.EventType)
	// The rest of a batch that met a 410 or a shutdown is not attempted, and
	// our own cancellation says nothing about the endpoint: such events are
	// released to be due again at once, without counting an attempt.
	release := d.disabled.Load() || stop.Err() != nil || ctx.Err() != nil
	now := d.clock.Now()
	var a attempt
	if !release {
		a = d.post(ctx, item, now)
		release = a.status == 0 && ctx.Err() != nil
	}
	if release {
		if err := d.store.ReleaseOutbox(context.WithoutCancel(ctx), []string{item.ID}); err != nil {
			log.Error("release event failed", "err", err)
		}
		return false
	}
	n, err := d.store.RecordDeliveryAttempt(ctx, item.ID, now, a.status, a.err, a.took)
	if err != nil { // the history is for support; the outcome below still counts
		log.Error("record delivery attempt failed", "err", err)
	}
	log = log.With("attempt", n, "status", a.status)
	switch {
	case a.status >= 200 && a.status < 300:
		// If recording fails the lease expires and the event is posted again
		// under the same webhook-id, which the receiver dedupes.
		if err := d.store.MarkOutboxSent(ctx, item.ID, "", now); err != nil {
			log.Error("record delivery failed", "err", err)
		}
		log.Debug("event delivered", "took", a.took)
		d.obs.Delivered(item.EventType, now.Sub(item.CreatedAt))
		return true
	case a.status == http.StatusGone:
		d.endpointGone(ctx, log, item, a, now)
	case retryable(a.status):
		d.retryOrExpire(ctx, log, item, a, now)
	default:
		log.Error("event rejected by the billing endpoint; not retrying", "err", a.err)
		if err := d.store.MarkOutboxFailed(ctx, item.ID, a.err, now); err != nil {
			log.Error("record failure failed", "err", err)
		}
		d.obs.Failed(item.EventType, FailRejected)
	}
	return false
}

// retryable: no response, a redirect (not followed; the endpoint may be
// moving), 408, 429 and 5xx. Other 4xx mean this request will never be
// accepted as it is.
func retryable(status int) bool {
	return status == 0 || status < 400 || status >= 500 ||
		status == http.StatusRequestTimeout || status == http.StatusTooManyRequests
}

func (d *Dispatcher) retryOrExpire(ctx context.Context, log *slog.Logger, item bot.OutboxItem, a attempt, now time.Time) {
	deadline := item.CreatedAt.Add(RetryWindow)
	if !now.Before(deadline) {
		reason := "gave up after " + RetryWindow.String() + ": " + a.err
		log.Error("event delivery failed for the whole retry window; giving up", "err", a.err)
		if err := d.store.MarkOutboxFailed(ctx, item.ID, reason, now); err != nil {
			log.Error("record failure failed", "err", err)
		}
		d.obs.Failed(item.EventType, FailExpired)
		return
	}
	delay := jitter(Backoff(item.Attempts + 1))
	if a.retryAfter > delay {
		delay = min(a.retryAfter, MaxRetryDelay)
	}
	next := now.Add(delay)
	if next.After(deadline) {
		next = deadline
	}
	log.Warn("event delivery failed, will retry", "err", a.err, "next", next)
	if err := d.store.MarkOutboxRetry(ctx, item.ID, a.err, next); err != nil {
		log.Error("record retry failed", "err", err)
	}
	d.obs.Retrying(item.EventType)
}

// endpointGone disables delivery: 410 says the endpoint will never accept
// events again, so hammering it for 24 h would only fail every event. The
// event stays pending, due now, and goes out with the rest once an
// operator re-enables the endpoint (one past its window gets one attempt).
func (d *Dispatcher) endpointGone(ctx context.Context, log *slog.Logger, item bot.OutboxItem, a attempt, now time.Time) {
	reason := fmt.Sprintf("HTTP 410 Gone on event %s", item.ID)
	changed, err := d.store.DisableBillingEndpoint(ctx, d.url, reason, now)
	if err != nil {
		log.Error("record disabled endpoint failed", "err", err)
	}
	if changed {
		log.Error("billing endpoint answered 410 Gone; event delivery is disabled until re-enabled (POST /v1/deliveries/{id}/retry)",
			"err", a.err)
	}
	d.setDisabled(reason, true)
	if err := d.store.MarkOutboxRetry(ctx, item.ID, a.err, now); err != nil {
		log.Error("record retry failed", "err", err)
	}
}

// post makes the HTTP request: the stored payload bytes as they are, so
// every attempt carries the identical body, signed afresh with the current
// timestamp under the stable webhook-id.
func (d *Dispatcher) post(ctx context.Context, item bot.OutboxItem, now time.Time) attempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(item.Payload))
	if err != nil {
		return attempt{err: "build request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "quita-webhooks/1")
	req.Header.Set(HeaderID, item.ID)
	// Receivers check the timestamp against their wall clock (±5 min), so
	// it is signed with wall time even when the simulator moved the
	// service clock ahead.
	signedAt := time.Now()
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(signedAt.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(d.secret, item.ID, signedAt, item.Payload))
	start := time.Now() // wall time: the service clock may be frozen in tests
	resp, err := d.client.Do(req)
	if err != nil {
		return attempt{err: requestError(err), took: time.Since(start)}
	}
	defer resp.Body.Close()
	// A little of the body for the error text; the rest drained to reuse the connection.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	a := attempt{status: resp.StatusCode, took: time.Since(start)}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		a.err = "HTTP " + resp.Status
		if text := cleanText(head); text != "" {
			a.err += ": " + text
		}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			a.retryAfter = time.Duration(secs) * time.Second
		}
	}
	return a
}

// requestError describes a failed request without its URL, which may
// carry a token in its query string.
func requestError(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		if uerr.Timeout() {
			return "timeout: no response in time"
		}
		err = uerr.Err
	}
	return "request failed: " + err.Error()
}

// cleanText makes a response excerpt safe for one log line; a multi-byte
// rune cut at the end is dropped rather than mangled.
func cleanText(b []byte) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "")), " ")
}

// Backoff is the longest wait after the n-th failed attempt (n ≥ 1); the
// actual wait is drawn from [Backoff(n)/2, Backoff(n)].
func Backoff(n int) time.Duration { return min(FirstRetry<<min(max(n-1, 0), 20), MaxRetryDelay) }

func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }

type nopDeliveryObserver struct{}

func (nopDeliveryObserver) Delivered(string, time.Duration) {}
func (nopDeliveryObserver) Retrying(string)                 {}
func (nopDeliveryObserver) Failed(string, string)           {}
func (nopDeliveryObserver) EndpointDisabled(string)         {}
func (nopDeliveryObserver) EndpointEnabled()                {}
