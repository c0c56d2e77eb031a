package web

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
)

// concretePath fills a route pattern's parameters.
func concretePath(p string) string {
	return regexp.MustCompile(`:[a-z]+\??`).ReplaceAllStringFunc(p, func(s string) string {
		if strings.HasPrefix(s, ":name") {
			return "ana"
		}
		return "cnv_1"
	})
}

// publicRoutes are all that answer without a session or token: the login
// form, the language switch, the console's script, health, the signed
// webhooks (they check their own signature) and the simulator page (which
// shows its own sign-in).
func publicRoute(method, path string) bool {
	switch path {
	case "/console/login", "/console/lang", "/console/static/console.js", "/healthz", "/readyz", "/metrics", "/", "/sim":
		return true
	}
	return strings.HasPrefix(path, "/v1/webhooks/") && path != "/v1/webhooks/received"
}

func TestSecurityEveryConsoleAndAPIRouteRefusesAnonymous(t *testing.T) {
	env := newConsoleEnv(t, true)
	anon := env.browser(t)
	seen := 0
	for _, r := range env.app.GetRoutes(true) {
		if r.Method == fiber.MethodHead || r.Method == "USE" || publicRoute(r.Method, r.Path) || r.Path == "/" {
			continue
		}
		path := concretePath(r.Path)
		p := anon.do(r.Method, path, url.Values{})
		seen++
		switch {
		case strings.HasPrefix(path, "/v1/"):
			if p.status != fiber.StatusUnauthorized {
				t.Errorf("anonymous %s %s: %d, want 401", r.Method, path, p.status)
			}
		case r.Method == fiber.MethodGet && !strings.HasSuffix(path, "/events"):
			if p.status != fiber.StatusSeeOther || !strings.HasPrefix(p.location, "/console/login?next=") {
				t.Errorf("anonymous %s %s: %d %q, want a redirect to the login", r.Method, path, p.status, p.location)
			}
		default:
			if p.status != fiber.StatusUnauthorized {
				t.Errorf("anonymous %s %s: %d, want 401", r.Method, path, p.status)
			}
		}
	}
	if seen < 25 {
		t.Fatalf("only %d routes checked", seen)
	}
	// Unknown paths under both prefixes need credentials too.
	if p := anon.do("GET", "/console/nope", nil); p.status != fiber.StatusSeeOther {
		t.Errorf("unknown console path: %d", p.status)
	}
	if p := anon.do("GET", "/v1/nope", nil); p.status != fiber.StatusUnauthorized {
		t.Errorf("unknown API path: %d", p.status)
	}
	// A forged or stale session cookie is no session.
	anon.jar[sessionCookie] = "forged-session-value"
	if p := anon.do("GET", "/console", nil); p.status != fiber.StatusSeeOther {
		t.Errorf("forged session: %d", p.status)
	}
	if p := anon.do("GET", "/v1/conversations", nil); p.status != fiber.StatusUnauthorized {
		t.Errorf("forged session on the API: %d", p.status)
	}
}

func TestSecurityCSRFOnFormsAndAPI(t *testing.T) {
	env := newConsoleEnv(t, false)
	ana, root := env.browser(t), env.browser(t)
	ana.mustLogin("ana")
	root.mustLogin("root")
	cases := []struct {
		name    string
		form    url.Values
		headers []string
	}{
		{"no token", url.Values{}, nil},
		{"wrong token", url.Values{"_csrf": {"not-the-token"}}, nil},
		{"another session's token", url.Values{"_csrf": {root.csrf}}, nil},
		{"right token from another site", url.Values{"_csrf": {ana.csrf}}, []string{"Origin", "https://evil.example"}},
		{"right token, cross-site fetch", url.Values{"_csrf": {ana.csrf}}, []string{"Sec-Fetch-Site", "cross-site"}},
	}
	for _, c := range cases {
		if p := ana.do("POST", "/console/c/cnv_1/takeover", c.form, c.headers...); p.status != fiber.StatusForbidden {
			t.Errorf("form, %s: %d, want 403", c.name, p.status)
		}
		if p := ana.do("POST", "/console/logout", c.form, c.headers...); p.status != fiber.StatusForbidden {
			t.Errorf("logout, %s: %d, want 403", c.name, p.status)
		}
	}
	if len(env.agents.log()) != 0 {
		t.Fatalf("a forged form acted: %v", env.agents.log())
	}
	ok := url.Values{"_csrf": {ana.csrf}}
	if p := ana.do("POST", "/console/c/cnv_1/takeover", ok, "Origin", "http://example.com", "Sec-Fetch-Site", "same-origin"); p.status != fiber.StatusSeeOther {
		t.Fatalf("same-origin form with the token: %d %s", p.status, p.body)
	}

	// The API accepts a console session on reads, and on writes only with
	// the token in a header.
	if p := ana.do("GET", "/v1/conversations", nil); p.status != 200 || !strings.Contains(p.body, "cnv_1") {
		t.Fatalf("API read with a session: %d %s", p.status, p.body)
	}
	if p := ana.do("GET", "/v1/conversations/cnv_1/transcript?format=pdf", nil); p.status != 200 || p.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF download with a session: %d", p.status)
	}
	// The API twins act as the session's own agent.
	if p := ana.do("POST", "/v1/conversations/cnv_1/takeover", nil); p.status != fiber.StatusForbidden {
		t.Errorf("API takeover without the CSRF header: %d", p.status)
	}
	if p := ana.do("POST", "/v1/conversations/cnv_1/release", nil, csrfHeader, ana.csrf); p.status != 200 {
		t.Errorf("API release with the CSRF header: %d %s", p.status, p.body)
	}
	if got := env.agents.log(); len(got) != 2 || got[1] != "ana release" {
		t.Errorf("API twin acted as %v, want ana", got)
	}
	body := url.Values{}
	clock := func(b *browser, headers ...string) int {
		req := append([]string{"Content-Type", "application/json"}, headers...)
		return b.do("POST", "/v1/sim/clock", body, req...).status
	}
	if st := clock(root); st != fiber.StatusForbidden {
		t.Errorf("API write without the CSRF header: %d", st)
	}
	if st := clock(root, csrfHeader, "wrong"); st != fiber.StatusForbidden {
		t.Errorf("API write with a wrong CSRF header: %d", st)
	}
	if st := clock(root, csrfHeader, root.csrf); st == fiber.StatusForbidden || st == fiber.StatusUnauthorized {
		t.Errorf("API write with the CSRF header: %d", st)
	}
}

func TestSecurityAgentsCannotDoAdminThings(t *testing.T) {
	env := newConsoleEnv(t, true)
	ana, root := env.browser(t), env.browser(t)
	ana.mustLogin("ana")
	root.mustLogin("root")
	forbidden := []struct{ method, path string }{
		{"GET", "/console/agents"}, {"POST", "/console/agents"}, {"POST", "/console/agents/bia/disable"},
		{"POST", "/console/agents/bia/enable"}, {"GET", "/console/whatsapp/qr.png?i=0"}, {"POST", "/console/whatsapp/pair"},
		{"GET", "/console/sim"},
	}
	for _, f := range forbidden {
		var p page
		if f.method == "POST" {
			p = ana.post(f.path, url.Values{"name": {"mallory"}, "role": {"admin"}, "phone": {"+5511988887777"}})
		} else {
			p = ana.do(f.method, f.path, nil)
		}
		if p.status != fiber.StatusForbidden {
			t.Errorf("agent %s %s: %d, want 403", f.method, f.path, p.status)
		}
	}
	if st := ana.do("POST", "/v1/sim/clock", url.Values{}, csrfHeader, ana.csrf).status; st != fiber.StatusForbidden {
		t.Errorf("agent moving the simulator clock: %d, want 403", st)
	}
	if p := ana.do("GET", "/console", nil); strings.Contains(p.body, `href="/console/agents"`) {
		t.Error("the agents page is offered to an agent")
	}
	if p := ana.do("GET", "/console/whatsapp", nil); p.status != 200 || strings.Contains(p.body, "qr.png") || strings.Contains(p.body, "/console/whatsapp/pair") {
		t.Errorf("agent's WhatsApp page: %d (health only, no QR or pairing)", p.status)
	}
	if p := env.agentsList(t); strings.Contains(p, "mallory") {
		t.Fatal("an agent created an account")
	}

	// The admin may.
	if p := root.do("GET", "/console/agents", nil); p.status != 200 || !strings.Contains(p.body, "bia") {
		t.Fatalf("admin agents page: %d", p.status)
	}
	if p := root.do("GET", "/console/whatsapp", nil); !strings.Contains(p.body, "qr.png?i=0") || !strings.Contains(p.body, "/console/whatsapp/pair") {
		t.Errorf("admin's WhatsApp page lacks the QR or the pairing form")
	}
	// Recorded link changes are listed, newest first.
	for i, kind := range []string{bot.LinkConnected, bot.LinkLoggedOut} {
		ev := store.SystemEvent{ID: fmt.Sprintf("sev_%d", i), At: consoleT0.Add(time.Duration(i) * time.Hour), Source: "whatsapp ••••7777",
			Kind: kind, Detail: "detail of " + kind}
		if err := env.st.RecordSystemEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if p := ana.do("GET", "/console/whatsapp", nil); !strings.Contains(p.body, "detail of logged_out") ||
		strings.Index(p.body, "detail of logged_out") > strings.Index(p.body, "detail of connected") {
		t.Errorf("link history missing or out of order")
	}
	if p := root.do("GET", "/console/whatsapp/qr.png?i=0", nil); p.status != 200 || p.header.Get("Content-Type") != "image/png" ||
		p.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(p.body, "\x89PNG") {
		t.Errorf("QR: %d %v", p.status, p.header)
	}
	if p := root.post("/console/whatsapp/pair", url.Values{"phone": {"(11) 98888-7777"}}); p.status != 200 || !strings.Contains(p.body, "ABCD-EFGH") ||
		len(env.links.paired) != 1 || env.links.paired[0] != "+5511988887777" {
		t.Errorf("pairing: %d %v", p.status, env.links.paired)
	}
	if p := root.post("/console/whatsapp/pair", url.Values{"phone": {"abc"}}); p.status != fiber.StatusUnprocessableEntity {
		t.Errorf("pairing a bad phone: %d", p.status)
	}
}

func (e *consoleEnv) agentsList(t *testing.T) string {
	list, err := e.st.Agents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
	}
	return strings.Join(names, ",")
}

func TestSecuritySessionFixationAndLogout(t *testing.T) {
	env := newConsoleEnv(t, false)
	b := env.browser(t)
	// An attacker plants a session id before the victim signs in.
	b.jar[sessionCookie] = "planted-by-attacker-0123456789abcdef"
	b.mustLogin("ana")
	first := b.jar[sessionCookie]
	if first == "" || first == "planted-by-attacker-0123456789abcdef" {
		t.Fatalf("the session id did not change at login: %q", first)
	}
	attacker := env.browser(t)
	attacker.jar[sessionCookie] = "planted-by-attacker-0123456789abcdef"
	if p := attacker.do("GET", "/console", nil); p.status != fiber.StatusSeeOther {
		t.Fatalf("the planted id is signed in: %d", p.status)
	}
	// Signing in again issues another id and ends the old one.
	b.mustLogin("ana")
	second := b.jar[sessionCookie]
	if second == first {
		t.Fatal("a second login kept the session id")
	}
	stale := env.browser(t)
	stale.jar[sessionCookie] = first
	if p := stale.do("GET", "/console", nil); p.status != fiber.StatusSeeOther {
		t.Fatalf("the previous session survived a new login: %d", p.status)
	}
	// The cookie is HttpOnly and SameSite, and only its hash is stored.
	p := b.login("ana", testPasswords["ana"], "")
	setCookie := strings.Join(p.header.Values("Set-Cookie"), "\n")
	if !strings.Contains(setCookie, "quita_session=") || !strings.Contains(setCookie, "HttpOnly") || !strings.Contains(strings.ToLower(setCookie), "samesite=lax") {
		t.Fatalf("session cookie attributes: %s", setCookie)
	}
	var n int64
	env.st.Gorm.Raw("SELECT COUNT(*) FROM console_sessions WHERE id_hash = ?", b.jar[sessionCookie]).Scan(&n)
	if n != 0 {
		t.Fatal("the raw session id is stored")
	}
	// Logout ends the session on the server, not only in this browser.
	copied := b.jar[sessionCookie]
	if p := b.post("/console/logout", nil); p.status != fiber.StatusSeeOther || p.location != "/console/login" {
		t.Fatalf("logout: %d %q", p.status, p.location)
	}
	if _, ok := b.jar[sessionCookie]; ok {
		t.Error("logout did not clear the cookie")
	}
	replay := env.browser(t)
	replay.jar[sessionCookie] = copied
	if p := replay.do("GET", "/console", nil); p.status != fiber.StatusSeeOther {
		t.Fatalf("a copied cookie works after logout: %d", p.status)
	}
	if p := replay.do("GET", "/v1/conversations", nil); p.status != fiber.StatusUnauthorized {
		t.Fatalf("a copied cookie works on the API after logout: %d", p.status)
	}
}

func TestSecurityDisablingAnAgentEndsTheirSessions(t *testing.T) {
	env := newConsoleEnv(t, false)
	bia, root := env.browser(t), env.browser(t)
	bia.mustLogin("bia")
	root.mustLogin("root")
	if p := root.post("/console/agents/bia/disable", nil); p.status != fiber.StatusSeeOther {
		t.Fatalf("disable: %d", p.status)
	}
	if p := bia.do("GET", "/console", nil); p.status != fiber.StatusSeeOther {
		t.Fatalf("a disabled agent is still signed in: %d", p.status)
	}
	if p := bia.login("bia", testPasswords["bia"], ""); p.status != fiber.StatusUnauthorized {
		t.Fatalf("a disabled agent signed in: %d", p.status)
	}
	if p := root.post("/console/agents/root/disable", nil); p.status != fiber.StatusUnprocessableEntity {
		t.Fatalf("an admin disabled themselves: %d", p.status)
	}
	// A new agent with a generated password can sign in with it.
	p := root.post("/console/agents", url.Values{"name": {"carla"}, "role": {"agent"}})
	m := regexp.MustCompile(`<code id="secret">([^<]+)</code>`).FindStringSubmatch(p.body)
	if p.status != fiber.StatusCreated || m == nil {
		t.Fatalf("add agent: %d", p.status)
	}
	carla := env.browser(t)
	if p := carla.login("carla", m[1], ""); p.status != fiber.StatusSeeOther {
		t.Fatalf("login with the generated password: %d", p.status)
	}
	if p := root.post("/console/agents", url.Values{"name": {"carla"}, "role": {"agent"}}); p.status != fiber.StatusConflict {
		t.Fatalf("duplicate agent: %d", p.status)
	}
	if p := root.post("/console/agents", url.Values{"name": {"Bad Name"}, "role": {"agent"}}); p.status != fiber.StatusUnprocessableEntity {
		t.Fatalf("bad agent name: %d", p.status)
	}
}

func TestSecurityNoOpenRedirectAfterLogin(t *testing.T) {
	cases := map[string]string{
		"":                              "/console",
		"/console/c/cnv_1":              "/console/c/cnv_1",
		"/console?status=open&q=maria":  "/console?status=open&q=maria",
		"//evil.com":                    "/console",
		"//evil.com/console":            "/console",
		"https://evil.com":              "/console",
		"https://evil.com/console":      "/console",
		"/\\evil.com":                   "/console",
		"/console\\@evil.com":           "/console",
		"/console@evil.com":             "/console",
		"/consolex":                     "/console",
		"/console/../v1/conversations":  "/console",
		"/console/%2e%2e/v1":            "/console",
		"javascript:alert(1)":           "/console",
		"/console/login":                "/console",
		"/console/c/x\r\nLocation: //e": "/console",
		"/v1/conversations":             "/console",
	}
	for in, want := range cases {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
	env := newConsoleEnv(t, false)
	for _, next := range []string{"//evil.com", "https://evil.com"} {
		b := env.browser(t)
		if p := b.login("ana", testPasswords["ana"], next); p.status != fiber.StatusSeeOther || p.location != "/console" {
			t.Errorf("login with next=%s: %d → %q", next, p.status, p.location)
		}
		if p := b.do("GET", "/console/login?next="+url.QueryEscape(next), nil); p.location != "/console" {
			t.Errorf("signed-in login page with next=%s → %q", next, p.location)
		}
		if p := b.do("GET", "/console/lang?to=en&next="+url.QueryEscape(next), nil); p.location != "/console" {
			t.Errorf("language switch with next=%s → %q", next, p.location)
		}
	}
	b := env.browser(t)
	if p := b.do("GET", "/console/c/cnv_1", nil); p.location != "/console/login?next=%2Fconsole%2Fc%2Fcnv_1" {
		t.Errorf("the way back to a page: %q", p.location)
	}
	if p := b.login("ana", testPasswords["ana"], "/console/c/cnv_1"); p.location != "/console/c/cnv_1" {
		t.Errorf("login back to the page: %q", p.location)
	}
}

func TestSecurityLoginIsRateLimitedAndNeedsItsToken(t *testing.T) {
	env := newConsoleEnv(t, false)
	b := env.browser(t)
	// The login form's own CSRF token (no signing a victim in as the attacker).
	if p := b.do("POST", "/console/login", url.Values{"name": {"ana"}, "password": {testPasswords["ana"]}}); p.status != fiber.StatusForbidden {
		t.Fatalf("login without its token: %d", p.status)
	}
	// Failures of one (name, address) pair back off: two free, then a wait.
	statuses := []int{}
	for i := 0; i < 4; i++ {
		statuses = append(statuses, b.login("ana", "wrong-password", "").status)
	}
	want := []int{401, 401, 401, 429}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("failed logins answered %v, want %v", statuses, want)
		}
	}
	// Even the right password waits out the limit.
	if p := b.login("ana", testPasswords["ana"], ""); p.status != fiber.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("right password while limited: %d", p.status)
	}
	// Another name from the address is another pair; but the address as a
	// whole has loginIPLimit (10) attempts a minute: 6 used so far, 4 more
	// here, and the eleventh is refused whatever it carries.
	if p := b.login("nobody", "whatever-password", ""); p.status != fiber.StatusUnauthorized {
		t.Fatalf("another name from the address: %d", p.status)
	}
	for i := 0; i < 4; i++ {
		b.login("nobody", "whatever-password", "")
	}
	if p := b.login("bia", testPasswords["bia"], ""); p.status != fiber.StatusTooManyRequests {
		t.Fatalf("limit is per address too: %d", p.status)
	}
}
