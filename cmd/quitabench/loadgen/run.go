package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quitabot/quita/webhooks"
)

// Kinds of request, as reported.
const (
	KindInbound = "inbound"
	KindWebhook = "webhook"
)

// runner is one run's shared state.
type runner struct {
	cfg    Config
	base   string
	client *http.Client
	secret webhooks.Secret
	due    time.Time
}

// NewClient returns an HTTP client tuned for concurrency requests in
// flight to one host: one idle keep-alive connection per worker, no
// compression, bounded timeouts.
func NewClient(concurrency int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil, // loopback only: never through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        concurrency,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// Run validates cfg, seeds invoices when asked, then sends requests from
// cfg.Concurrency workers until cfg.Requests are done or cfg.Duration has
// passed, and reports what it measured. Cancelling ctx stops the run early;
// requests cut by the cancellation are not counted. An error means the run
// could not start (bad configuration, seeding failed).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RunID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.RunID = hex.EncodeToString(b)
	}
	r := &runner{cfg: cfg, base: strings.TrimRight(cfg.URL, "/"), client: NewClient(cfg.Concurrency),
		due: time.Now().AddDate(0, 0, 10)}
	defer r.client.CloseIdleConnections()
	if cfg.WebhookSecret != "" {
		// QUITA_WEBHOOK_SECRET may hold two secrets during a rotation;
		// signing with the first is enough.
		first, _, _ := strings.Cut(strings.TrimSpace(strings.ReplaceAll(cfg.WebhookSecret, ",", " ")), " ")
		s, err := webhooks.ParseSecret(first)
		if err != nil {
			return nil, fmt.Errorf("webhook secret: %w", err)
		}
		r.secret = s
	}
	report := &Report{Mode: cfg.Mode, Debtors: cfg.Debtors, Concurrency: cfg.Concurrency}
	if cfg.SeedInvoices {
		start := time.Now()
		if err := r.seed(ctx); err != nil {
			return nil, err
		}
		report.Seeded = cfg.Debtors
		report.SeedSeconds = time.Since(start).Seconds()
	}
	r.measure(ctx, report)
	return report, nil
}

// seed creates every debtor's invoice with signed invoice.created webhooks,
// cfg.Concurrency at a time, and fails on the first refusal.
func (r *runner) seed(ctx context.Context) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, r.cfg.Concurrency)
	for w := 0; w < r.cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				d := int(next.Add(1) - 1)
				if d >= r.cfg.Debtors || ctx.Err() != nil {
					return
				}
				body := invoiceEvent("invoice.created", d, 0, r.due)
				status, _, err := r.webhook(ctx, fmt.Sprintf("qb-seed-%s-%d", r.cfg.RunID, d), body)
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("seeding invoice %s: the service answered %d", InvoiceID(d), status)
				}
				if err != nil {
					next.Store(int64(r.cfg.Debtors)) // stop the others
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

// workerStats is what one worker measured; merged at the end.
type workerStats struct {
	hist    map[string]*Histogram
	errors  map[string]int64
	replies int64
}

// measure runs the timed part.
func (r *runner) measure(ctx context.Context, report *Report) {
	var next atomic.Int64
	stats := make([]*workerStats, r.cfg.Concurrency)
	start := time.Now()
	stopAt := start.Add(r.cfg.Duration)
	var wg sync.WaitGroup
	for w := range stats {
		ws := &workerStats{hist: map[string]*Histogram{KindInbound: {}, KindWebhook: {}}, errors: map[string]int64{}}
		stats[w] = ws
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(stopAt) {
				i := int(next.Add(1) - 1)
				if i >= r.cfg.Requests {
					return
				}
				r.one(ctx, i, ws)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	report.finish(stats, elapsed)
}

// kindOf says what the i-th request is.
func (r *runner) kindOf(i int) string {
	switch {
	case r.cfg.Mode == ModeWebhook, r.cfg.Mode == ModeMixed && i%5 == 4:
		return KindWebhook
	}
	return KindInbound
}

// one sends the i-th request and records it.
func (r *runner) one(ctx context.Context, i int, ws *workerStats) {
	kind := r.kindOf(i)
	start := time.Now()
	var status int
	var body []byte
	var err error
	if kind == KindWebhook {
		d := i % r.cfg.Debtors
		typ := "invoice.updated"
		if i/r.cfg.Debtors == 0 && !r.cfg.SeedInvoices {
			typ = "invoice.created"
		}
		status, body, err = r.webhook(ctx, fmt.Sprintf("qb-%s-%d", r.cfg.RunID, i), invoiceEvent(typ, d, i/r.cfg.Debtors+1, r.due))
	} else {
		status, body, err = r.post(ctx, "/v1/sim/inbound", r.cfg.inbound(i), func(h http.Header) {
			h.Set("Authorization", "Bearer "+r.cfg.Token)
		})
	}
	took := time.Since(start)
	switch {
	case err != nil && ctx.Err() != nil:
		return // cut by the caller: neither a success nor the service's fault
	case err != nil:
		ws.errors["transport"]++
	case status < 200 || status > 299:
		ws.errors[strconv.Itoa(status)]++
	default:
		if kind == KindInbound {
			ws.replies += int64(bytes.Count(body, []byte(`"text":`)))
		}
	}
	ws.hist[kind].Record(took)
}

// webhook posts a signed billing webhook.
func (r *runner) webhook(ctx context.Context, id string, body []byte) (int, []byte, error) {
	now := time.Now()
	return r.post(ctx, "/v1/webhooks/billing", body, func(h http.Header) {
		h.Set(webhooks.HeaderID, id)
		h.Set(webhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(webhooks.HeaderSignature, webhooks.Sign(r.secret, id, now, body))
	})
}

// post sends one request and reads the whole answer, so the connection is
// reused.
func (r *runner) post(ctx context.Context, path string, body []byte, headers func(http.Header)) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	headers(req.Header)
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil && !errors.Is(err, io.EOF) {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, data, nil
}
