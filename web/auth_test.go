package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
)

// api sends a JSON request with the browser's cookies and the headers.
func (b *browser) api(method, path, body string, headers ...string) page {
	b.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	for k, v := range b.jar {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.env.app.Test(req, 5000)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, body: string(data), location: resp.Header.Get("Location"), header: resp.Header}
}

var bearer = []string{"Authorization", "Bearer " + consoleToken}

// Item 5: a simulator session opened from the console is kept on the
// server and dies with the console session (logout) and with its admin
// (disable); a copied cookie is worthless afterwards.
func TestSecuritySimSessionEndsWithLogoutAndDisable(t *testing.T) {
	env := newConsoleEnv(t, false)
	root := env.browser(t)
	root.mustLogin("root")
	if p := root.do("GET", "/console/sim", nil); p.status != fiber.StatusSeeOther || p.location != "/sim" || root.jar[simCookie] == "" {
		t.Fatalf("open the simulator: %d %q %v", p.status, p.location, root.jar)
	}
	copied := env.browser(t)
	copied.jar[simCookie] = root.jar[simCookie]
	if p := copied.do("GET", "/sim", nil); p.status != 200 {
		t.Fatalf("simulator page with the session: %d", p.status)
	}
	if p := copied.api("POST", "/v1/conversations/cnv_1/messages", `{"text":"oi"}`, simHeader, "1"); p.status != 200 {
		t.Fatalf("reply from the simulator session: %d %s", p.status, p.body)
	}
	if got := env.agents.log(); len(got) != 1 || got[0] != "root reply oi" {
		t.Fatalf("the simulator session acted as %v, want root", got)
	}
	if p := root.post("/console/logout", nil); p.status != fiber.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	if _, ok := root.jar[simCookie]; ok {
		t.Error("logout left the simulator cookie in the browser")
	}
	if p := copied.do("GET", "/sim", nil); p.status != fiber.StatusUnauthorized {
		t.Fatalf("simulator page after the console logout: %d", p.status)
	}
	if p := copied.api("POST", "/v1/conversations/cnv_1/messages", `{"text":"again"}`, simHeader, "1"); p.status != fiber.StatusUnauthorized {
		t.Fatalf("API with the simulator cookie after the console logout: %d", p.status)
	}

	root.mustLogin("root")
	root.do("GET", "/console/sim", nil)
	copied.jar[simCookie] = root.jar[simCookie]
	if p := copied.do("GET", "/sim", nil); p.status != 200 {
		t.Fatalf("second simulator session: %d", p.status)
	}
	if err := env.st.SetAgentDisabled(context.Background(), "root", true, time.Now()); err != nil {
		t.Fatal(err)
	}
	if p := copied.do("GET", "/sim", nil); p.status != fiber.StatusUnauthorized {
		t.Fatalf("simulator page after `agent disable root`: %d", p.status)
	}
	var n int64
	env.st.Gorm.Raw("SELECT COUNT(*) FROM sim_sessions WHERE id_hash = ?", copied.jar[simCookie]).Scan(&n)
	if n != 0 {
		t.Fatal("the raw simulator session id is stored")
	}
}

// Item 5: outside the console the acting agent is the authenticated
// principal. The bearer token acts as "api"; a body naming someone else is
// refused, and nothing is written in their name.
func TestSecurityTheBodyCannotNameTheActingAgent(t *testing.T) {
	env := newConsoleEnv(t, false)
	anon := env.browser(t)
	// The contract's form still works with the token, but acts as "api":
	// the name in the body is not who the action is recorded as.
	if p := anon.api("POST", "/v1/conversations/cnv_1/takeover", `{"agent":"bia"}`, bearer...); p.status != 200 {
		t.Errorf("bearer taking over naming bia: %d %s", p.status, p.body)
	}
	if p := anon.api("POST", "/v1/conversations/cnv_1/messages", `{"text":"from the integration"}`, bearer...); p.status != 200 {
		t.Fatalf("bearer reply: %d %s", p.status, p.body)
	}
	if p := anon.api("POST", "/v1/conversations/cnv_1/release", `{"agent":"api"}`, bearer...); p.status != 200 {
		t.Fatalf("bearer naming itself: %d %s", p.status, p.body)
	}
	root := env.browser(t)
	root.mustLogin("root")
	root.do("GET", "/console/sim", nil)
	if p := root.api("POST", "/v1/conversations/cnv_1/messages", `{"agent":"ana","text":"forged"}`, simHeader, "1"); p.status != fiber.StatusForbidden {
		t.Errorf("simulator session writing as ana: %d", p.status)
	}
	want := []string{"api takeover", "api reply from the integration", "api release"}
	if got := env.agents.log(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("actions %v, want %v", got, want)
	}
}

// LOW: the /sim link carries a single-use code that expires, not the API
// token; the token is only accepted posted, never in a URL.
func TestSecuritySimLinkCarriesASingleUseCode(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	env := newConsoleEnvWith(t, false, func(d *Deps) {
		d.Console.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ctx := context.Background()
	code, err := NewSimSignInCode(ctx, env.st, consoleToken, now)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(code, consoleToken) || len(code) < 20 {
		t.Fatalf("code %q", code)
	}
	first := env.browser(t)
	if p := first.do("GET", "/sim?code="+url.QueryEscape(code), nil); p.status != fiber.StatusSeeOther || p.location != "/sim" || first.jar[simCookie] == "" {
		t.Fatalf("sign in with the code: %d %q", p.status, p.location)
	}
	if p := first.do("GET", "/sim", nil); p.status != 200 {
		t.Fatalf("page after the code: %d", p.status)
	}
	if p := first.api("POST", "/v1/conversations/cnv_1/release", ``, simHeader, "1"); p.status != 200 {
		t.Fatalf("API from the code's session: %d %s", p.status, p.body)
	}
	if got := env.agents.log(); len(got) != 1 || got[0] != "api release" {
		t.Fatalf("code session acted as %v, want api", got)
	}
	second := env.browser(t)
	if p := second.do("GET", "/sim?code="+url.QueryEscape(code), nil); p.status != fiber.StatusUnauthorized || second.jar[simCookie] != "" {
		t.Fatalf("the code worked twice: %d", p.status)
	}
	if p := second.do("GET", "/sim?token="+consoleToken, nil); p.status != fiber.StatusUnauthorized || second.jar[simCookie] != "" {
		t.Fatalf("the API token in a URL signed in: %d", p.status)
	}
	late, _ := NewSimSignInCode(ctx, env.st, consoleToken, now)
	advance(SimCodeTTL + time.Second)
	if p := second.do("GET", "/sim?code="+url.QueryEscape(late), nil); p.status != fiber.StatusUnauthorized {
		t.Fatalf("an expired code worked: %d", p.status)
	}
	// The token, posted, signs in; a wrong one does not.
	if p := second.do("POST", "/sim/login", url.Values{"token": {"wrong-token-0123456789"}}); p.status != fiber.StatusUnauthorized {
		t.Fatalf("wrong token posted: %d", p.status)
	}
	if p := second.do("POST", "/sim/login", url.Values{"token": {consoleToken}}); p.status != fiber.StatusSeeOther || second.jar[simCookie] == "" {
		t.Fatalf("token posted: %d", p.status)
	}
	if p := second.do("POST", "/sim/login", url.Values{"token": {consoleToken}}, "Origin", "https://evil.example"); p.status != fiber.StatusForbidden {
		t.Fatalf("cross-site sign-in: %d", p.status)
	}
	// Sessions last 12 hours from sign-in.
	advance(simSessionTTL)
	if p := second.do("GET", "/sim", nil); p.status != fiber.StatusUnauthorized {
		t.Fatalf("a 12-hour-old simulator session still works: %d", p.status)
	}
}

// A server with another API token (the token rotated) does not honour the
// old token's simulator sessions.
func TestSecurityRotatingTheTokenEndsSimSessions(t *testing.T) {
	env := newConsoleEnv(t, false)
	b := env.browser(t)
	if p := b.do("POST", "/sim/login", url.Values{"token": {consoleToken}}); p.status != fiber.StatusSeeOther {
		t.Fatalf("sign in: %d", p.status)
	}
	rotated, err := New(Deps{Store: env.st, Coord: env.coord, Clock: nil, Location: time.UTC, APIToken: "rotated-token-0123456789",
		Simulator: true, Agents: env.agents})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/v1/conversations/cnv_1/release", nil)
	req.Header.Set(simHeader, "1")
	req.AddCookie(&http.Cookie{Name: simCookie, Value: b.jar[simCookie]})
	resp, err := rotated.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != fiber.StatusUnauthorized {
		t.Fatalf("a session of the old token: %d", resp.StatusCode)
	}
}

// Item 7: an agent's confirmation goes through the rule that needs a
// pending claim; only an admin's may mark an unclaimed invoice paid. The
// engine enforces the rule (bot/engine's
// TestConfirmingAPaymentWithoutAClaimIsAnAdminAction); here, that the web
// layer asks for the right one, and a refusal has the contract's shape.
func TestConfirmingAPaymentAsAgentOrAdmin(t *testing.T) {
	env := newConsoleEnv(t, false)
	env.agents.unclaimed = map[string]bool{"INV-2": true}
	ana, root, anon := env.browser(t), env.browser(t), env.browser(t)
	ana.mustLogin("ana")
	root.mustLogin("root")
	p := ana.api("POST", "/v1/conversations/cnv_1/payments/confirm", `{"invoice_id":"INV-2"}`, csrfHeader, ana.csrf)
	if p.status != fiber.StatusConflict || !strings.Contains(p.body, `{"error":{"code":"conflict","message":`) {
		t.Fatalf("agent confirming an unclaimed invoice: %d %s", p.status, p.body)
	}
	if p := ana.api("POST", "/v1/conversations/cnv_1/payments/confirm", `{"invoice_id":"INV-1"}`, csrfHeader, ana.csrf); p.status != 200 {
		t.Fatalf("agent confirming a claim: %d %s", p.status, p.body)
	}
	env.agents.mu.Lock()
	env.agents.holder = map[string]string{}
	env.agents.mu.Unlock()
	if p := root.api("POST", "/v1/conversations/cnv_1/payments/confirm", `{"invoice_id":"INV-2"}`, csrfHeader, root.csrf); p.status != 200 {
		t.Fatalf("admin confirming: %d %s", p.status, p.body)
	}
	env.agents.mu.Lock()
	env.agents.holder = map[string]string{}
	env.agents.mu.Unlock()
	if p := anon.api("POST", "/v1/conversations/cnv_1/payments/confirm", `{"invoice_id":"INV-2"}`, bearer...); p.status != 200 {
		t.Fatalf("bearer confirming: %d %s", p.status, p.body)
	}
	want := "ana confirm INV-1|root admin-confirm INV-2|api admin-confirm INV-2"
	if got := strings.Join(env.agents.log(), "|"); got != want {
		t.Fatalf("confirmations %s, want %s", got, want)
	}
	// The console's form takes the same road.
	ana.post("/console/c/cnv_1/payments/confirm", url.Values{"invoice": {"INV-2"}})
	if got := env.agents.log(); len(got) != 3 {
		t.Fatalf("the console form let an agent confirm an unclaimed invoice: %v", got)
	}
}

// logBuffer collects the service's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Item 8: strangers failing as bia from other addresses do not lock bia
// out; one address failing backs off on its own; the log says who and from
// where, never what was typed.
func TestSecurityStrangersCannotLockAnAgentOut(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	logs := &logBuffer{}
	env := newConsoleEnvWith(t, false, func(d *Deps) {
		d.Console.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		d.Console.Proxies = TrustedProxies{Header: "X-Forwarded-For", Networks: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}}
		d.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	from := func(ip string) *browser {
		b := env.browser(t)
		b.headers = []string{"X-Forwarded-For", ip}
		return b
	}
	for i := 0; i < 12; i++ {
		stranger := from("203.0.113." + string(rune('1'+i%9)) + string(rune('0'+i/9)))
		if p := stranger.login("bia", "guess-number-"+string(rune('a'+i)), ""); p.status != fiber.StatusUnauthorized {
			t.Fatalf("stranger %d: %d", i, p.status)
		}
	}
	bia := from("198.51.100.7")
	if p := bia.login("bia", testPasswords["bia"], ""); p.status != fiber.StatusSeeOther {
		t.Fatalf("bia after strangers failed as her: %d, want a sign-in", p.status)
	}

	// One address failing as ana backs off: two free failures, then waits.
	mallory := from("192.0.2.66")
	for i, want := range []int{401, 401, 401, 429} {
		if p := mallory.login("ana", "ana-wrong-guess", ""); p.status != want {
			t.Fatalf("attempt %d from one address: %d, want %d", i+1, p.status, want)
		}
	}
	p := mallory.login("ana", testPasswords["ana"], "")
	if p.status != fiber.StatusTooManyRequests || p.header.Get("Retry-After") != "30" {
		t.Fatalf("right password while waiting: %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	// ana from her own address is unaffected, and mallory's wait ends.
	if p := from("198.51.100.8").login("ana", testPasswords["ana"], ""); p.status != fiber.StatusSeeOther {
		t.Fatalf("ana from her address: %d", p.status)
	}
	advance(31 * time.Second)
	if p := mallory.login("ana", "ana-wrong-guess", ""); p.status != fiber.StatusUnauthorized {
		t.Fatalf("after the wait: %d", p.status)
	}
	if p := mallory.login("ana", testPasswords["ana"], ""); p.status != fiber.StatusTooManyRequests || p.header.Get("Retry-After") != "60" {
		t.Fatalf("the wait doubles: %d %q", p.status, p.header.Get("Retry-After"))
	}

	out := logs.String()
	if !strings.Contains(out, "console login refused") || !strings.Contains(out, "ip=192.0.2.66") || !strings.Contains(out, "agent=bia") {
		t.Fatalf("refusals not logged with the account and address:\n%s", out)
	}
	for _, typed := range []string{"guess-number", "ana-wrong-guess", testPasswords["bia"]} {
		if strings.Contains(out, typed) {
			t.Fatalf("the log echoes what was typed (%s):\n%s", typed, out)
		}
	}
	// A name that is no account is not logged either: it may be a password.
	from("192.0.2.77").login("s3cret-typed-as-name", "x-password", "")
	if strings.Contains(logs.String(), "s3cret-typed-as-name") {
		t.Fatal("an unknown name was logged")
	}
}

// Item 8: the forwarded-for header counts only from a trusted proxy; from
// anybody else every request is its TCP peer, so a client cannot dodge the
// per-address limit by inventing addresses.
func TestSecurityForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	p := TrustedProxies{Header: "X-Forwarded-For", Networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	peer := netip.MustParseAddr
	cases := []struct {
		peer   string
		values []string
		want   string
	}{
		{"203.0.113.9", []string{"198.51.100.1"}, "203.0.113.9"},          // not a proxy: header ignored
		{"10.0.0.2", []string{"198.51.100.1"}, "198.51.100.1"},            // from the proxy
		{"10.0.0.2", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},   // the client's own entry is ignored
		{"10.0.0.2", []string{"198.51.100.1, 10.0.0.3"}, "198.51.100.1"},  // two proxies
		{"10.0.0.2", []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1"}, // header sent twice
		{"10.0.0.2", []string{"garbage, 10.0.0.3"}, "10.0.0.3"},           // malformed: stop at the last proxy
		{"10.0.0.2", nil, "10.0.0.2"},                                     // no header
		{"::ffff:10.0.0.2", []string{"[2001:db8::1]:443"}, "2001:db8::1"}, // IPv6 client
		{"10.0.0.2", []string{"198.51.100.1:5120"}, "198.51.100.1"},       // with a port
	}
	for _, c := range cases {
		var values [][]byte
		for _, v := range c.values {
			values = append(values, []byte(v))
		}
		if got := p.ClientAddr(peer(c.peer), values).String(); got != c.want {
			t.Errorf("peer %s, %q: %s, want %s", c.peer, c.values, got, c.want)
		}
	}
	if got := (TrustedProxies{}).ClientAddr(peer("10.0.0.2"), [][]byte{[]byte("1.2.3.4")}); got.String() != "10.0.0.2" {
		t.Errorf("without settings the header counted: %s", got)
	}
	if _, err := ParseTrustedProxies("X-Forwarded-For", "10.0.0.0/8, 192.168.1.1, ::1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTrustedProxies("X-Forwarded-For", "10.0.0.0/33"); err == nil {
		t.Fatal("a bad CIDR was accepted")
	}

	// Through the app: untrusted clients share their peer's limit however
	// they fill the header.
	env := newConsoleEnvWith(t, false, func(d *Deps) {
		d.Console.Proxies = TrustedProxies{Header: "X-Forwarded-For", Networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	})
	statuses := []int{}
	for i := 0; i < loginIPLimit+1; i++ {
		b := env.browser(t)
		b.headers = []string{"X-Forwarded-For", "198.51.100." + string(rune('1'+i%9)) + string(rune('0'+i/9))}
		statuses = append(statuses, b.login("user"+string(rune('a'+i)), "wrong-password", "").status)
	}
	if statuses[loginIPLimit-1] != fiber.StatusUnauthorized || statuses[loginIPLimit] != fiber.StatusTooManyRequests {
		t.Fatalf("spoofed addresses dodged the per-address limit: %v", statuses)
	}
}

// Item 9: the console shows the debtor's CPF masked, as the PDF does.
func TestConsoleMasksTheDebtorsDocument(t *testing.T) {
	env := newConsoleEnv(t, false)
	ctx := context.Background()
	maria := bot.Customer{ID: "cus_m", Name: "Maria Souza", Phone: "+5511988887777", Document: "123.456.789-09",
		CreatedAt: consoleT0, UpdatedAt: consoleT0}
	inv := bot.Invoice{ID: "INV-1", CustomerID: "cus_m", AmountCents: 15990, Currency: "BRL", DueDate: "2026-11-25",
		Description: "Internet 300MB", Status: bot.InvoiceOpen, CreatedAt: consoleT0, UpdatedAt: consoleT0}
	if err := env.st.UpsertInvoice(ctx, maria, inv); err != nil {
		t.Fatal(err)
	}
	ana := env.browser(t)
	ana.mustLogin("ana")
	p := ana.do("GET", "/console/c/cnv_1", nil)
	if p.status != 200 || !strings.Contains(p.body, "***.456.789-**") {
		t.Fatalf("masked document missing: %d", p.status)
	}
	for _, leak := range []string{"123.456.789-09", "12345678909"} {
		if strings.Contains(p.body, leak) {
			t.Fatalf("the console shows the full document %s", leak)
		}
	}
}

// "api" is the token's principal: no account may take the name.
func TestTheAPIPrincipalIsReserved(t *testing.T) {
	if err := store.ValidateAgentName("api"); bot.ErrorCodeOf(err) != bot.CodeInvalid {
		t.Fatalf("an agent may be called api: %v", err)
	}
}
