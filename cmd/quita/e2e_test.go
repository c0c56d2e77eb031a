package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quitabot/quita/store/storetest"
)

// syncBuffer is a goroutine-safe writer for the service's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is a running `quita serve` started through run, as main does.
type instance struct {
	t      *testing.T
	base   string
	token  string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   func() int
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)
var simLink = regexp.MustCompile(`/sim\?code=(\S+)`)

// printedToken finds the API token in the start-up output: generated
// ("shown only now") or in the demo's curl line.
var printedToken = regexp.MustCompile(`(?:generated QUITA_API_TOKEN[^\n]*\n\s+|Authorization: Bearer )([^'\s]+)`)

// startQuita runs the service with env on a free port and waits until it
// listens. stop cancels it as SIGTERM would and returns the exit status.
func startQuita(t *testing.T, env map[string]string, args ...string) *instance {
	t.Helper()
	if env["QUITA_ADDR"] == "" {
		env["QUITA_ADDR"] = "127.0.0.1:0"
	}
	if env["QUITA_WHATSAPP"] == "" {
		// No WhatsApp network here; the tests that want the link on say so.
		env["QUITA_WHATSAPP"] = "off"
	}
	if _, ok := env["QUITA_CONFIG"]; !ok {
		// The built-in policy without its cadence, so reminders do not
		// interleave with what these tests assert; reminder behaviour has
		// its own tests (TestRemindersThroughTheSimulatorClock, goldens).
		path := t.TempDir() + "/quita.yaml"
		if err := os.WriteFile(path, []byte("company:\n  name: Quita Demo\n  document: 11.222.333/0001-81\nreminders:\n  cadence: []\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env["QUITA_CONFIG"] = path
	}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	inst := &instance{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), getenv, strings.NewReader(""), inst.stdout, inst.stderr)
	}()
	var once sync.Once
	code := -1
	inst.stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("quita did not stop within 30s of SIGTERM")
			}
		})
		return code
	}
	t.Cleanup(func() { inst.stop() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		// The welcome ends with the health line; the links before it (a
		// sign-in code is stored first) must all be there to be read.
		if out := inst.stdout.String(); strings.Contains(out, "  health:") {
			if m := listening.FindStringSubmatch(out); m != nil {
				inst.base = m[1]
				break
			}
		}
		select {
		case c := <-done:
			done <- c // for the cleanup's stop
			t.Fatalf("quita exited with %d before listening: %s", c, inst.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if inst.base == "" {
		t.Fatalf("quita did not start: %s %s", inst.stdout.String(), inst.stderr.String())
	}
	inst.token = env["QUITA_API_TOKEN"]
	if m := printedToken.FindStringSubmatch(inst.stdout.String()); m != nil {
		inst.token = m[1]
	}
	return inst
}

// call makes an API request with the bearer token and decodes JSON.
func (in *instance) call(method, path string, body any, out any) int {
	in.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, in.base+path, r)
	req.Header.Set("Authorization", "Bearer "+in.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			in.t.Fatalf("%s %s: %d %s: not JSON: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

type inboundResp struct {
	ConversationID string `json:"conversation_id"`
	Intent         string `json:"intent"`
	State          string `json:"state"`
	Replies        []struct {
		Text    string `json:"text"`
		Buttons []struct{ ID, Title string }
	} `json:"replies"`
}

func (r inboundResp) text() string {
	var parts []string
	for _, rep := range r.Replies {
		parts = append(parts, rep.Text)
	}
	return strings.Join(parts, "\n---\n")
}

type apiError struct {
	Error struct{ Code, Message string } `json:"error"`
}

// backendEnv returns the environment for a fresh database on each backend
// under test, with Redis coordination alongside PostgreSQL when available.
func backendEnvs(t *testing.T) map[string]func(t *testing.T) map[string]string {
	envs := map[string]func(t *testing.T) map[string]string{
		"sqlite": func(t *testing.T) map[string]string {
			return map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t)}
		},
	}
	if os.Getenv(storetest.EnvDatabaseURL) != "" {
		envs["postgres+redis"] = func(t *testing.T) map[string]string {
			return map[string]string{"QUITA_DATABASE_URL": storetest.PostgresURL(t), "QUITA_REDIS_URL": os.Getenv("QUITA_TEST_REDIS_URL")}
		}
	}
	return envs
}

func TestServeDemoConversationEndToEnd(t *testing.T) {
	for name, envFor := range backendEnvs(t) {
		t.Run(name, func(t *testing.T) {
			env := envFor(t)
			q := startQuita(t, env, "--demo")
			if !strings.Contains(q.stdout.String(), "generated QUITA_API_TOKEN") {
				t.Fatalf("first start did not print the generated token: %s", q.stdout.String())
			}
			maria := "+5511988887777"

			var r inboundResp
			if st := q.call("POST", "/v1/sim/inbound", map[string]string{"from": "(11) 98888-7777", "text": "oi, quanto eu devo?", "id": "m1"}, &r); st != 200 {
				t.Fatalf("inbound status %d", st)
			}
			if r.State != "confirm_identity" || !strings.Contains(r.text(), "Maria?") || strings.Contains(r.text(), "R$") {
				t.Fatalf("first contact must confirm identity and disclose nothing: %+v", r)
			}
			if len(r.Replies[len(r.Replies)-1].Buttons) != 2 {
				t.Fatalf("identity question has no yes/no buttons: %+v", r.Replies)
			}
			// The same message id again is handled once: same outcome, no new entries.
			var again inboundResp
			q.call("POST", "/v1/sim/inbound", map[string]string{"from": maria, "text": "oi, quanto eu devo?", "id": "m1"}, &again)
			if again.ConversationID != r.ConversationID || again.text() != r.text() {
				t.Fatalf("replay answered differently: %+v vs %+v", again, r)
			}
			q.call("POST", "/v1/sim/inbound", map[string]string{"from": maria, "text": "1", "id": "m2"}, &r)
			if r.Intent != "affirmative" || !strings.Contains(r.text(), "R$ 159,90") || !strings.Contains(r.text(), "Quita Demo") {
				t.Fatalf("after confirming, the pending balance question must be answered naming the creditor: %+v", r)
			}
			var outbox struct{ Messages []struct{ At, Text string } }
			q.call("GET", "/v1/sim/outbox?to="+maria, nil, &outbox)
			if len(outbox.Messages) != 2+len(r.Replies) {
				t.Fatalf("outbox has %d messages, want %d: %+v", len(outbox.Messages), 2+len(r.Replies), outbox)
			}
			if !strings.HasSuffix(outbox.Messages[0].At, "-03:00") {
				t.Fatalf("outbox time not in the business timezone: %s", outbox.Messages[0].At)
			}

			var tr struct {
				Conversation struct{ ID, Phone string }
				Entries      []struct {
					Seq                                           int64
					Direction, Author, Text, Intent, Status, Hash string
				}
			}
			q.call("GET", "/v1/conversations/"+r.ConversationID+"/transcript?format=json", nil, &tr)
			inbound := 0
			for _, e := range tr.Entries {
				if e.Direction == "in" {
					inbound++
				}
				if e.Direction == "out" && e.Status != "sent" {
					t.Errorf("entry %d status %q, want sent", e.Seq, e.Status)
				}
			}
			if inbound != 2 || tr.Conversation.Phone != maria {
				t.Fatalf("transcript has %d inbound entries (want 2, the replay must not add one): %+v", inbound, tr)
			}
			var v struct {
				OK      bool
				Entries int
			}
			q.call("GET", "/v1/conversations/"+r.ConversationID+"/transcript/verify", nil, &v)
			if !v.OK || v.Entries != len(tr.Entries) {
				t.Fatalf("verify = %+v", v)
			}
			var list struct {
				Conversations []struct{ ID, Phone, Status, State string }
			}
			q.call("GET", "/v1/conversations?phone=11988887777", nil, &list)
			if len(list.Conversations) != 1 || list.Conversations[0].ID != r.ConversationID {
				t.Fatalf("list by phone = %+v", list)
			}
			if code := q.stop(); code != 0 {
				t.Fatalf("graceful stop exited %d: %s", code, q.stderr.String())
			}

			// A restart reuses the stored token and does not print it again,
			// and the demo data is not loaded twice.
			q2 := startQuita(t, env, "--demo")
			if strings.Contains(q2.stdout.String(), "generated QUITA_API_TOKEN") || q2.token != q.token {
				t.Fatalf("restart generated a new token: %s", q2.stdout.String())
			}
			q2.call("GET", "/v1/sim/outbox?to="+maria, nil, &outbox)
			if len(outbox.Messages) != 2+len(r.Replies) {
				t.Fatalf("messages lost or duplicated across restart: %d", len(outbox.Messages))
			}
		})
	}
}

func TestHTTPErrorsUseTheContractShape(t *testing.T) {
	q := startQuita(t, map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t), "QUITA_API_TOKEN": "test-token-0123456789"})
	cases := []struct {
		name, method, path string
		body               any
		noAuth             bool
		status             int
		code               string
	}{
		{"no token", "POST", "/v1/sim/inbound", map[string]string{"from": "+5511988887777", "text": "oi"}, true, 401, "unauthenticated"},
		{"bad json", "POST", "/v1/sim/inbound", []byte(`{"from":`), false, 400, "malformed_request"},
		{"missing from", "POST", "/v1/sim/inbound", map[string]string{"text": "oi"}, false, 422, "invalid"},
		{"invalid phone", "POST", "/v1/sim/inbound", map[string]string{"from": "12", "text": "oi"}, false, 422, "invalid"},
		{"empty message", "POST", "/v1/sim/inbound", map[string]string{"from": "+5511988887777"}, false, 422, "invalid"},
		// NUL is cleaned out of a debtor's text (TestHostileTextIsStoredOrRefusedNeverA500); nothing left is an empty message.
		{"only NUL in text", "POST", "/v1/sim/inbound", map[string]string{"from": "+5511988887777", "text": "\u0000"}, false, 422, "invalid"},
		{"bad clock", "POST", "/v1/sim/clock", map[string]string{"now": "tomorrow"}, false, 422, "invalid"},
		{"clock backwards", "POST", "/v1/sim/clock", map[string]string{"now": "2020-01-01T00:00:00-03:00"}, false, 422, "invalid"},
		{"unknown conversation", "GET", "/v1/conversations/nope", nil, false, 404, "not_found"},
		{"bad status filter", "GET", "/v1/conversations?status=maybe", nil, false, 422, "invalid"},
		{"bad transcript format", "GET", "/v1/conversations/x/transcript?format=doc", nil, false, 422, "invalid"},
		{"unknown route", "GET", "/v1/nothing-here", nil, false, 404, "not_found"},
		{"unknown route without token", "GET", "/v1/nothing-here", nil, true, 401, "unauthenticated"},
		{"unknown public route", "GET", "/nothing-here", nil, true, 404, "not_found"},
	}
	if st, body := q.postOversized("/v1/sim/inbound"); st != 413 || !strings.Contains(body, `"code":"payload_too_large"`) {
		t.Errorf("oversized body: %d %s", st, body)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var e apiError
			token := q.token
			if tc.noAuth {
				q.token = ""
			}
			st := q.call(tc.method, tc.path, tc.body, &e)
			q.token = token
			if st != tc.status || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d %s", st, e, tc.status, tc.code)
			}
		})
	}
}

func TestSimulatorPageAndOperations(t *testing.T) {
	q := startQuita(t, map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t)}, "--demo")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, cookie *http.Cookie) *http.Response {
		req, _ := http.NewRequest("GET", q.base+path, nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if resp := get("/sim", nil); resp.StatusCode != 401 {
		t.Fatalf("/sim without a session: %d", resp.StatusCode)
	}
	if resp := get("/sim?code=wrong", nil); resp.StatusCode != 401 {
		t.Fatalf("/sim with a wrong code: %d", resp.StatusCode)
	}
	// The printed link carries a single-use code, never the token.
	out := q.stdout.String()
	m := simLink.FindStringSubmatch(out)
	if m == nil || strings.Contains(m[0], q.token) {
		t.Fatalf("no /sim?code= link, or it carries the token: %s", out)
	}
	if resp := get("/sim?token="+q.token, nil); resp.StatusCode != 401 {
		t.Fatalf("the token in a URL still signs in: %d", resp.StatusCode)
	}
	resp := get("/sim?code="+m[1], nil)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/sim" {
		t.Fatalf("code link did not redirect to the clean URL: %d %v", resp.StatusCode, resp.Header)
	}
	if again := get("/sim?code="+m[1], nil); again.StatusCode != 401 {
		t.Fatalf("the code worked twice: %d", again.StatusCode)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "quita_sim" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || strings.Contains(session.Value, q.token) {
		t.Fatalf("session cookie missing, readable by scripts or carrying the token: %+v", session)
	}
	page := get("/sim", session)
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != 200 || !bytes.Contains(body, []byte("Maria Souza")) || bytes.Contains(body, []byte(q.token)) {
		t.Fatalf("/sim page: %d, lists demo debtors: %v, leaks token: %v", page.StatusCode,
			bytes.Contains(body, []byte("Maria Souza")), bytes.Contains(body, []byte(q.token)))
	}
	// The cookie alone (a cross-site request) is not enough for the API.
	req, _ := http.NewRequest("POST", q.base+"/v1/sim/inbound", strings.NewReader(`{"from":"+5511988887777","text":"oi"}`))
	req.AddCookie(session)
	if r, _ := http.DefaultClient.Do(req); r.StatusCode != 401 {
		t.Fatalf("cookie without the X-Quita-Sim header was accepted: %d", r.StatusCode)
	}
	req, _ = http.NewRequest("POST", q.base+"/v1/sim/inbound", strings.NewReader(`{"from":"+5511988887777","text":"oi"}`))
	req.AddCookie(session)
	req.Header.Set("X-Quita-Sim", "1")
	if r, _ := http.DefaultClient.Do(req); r.StatusCode != 200 {
		t.Fatalf("page session could not chat: %d", r.StatusCode)
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		if r := get(path, nil); r.StatusCode != 200 {
			t.Fatalf("%s = %d", path, r.StatusCode)
		}
	}
	metrics, _ := io.ReadAll(get("/metrics", nil).Body)
	for _, want := range []string{`quita_http_requests_total{method="POST",route="/v1/sim/inbound",status="200"}`,
		`quita_messages_inbound_total{intent="greeting",transport="sim"} 1`, `quita_messages_outbound_total{result="sent",transport="sim"}`,
		`quita_outbox_items{kind="message",status="sent"}`} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}

	var moved struct {
		Now  string
		Sent []struct{ To, Text string }
	}
	if st := q.call("POST", "/v1/sim/clock", map[string]string{"now": time.Now().Add(48 * time.Hour).Format(time.RFC3339)}, &moved); st != 200 {
		t.Fatalf("clock move: %d", st)
	}
	var outbox struct{ Messages []struct{ At string } }
	q.call("POST", "/v1/sim/inbound", map[string]string{"from": "+5511988887777", "text": "oi"}, nil)
	q.call("GET", "/v1/sim/outbox?to=%2B5511988887777", nil, &outbox)
	last, _ := time.Parse(time.RFC3339, outbox.Messages[len(outbox.Messages)-1].At)
	if time.Until(last) < 47*time.Hour {
		t.Fatalf("a message sent after moving the clock is stamped %v", last)
	}
}

func TestCommandsAndConfigErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	env := map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t)}
	getenv := func(k string) string { return env[k] }
	if code := run(context.Background(), []string{"migrate"}, getenv, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "applied") {
		t.Fatalf("migrate: %d %q %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate"}, getenv, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("second migrate: %d %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"version"}, getenv, nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "quita ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	bad := []struct{ key, value, want string }{
		{"QUITA_TIMEZONE", "Mars/Olympus", "QUITA_TIMEZONE: unknown time zone"},
		{"QUITA_ADDR", "eighty", "QUITA_ADDR:"},
		{"QUITA_DATABASE_URL", "mysql://x", "QUITA_DATABASE_URL: must start with"},
		{"QUITA_SIMULATOR", "maybe", "QUITA_SIMULATOR:"},
		{"QUITA_WEBHOOK_SECRET", "secret", "QUITA_WEBHOOK_SECRET:"},
		{"QUITA_LOCALE", "fr", "QUITA_LOCALE:"},
		{"QUITA_API_TOKEN", "short", "QUITA_API_TOKEN:"},
		{"QUITA_BILLING_WEBHOOK_URL", "https://billing.example/hook", "QUITA_BILLING_WEBHOOK_SECRET: required"},
		{"QUITA_CONFIG", "/nonexistent/quita.yaml", "QUITA_CONFIG: policy file /nonexistent/quita.yaml does not exist"},
		{"QUITA_API_TOKEN", " abcdefghijklmnopqrstu", "QUITA_API_TOKEN: has leading or trailing spaces"},
		{"QUITA_WEBHOOK_SECRET", ",", "QUITA_WEBHOOK_SECRET: no whsec_"},
	}
	for _, b := range bad {
		errOut.Reset()
		env := map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t), "QUITA_ADDR": "127.0.0.1:0"}
		env[b.key] = b.value
		// A bad value must stop start-up; the timeout only bounds a regression.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		code := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, &errOut)
		lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
		if code == 0 || len(lines) != 1 || !strings.Contains(lines[0], b.want) {
			t.Errorf("%s=%s: exit %d, stderr %q; want one line containing %q", b.key, b.value, code, errOut.String(), b.want)
		}
		cancel()
	}
	policyFile := t.TempDir() + "/quita.yaml"
	os.WriteFile(policyFile, []byte("company:\n  name: Acme Telecom\ncharges:\n  late_fee_percent: 10\n"), 0o600)
	errOut.Reset()
	env = map[string]string{"QUITA_CONFIG": policyFile, "QUITA_DATABASE_URL": storetest.SQLiteURL(t), "QUITA_ADDR": "127.0.0.1:0"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code := run(ctx, nil, func(k string) string { return env[k] }, nil, io.Discard, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "late_fee_percent") || strings.Count(strings.TrimSpace(errOut.String()), "\n") != 0 {
		t.Fatalf("a multa over 2%% must stop start-up with one line naming the key: %d %q", code, errOut.String())
	}
	// Over a real WhatsApp number the creditor's CNPJ is required (CDC art. 42-A).
	os.WriteFile(policyFile, []byte("company:\n  name: Acme Telecom\n"), 0o600)
	for _, transport := range []map[string]string{{"QUITA_WHATSAPP": "on"},
		{"QUITA_WHATSAPP": "off", "QUITA_CLOUDAPI_PHONE_NUMBER_ID": "1", "QUITA_CLOUDAPI_TOKEN": "t", "QUITA_CLOUDAPI_APP_SECRET": "s", "QUITA_CLOUDAPI_VERIFY_TOKEN": "v"}} {
		errOut.Reset()
		env = map[string]string{"QUITA_CONFIG": policyFile, "QUITA_DATABASE_URL": storetest.SQLiteURL(t), "QUITA_ADDR": "127.0.0.1:0"}
		for k, v := range transport {
			env[k] = v
		}
		code = run(ctx, nil, func(k string) string { return env[k] }, nil, io.Discard, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), "company.document") || strings.Count(strings.TrimSpace(errOut.String()), "\n") != 0 {
			t.Fatalf("%v without company.document must stop start-up with one line naming the key: %d %q", transport, code, errOut.String())
		}
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"frobnicate"}, getenv, nil, io.Discard, &errOut); code == 0 {
		t.Fatal("unknown command exited 0")
	}
}

func TestTheTokenIsPrintedOnlyWhenGenerated(t *testing.T) {
	env := map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t)}
	first := startQuita(t, env)
	if first.token == "" || !strings.Contains(first.stdout.String(), first.token) {
		t.Fatalf("first start did not show the generated token: %s", first.stdout.String())
	}
	first.stop()
	second := startQuita(t, env)
	if strings.Contains(second.stdout.String(), first.token) || !strings.Contains(second.stdout.String(), "sign in with QUITA_API_TOKEN") {
		t.Fatalf("a later start printed the token: %s", second.stdout.String())
	}
}

func TestRemindersThroughTheSimulatorClock(t *testing.T) {
	// The built-in policy, cadence included; the policy file only names the creditor.
	path := t.TempDir() + "/quita.yaml"
	os.WriteFile(path, []byte("company:\n  name: Quita Demo\n  contact_phone: (11) 4000-1234\n"), 0o600)
	q := startQuita(t, map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t), "QUITA_CONFIG": path})
	due := time.Now().In(saoPauloTZ(t)).AddDate(0, 0, 10).Format("2006-01-02")
	body := map[string]any{"invoice_id": "INV-R1", "amount_cents": 15990, "due_date": due, "description": "Internet",
		"customer": map[string]string{"id": "C-R", "name": "Rita Lima", "phone": "+5511944443333"}}
	if st := q.call("POST", "/v1/invoices", body, nil); st != 201 {
		t.Fatalf("create invoice: %d", st)
	}
	var sentTotal int
	for day := 1; day <= 14; day++ {
		var moved struct{ Sent []struct{ To, Text string } }
		at := time.Now().In(saoPauloTZ(t)).AddDate(0, 0, day)
		at = time.Date(at.Year(), at.Month(), at.Day(), 10, 0, 0, 0, at.Location())
		if st := q.call("POST", "/v1/sim/clock", map[string]string{"now": at.Format(time.RFC3339)}, &moved); st != 200 {
			t.Fatalf("clock to %s: %d", at, st)
		}
		for _, m := range moved.Sent {
			if m.To == "+5511944443333" {
				sentTotal++
				if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
					t.Errorf("a reminder went out on a %s: %q", wd, m.Text)
				}
			}
		}
	}
	var outbox struct{ Messages []struct{ At, Text string } }
	q.call("GET", "/v1/sim/outbox?to=%2B5511944443333", nil, &outbox)
	for _, m := range outbox.Messages {
		t.Logf("%s %q", m.At, m.Text)
	}
	if sentTotal == 0 || len(outbox.Messages) != sentTotal {
		t.Fatalf("reminders sent %d, outbox holds %d: %+v", sentTotal, len(outbox.Messages), outbox)
	}
	for _, m := range outbox.Messages {
		if !strings.Contains(m.Text, "Quita Demo") || strings.Contains(m.Text, "R$ 159,90") && !strings.Contains(m.Text, "Rita") {
			t.Errorf("reminder without the creditor or disclosing to an unconfirmed number: %q", m.Text)
		}
	}
}

func saoPauloTZ(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
