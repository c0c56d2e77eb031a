package loadgen

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quitabot/quita/webhooks"
)

func TestBucketsRoundTripAndBoundTheError(t *testing.T) {
	for i := 0; i < numBuckets-1; i++ {
		high := bucketHigh(i)
		if bucketOf(high) != i || bucketOf(high+1) != i+1 {
			t.Fatalf("bucket %d: high %d maps to %d, high+1 to %d", i, high, bucketOf(high), bucketOf(high+1))
		}
	}
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 123_456, 9_999_999, 1 << 39} {
		high := bucketHigh(bucketOf(v))
		if high < v || float64(high-v) > float64(v)/64 {
			t.Errorf("value %d reported as %d: more than 1/64 off", v, high)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Max() != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram must report zeros")
	}
	// 1..10,000 µs once each, shuffled, split across two histograms.
	vals := rand.Perm(10_000)
	var a, b Histogram
	for i, v := range vals {
		d := time.Duration(v+1) * time.Microsecond
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	h.Merge(&a)
	h.Merge(&b)
	if h.Count() != 10_000 {
		t.Fatalf("count %d", h.Count())
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5000 * time.Microsecond}, {0.95, 9500 * time.Microsecond}, {0.99, 9900 * time.Microsecond}, {1, 10 * time.Millisecond}} {
		got := h.Quantile(c.q)
		if got < c.want || float64(got-c.want) > float64(c.want)/64 {
			t.Errorf("p%v = %v, want %v within 1/64", c.q*100, got, c.want)
		}
	}
	if h.Max() != 10*time.Millisecond {
		t.Errorf("max %v", h.Max())
	}
	if m := h.Mean(); m < 5000*time.Microsecond || m > 5001*time.Microsecond {
		t.Errorf("mean %v", m)
	}
	// Small values are exact, and a quantile never exceeds the maximum.
	var s Histogram
	for _, v := range []int{3, 1, 2} {
		s.Record(time.Duration(v) * time.Microsecond)
	}
	s.Record(-time.Second)
	if s.Quantile(0.5) != time.Microsecond || s.Quantile(1) != 3*time.Microsecond {
		t.Errorf("small values: p50 %v p100 %v", s.Quantile(0.5), s.Quantile(1))
	}
	var one Histogram
	one.Record(1001 * time.Microsecond)
	if one.Quantile(0.99) != 1001*time.Microsecond {
		t.Errorf("a single value must be reported as itself, got %v", one.Quantile(0.99))
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:8080/", "https://[::1]:8443", "http://127.1.2.3"} {
		if err := CheckLoopback(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://example.com", "http://10.0.0.5:8080", "http://0.0.0.0:8080", "http://[::]:8080",
		"http://127.0.0.1.example.com", "ftp://127.0.0.1", "127.0.0.1:8080", "http://localhost.evil.example", ""} {
		err := CheckLoopback(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error is not one line: %q", bad, err)
		}
	}
}

func TestValidateBoundsEverySetting(t *testing.T) {
	base := Config{URL: "http://127.0.0.1:1", Token: "t", WebhookSecret: testSecret}
	cases := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"defaults", func(*Config) {}, ""},
		{"remote", func(c *Config) { c.URL = "http://192.0.2.1" }, "not a loopback"},
		{"mode", func(c *Config) { c.Mode = "storm" }, "-mode"},
		{"too many requests", func(c *Config) { c.Requests = MaxRequests + 1 }, "-n"},
		{"too long", func(c *Config) { c.Duration = 2 * time.Hour }, "-duration"},
		{"concurrency", func(c *Config) { c.Concurrency = -1 }, "-concurrency"},
		{"debtors", func(c *Config) { c.Debtors = MaxDebtors + 1 }, "-debtors"},
		{"no token", func(c *Config) { c.Token = "" }, "token"},
		{"webhooks without token", func(c *Config) { c.Token, c.Mode = "", ModeWebhook }, ""},
		{"webhooks without secret", func(c *Config) { c.WebhookSecret, c.Mode = "", ModeWebhook }, "secret"},
		{"seeding without secret", func(c *Config) { c.WebhookSecret, c.SeedInvoices = "", true }, "secret"},
	}
	for _, tc := range cases {
		c := base
		tc.change(&c)
		err := c.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	c := base
	_ = c.Validate()
	if c.Mode != ModeInbound || c.Concurrency != 32 || c.Debtors != 1000 || c.Requests != 10_000 || c.Duration != time.Minute {
		t.Errorf("defaults: %+v", c)
	}
}

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// fakeQuita answers like the service: inbound with one reply, webhooks
// after checking their signature; inbound ids ending in 7 fail with 503.
type fakeQuita struct {
	mu       sync.Mutex
	ids      map[string]int
	webhooks map[string]string // webhook-id → type
	phones   map[string]bool
}

func (f *fakeQuita) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/v1/sim/inbound":
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		var m inboundBody
		if err := json.Unmarshal(body, &m); err != nil || m.ID == "" || !strings.HasPrefix(m.From, "+55119") {
			w.WriteHeader(400)
			return
		}
		f.ids[m.ID]++
		f.phones[m.From] = true
		if strings.HasSuffix(m.ID, "7") {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, `{"conversation_id":"c","intent":"greeting","state":"menu","replies":[{"text":"olá"}]}`)
	case "/v1/webhooks/billing":
		s, _ := webhooks.ParseSecret(testSecret)
		v := webhooks.Verifier{Secrets: []webhooks.Secret{s}}
		if err := v.Verify(r.Header, body); err != nil {
			w.WriteHeader(401)
			return
		}
		var e eventJSON
		json.Unmarshal(body, &e)
		f.webhooks[r.Header.Get(webhooks.HeaderID)] = e.Type
		io.WriteString(w, `{"status":"applied"}`)
	default:
		w.WriteHeader(404)
	}
}

func TestRunCountsEveryRequestAndSignsWebhooks(t *testing.T) {
	f := &fakeQuita{ids: map[string]int{}, webhooks: map[string]string{}, phones: map[string]bool{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	rep, err := Run(context.Background(), Config{URL: srv.URL, Token: "tok", WebhookSecret: testSecret, Mode: ModeMixed,
		Debtors: 7, Concurrency: 4, Requests: 100, SeedInvoices: true, RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	// 80 messages, those whose id ends in 7 fail; 20 webhooks; 7 seeding webhooks.
	if rep.Requests != 100 || rep.ByKind[KindInbound].Requests != 80 || rep.ByKind[KindWebhook].Requests != 20 {
		t.Fatalf("counts: %+v", rep)
	}
	failing := 0
	for i := 0; i < 100; i++ {
		if i%5 != 4 && i%10 == 7 {
			failing++
		}
	}
	if rep.Errors != int64(failing) || rep.ErrorsByStatus["503"] != int64(failing) || rep.Replies != int64(80-failing) {
		t.Fatalf("errors %d %v replies %d, want %d 503s", rep.Errors, rep.ErrorsByStatus, rep.Replies, failing)
	}
	if len(f.ids) != 80 || len(f.phones) != 7 || len(f.webhooks) != 27 || rep.Seeded != 7 {
		t.Fatalf("server saw %d messages from %d phones and %d webhooks", len(f.ids), len(f.phones), len(f.webhooks))
	}
	for id, n := range f.ids {
		if n != 1 {
			t.Fatalf("message %s sent %d times", id, n)
		}
	}
	if rep.Latency.P50 <= 0 || rep.Latency.P99 < rep.Latency.P50 || rep.Latency.Max < rep.Latency.P99 || rep.Throughput <= 0 {
		t.Fatalf("latency %+v throughput %v", rep.Latency, rep.Throughput)
	}
	var out strings.Builder
	rep.WriteText(&out)
	if !strings.Contains(out.String(), "503×") || !strings.Contains(out.String(), "p99") {
		t.Fatalf("text report: %s", out.String())
	}
}

func TestRunStopsAtTheDuration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	start := time.Now()
	rep, err := Run(context.Background(), Config{URL: srv.URL, Token: "tok", Concurrency: 2, Requests: 1_000_000, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second || rep.Requests == 0 || rep.Requests > 100 {
		t.Fatalf("ran %v, %d requests", took, rep.Requests)
	}
}

func TestSeedingFailureStopsTheRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }))
	defer srv.Close()
	_, err := Run(context.Background(), Config{URL: srv.URL, Token: "tok", WebhookSecret: testSecret, SeedInvoices: true, Debtors: 50})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v", err)
	}
}
