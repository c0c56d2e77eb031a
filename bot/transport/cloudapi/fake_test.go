package cloudapi

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quitabot/quita/bot/transport/transporttest"
)

// The identities the fake Graph API and the transport under test share.
const (
	testPhoneID     = "1065403522"
	testToken       = "EAAG-test-token"
	testAppSecret   = "app-secret-123"
	testVerifyToken = "verify-me"
	testVersion     = "v26.0"
	debtor          = "+5511988887777"
	debtorDigits    = "5511988887777"
	messagesPath    = "/" + testVersion + "/" + testPhoneID + "/messages"
)

var testNow = time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)

// call is one request the adapter must make, and the fake's answer.
type call struct {
	method string
	path   string
	query  string // the raw query, only on media downloads
	body   string // the JSON the adapter must send; empty for a GET
	status int    // default 200
	reply  string // a JSON answer
	raw    []byte // a binary answer (media bytes), instead of reply
}

// fakeGraph is a local Graph API that expects an exact sequence of
// requests and fails the test on any other, or on any left unmade.
type fakeGraph struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	want []call
	made int
}

func newFakeGraph(t *testing.T) *fakeGraph {
	t.Helper()
	f := &fakeGraph{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		f.srv.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.want {
			t.Errorf("fake graph: expected request never made: %s %s", c.method, c.path)
		}
	})
	return f
}

// expect queues requests the adapter must make next, in order.
func (f *fakeGraph) expect(calls ...call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.want = append(f.want, calls...)
}

// expectSend queues one message POST with the body it must carry,
// answered with wamid.
func (f *fakeGraph) expectSend(body, wamid string) {
	f.expect(call{method: http.MethodPost, path: messagesPath, body: body, reply: sendAnswer(wamid)})
}

func sendAnswer(wamid string) string {
	return `{"messaging_product":"whatsapp","contacts":[{"input":"` + debtorDigits + `","wa_id":"` + debtorDigits +
		`"}],"messages":[{"id":"` + wamid + `"}]}`
}

func (f *fakeGraph) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.made
}

func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.made++
	if len(f.want) == 0 {
		f.mu.Unlock()
		f.t.Errorf("fake graph: unexpected request %s %s %s", r.Method, r.URL.Path, body)
		w.WriteHeader(http.StatusTeapot)
		return
	}
	c := f.want[0]
	f.want = f.want[1:]
	f.mu.Unlock()

	where := c.method + " " + c.path
	if r.Method != c.method || r.URL.Path != c.path {
		f.t.Errorf("fake graph: got %s %s, want %s", r.Method, r.URL.Path, where)
	}
	if r.URL.RawQuery != c.query {
		f.t.Errorf("fake graph: %s: query %q, want %q", where, r.URL.RawQuery, c.query)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		f.t.Errorf("fake graph: %s: Authorization = %q, want the bearer token", where, got)
	}
	if c.method == http.MethodPost {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			f.t.Errorf("fake graph: %s: Content-Type = %q, want application/json", where, ct)
		}
		var got, want any
		if err := json.Unmarshal(body, &got); err != nil {
			f.t.Errorf("fake graph: %s: body is not JSON: %v: %s", where, err, body)
		}
		if err := json.Unmarshal([]byte(c.body), &want); err != nil {
			f.t.Errorf("test bug: expected body is not JSON: %v", err)
		}
		for _, d := range jsonDiff("body", want, got) {
			f.t.Errorf("fake graph: %s: %s", where, d)
		}
	} else if len(body) > 0 {
		f.t.Errorf("fake graph: %s: unexpected body %s", where, body)
	}

	status := c.status
	if status == 0 {
		status = http.StatusOK
	}
	if c.raw != nil {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(status)
		_, _ = w.Write(c.raw)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, c.reply)
}

// jsonDiff lists every difference between two decoded JSON values, one
// line per field, so a failing test names the field that is wrong.
func jsonDiff(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %s", path, show(got))}
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var out []string
		for _, k := range keys {
			wv, inWant := w[k]
			gv, inGot := g[k]
			switch {
			case !inGot:
				out = append(out, fmt.Sprintf("%s.%s: missing, want %s", path, k, show(wv)))
			case !inWant:
				out = append(out, fmt.Sprintf("%s.%s: unexpected field = %s", path, k, show(gv)))
			default:
				out = append(out, jsonDiff(path+"."+k, wv, gv)...)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %s, got %s", path, show(want), show(got))}
		}
		var out []string
		for i := range w {
			out = append(out, jsonDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s: want %s, got %s", path, show(want), show(got))}
	}
	return nil
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// fakeSink records what the transport hands to the engine; its
// LastInbound lets it stand in for the inbox in the end-to-end test.
type fakeSink = transporttest.Sink

// fakeWindow answers LastInbound from a map.
type fakeWindow struct {
	last map[string]time.Time
	err  error
}

func (w *fakeWindow) LastInbound(_ context.Context, phone string) (time.Time, error) {
	return w.last[phone], w.err
}

type fixedClock struct{ now time.Time }

func (c fixedClock) Now() time.Time { return c.now }

// env is a transport wired to a fake Graph API, a recording sink and a
// window that is open (the debtor wrote an hour ago) unless changed.
type env struct {
	tr     *Transport
	graph  *fakeGraph
	sink   *fakeSink
	window *fakeWindow
	logs   *bytes.Buffer
}

func newEnv(t *testing.T, configure ...func(*Config)) *env {
	t.Helper()
	e := &env{graph: newFakeGraph(t), sink: &fakeSink{}, logs: &bytes.Buffer{},
		window: &fakeWindow{last: map[string]time.Time{debtor: testNow.Add(-time.Hour)}}}
	cfg := Config{PhoneNumberID: testPhoneID, AccessToken: testToken, AppSecret: testAppSecret,
		VerifyToken: testVerifyToken, BaseURL: e.graph.srv.URL, APIVersion: testVersion,
		Clock: fixedClock{testNow}, Sink: e.sink, Window: e.window,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, f := range configure {
		f(&cfg)
	}
	tr, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.tr = tr
	return e
}

// sign is the X-Hub-Signature-256 value Meta would send for body.
func sign(body string) string {
	mac := hmac.New(sha256.New, []byte(testAppSecret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// deliver posts a signed webhook body to the transport.
func (e *env) deliver(t *testing.T, body string) error {
	t.Helper()
	return e.tr.HandleWebhook(context.Background(), []byte(body), sign(body))
}

// notification wraps change values in Meta's envelope.
func notification(values ...string) string {
	changes := make([]string, len(values))
	for i, v := range values {
		changes[i] = `{"field":"messages","value":` + v + `}`
	}
	return `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[` +
		strings.Join(changes, ",") + `]}]}`
}

// value is one change value for phoneID carrying messages or statuses
// (a JSON fragment such as `"messages":[…]`).
func value(phoneID, inner string) string {
	return `{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"` +
		phoneID + `"},` + inner + `}`
}
