package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

const consoleToken = "console-test-token-0123456789"

var consoleT0 = time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)

// fakeAgents records agent actions and enforces one holder per
// conversation, as the engine does.
type fakeAgents struct {
	mu     sync.Mutex
	holder map[string]string
	calls  []string
	// unclaimed invoices have no payment claim: only an admin may
	// confirm them, as in the engine.
	unclaimed map[string]bool
}

func (f *fakeAgents) record(id, agent, what string) (bot.Conversation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == "missing" {
		return bot.Conversation{}, bot.Errorf(bot.CodeNotFound, "conversation %s not found", id)
	}
	if h := f.holder[id]; h != "" && h != agent && what != "release" {
		return bot.Conversation{}, bot.Errorf(bot.CodeConflict, "%s holds conversation %s", h, id)
	}
	switch {
	case what == "takeover" || strings.HasPrefix(what, "reply"):
		f.holder[id] = agent
	case what == "release" || what == "resolve":
		delete(f.holder, id)
	}
	f.calls = append(f.calls, agent+" "+what)
	return bot.Conversation{ID: id, Agent: f.holder[id]}, nil
}

func (f *fakeAgents) Takeover(_ context.Context, id, agent string) (bot.Conversation, error) {
	return f.record(id, agent, "takeover")
}
func (f *fakeAgents) AgentReply(_ context.Context, id, agent, text string) (bot.Conversation, error) {
	return f.record(id, agent, "reply "+text)
}
func (f *fakeAgents) Release(_ context.Context, id, agent string) (bot.Conversation, error) {
	return f.record(id, agent, "release")
}
func (f *fakeAgents) Resolve(_ context.Context, id, agent string) (bot.Conversation, error) {
	return f.record(id, agent, "resolve")
}
func (f *fakeAgents) ConfirmPayment(_ context.Context, id, agent, inv string) (bot.Conversation, error) {
	f.mu.Lock()
	unclaimed := f.unclaimed[inv]
	f.mu.Unlock()
	if unclaimed {
		return bot.Conversation{}, bot.Errorf(bot.CodeConflict, "invoice %s has no payment claim awaiting confirmation", inv)
	}
	return f.record(id, agent, "confirm "+inv)
}
func (f *fakeAgents) ConfirmPaymentAsAdmin(_ context.Context, id, admin, inv string) (bot.Conversation, error) {
	return f.record(id, admin, "admin-confirm "+inv)
}
func (f *fakeAgents) RejectPayment(_ context.Context, id, agent, inv, reason string) (bot.Conversation, error) {
	return f.record(id, agent, "reject "+inv+" "+reason)
}

func (f *fakeAgents) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// fakeLinks is a WhatsApp link waiting for its QR to be scanned.
type fakeLinks struct{ paired []string }

func (l *fakeLinks) Links() []bot.LinkState {
	return []bot.LinkState{{Transport: "whatsapp", State: bot.LinkQRNeeded, Detail: "scan the QR", Since: consoleT0, QR: "2@abc,def,ghi"}}
}

func (l *fakeLinks) PairPhone(_ context.Context, phone string) (string, error) {
	l.paired = append(l.paired, phone)
	return "ABCD-EFGH", nil
}

type consoleEnv struct {
	app    *fiber.App
	st     *store.Store
	coord  *coord.Memory
	agents *fakeAgents
	links  *fakeLinks
	srv    *server
}

var testPasswords = map[string]string{"ana": "ana-password-1", "bia": "bia-password-1", "root": "root-password-1"}

// newConsoleEnv serves the whole app (as web.New builds it) on a real
// SQLite store with agents ana and bia and admin root, and one
// conversation, cnv_1, in which Maria asked for a person and sent a
// receipt for INV-1.
func newConsoleEnv(t *testing.T, withLinks bool) *consoleEnv {
	t.Helper()
	return newConsoleEnvWith(t, withLinks, nil)
}

// newConsoleEnvWith is newConsoleEnv with adjust applied to the deps
// before the app is built.
func newConsoleEnvWith(t *testing.T, withLinks bool, adjust func(*Deps)) *consoleEnv {
	t.Helper()
	st := storetest.OpenSQLite(t)
	ctx := context.Background()
	for name, pw := range testPasswords {
		role := store.RoleAgent
		if name == "root" {
			role = store.RoleAdmin
		}
		hash, err := HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateAgent(ctx, store.Agent{ID: "agt_" + name, Name: name, Role: role, CreatedAt: consoleT0}, hash); err != nil {
			t.Fatal(err)
		}
	}
	maria := bot.Customer{ID: "cus_m", Name: "Maria Souza", Phone: "+5511988887777", Email: "maria@example.com", CreatedAt: consoleT0, UpdatedAt: consoleT0}
	inv := bot.Invoice{ID: "INV-1", CustomerID: "cus_m", AmountCents: 15990, Currency: "BRL", DueDate: "2026-11-25",
		Description: "Internet 300MB", Status: bot.InvoiceOpen, CreatedAt: consoleT0, UpdatedAt: consoleT0}
	if err := st.UpsertInvoice(ctx, maria, inv); err != nil {
		t.Fatal(err)
	}
	conv := bot.Conversation{ID: "cnv_1", CustomerID: "cus_m", Phone: maria.Phone, Transport: "sim", Status: bot.StatusNeedsAgent,
		State: "with_agent", Memory: []byte(`{"care":{"handoff":"requested"}}`), CreatedAt: consoleT0, UpdatedAt: consoleT0}
	_, err := st.CommitTurn(ctx, bot.Turn{Conversation: conv, IsNew: true, Entries: []bot.TranscriptEntry{
		{At: consoleT0, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "quero falar com uma pessoa", Intent: "human_agent", StateFrom: "menu", StateTo: "with_agent"},
		{At: consoleT0, Direction: bot.DirectionOut, Author: bot.AuthorBot, Text: "Claro! Vou passar sua conversa.", Status: bot.DeliverySent}},
		Collections: []bot.Collection{{InvoiceID: "INV-1", Status: bot.CollectionClaimed, UpdatedAt: consoleT0}}})
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	env := &consoleEnv{st: st, coord: coord.NewMemory(), agents: &fakeAgents{holder: map[string]string{}}}
	t.Cleanup(func() { env.coord.Close() })
	deps := Deps{Store: st, Coord: env.coord, Clock: clock.NewOffset(), Policy: policy.Default(), Location: time.UTC,
		APIToken: consoleToken, Simulator: true, Agents: env.agents,
		Console: ConsoleDeps{Catalog: catalog, Locale: "pt-BR"}}
	if withLinks {
		env.links = &fakeLinks{}
		deps.Links = env.links
	}
	if adjust != nil {
		adjust(&deps)
	}
	env.app, env.srv, err = newApp(deps)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// browser is a cookie-keeping client of the app.
type browser struct {
	t    *testing.T
	env  *consoleEnv
	jar  map[string]string
	csrf string // the signed-in session's token, read from a page
	lang string
	// headers go on every request (e.g. the address a proxy reports).
	headers []string
}

func (e *consoleEnv) browser(t *testing.T) *browser {
	return &browser{t: t, env: e, jar: map[string]string{}, lang: "en"}
}

type page struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values, headers ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", b.lang)
	headers = append(append([]string(nil), b.headers...), headers...)
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
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c.Value
		}
	}
	return page{status: resp.StatusCode, body: string(data), location: resp.Header.Get("Location"), header: resp.Header}
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// login signs in through the form, as a person would, and keeps the
// session's CSRF token from the inbox page.
func (b *browser) login(name, password, next string) page {
	b.t.Helper()
	form := b.do("GET", "/console/login?next="+url.QueryEscape(next), nil)
	if form.status == fiber.StatusSeeOther {
		// Already signed in: the form of a tab opened before (the POST
		// still carries the current session cookie).
		sess := b.jar[sessionCookie]
		delete(b.jar, sessionCookie)
		form = b.do("GET", "/console/login?next="+url.QueryEscape(next), nil)
		b.jar[sessionCookie] = sess
	}
	m := csrfInput.FindStringSubmatch(form.body)
	if form.status != 200 || m == nil {
		b.t.Fatalf("login form: %d %s", form.status, form.body)
	}
	p := b.do("POST", "/console/login", url.Values{"_csrf": {m[1]}, "name": {name}, "password": {password}, "next": {next}})
	if p.status == fiber.StatusSeeOther {
		inbox := b.do("GET", "/console", nil)
		if m := csrfInput.FindStringSubmatch(inbox.body); m != nil {
			b.csrf = m[1]
		}
	}
	return p
}

func (b *browser) mustLogin(name string) {
	b.t.Helper()
	if p := b.login(name, testPasswords[name], ""); p.status != fiber.StatusSeeOther || p.location != "/console" {
		b.t.Fatalf("login %s: %d %q %s", name, p.status, p.location, p.body)
	}
}

// post submits a console form with the session's CSRF token.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", b.csrf)
	return b.do("POST", path, form)
}

func TestConsoleInboxListsSearchesAndExplains(t *testing.T) {
	env := newConsoleEnv(t, false)
	b := env.browser(t)
	b.mustLogin("ana")
	p := b.do("GET", "/console", nil)
	for _, want := range []string{"Maria Souza", "asked for a person", "receipt to confirm", `href="/console/c/cnv_1"`, "Needs agent", "wants a person"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("inbox lacks %q", want)
		}
	}
	if p.header.Get("Cache-Control") != "no-store" || !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("inbox headers: %v", p.header)
	}
	for q, found := range map[string]bool{"INV-1": true, "souza": true, "98888": true, "nobody": false} {
		p := b.do("GET", "/console?status=all&q="+url.QueryEscape(q), nil)
		if got := strings.Contains(p.body, "/console/c/cnv_1"); got != found {
			t.Errorf("search %q found=%v, want %v", q, got, found)
		}
	}
	if p := b.do("GET", "/console?status=resolved", nil); strings.Contains(p.body, "/console/c/cnv_1") {
		t.Error("resolved tab lists a conversation that needs an agent")
	}
	if p := b.do("GET", "/console?partial=1", nil); strings.Contains(p.body, "<html") || !strings.Contains(p.body, "cnv_1") {
		t.Errorf("partial list: %s", p.body)
	}
	b.lang = "pt-BR"
	b.jar["quita_lang"] = "pt-BR"
	if p := b.do("GET", "/console", nil); !strings.Contains(p.body, "Aguardando agente") || !strings.Contains(p.body, "comprovante a conferir") {
		t.Error("the Portuguese inbox is not in Portuguese")
	}
}

func TestConsoleConversationActionsGoThroughAgentActions(t *testing.T) {
	env := newConsoleEnv(t, false)
	ana, bia := env.browser(t), env.browser(t)
	ana.mustLogin("ana")
	bia.mustLogin("bia")

	p := ana.do("GET", "/console/c/cnv_1", nil)
	for _, want := range []string{"quero falar com uma pessoa", "wants a person", "waiting for a request → with an agent", "Maria Souza", "INV-1",
		"/console/c/cnv_1/payments/confirm", "transcript?format=pdf", "Olá! Aqui é Ana, da equipe da", `id="takeover"`} {
		if !strings.Contains(p.body, want) && !strings.Contains(p.body, strings.ReplaceAll(want, ">", "&gt;")) {
			t.Errorf("conversation page lacks %q", want)
		}
	}
	if p := ana.post("/console/c/cnv_1/takeover", nil); p.status != fiber.StatusSeeOther || p.location != "/console/c/cnv_1?done=takeover" {
		t.Fatalf("takeover: %d %q", p.status, p.location)
	}
	// Two agents cannot hold one conversation.
	if p := bia.post("/console/c/cnv_1/takeover", nil); p.status != fiber.StatusConflict || !strings.Contains(p.body, "Another agent holds this conversation") {
		t.Fatalf("second takeover: %d", p.status)
	}
	if p := bia.post("/console/c/cnv_1/reply", url.Values{"text": {"oi"}}); p.status != fiber.StatusConflict || !strings.Contains(p.body, "oi</textarea>") {
		t.Fatalf("reply by a second agent: %d (the draft must survive)", p.status)
	}
	if p := ana.post("/console/c/cnv_1/reply", url.Values{"text": {"Olá Maria"}}); p.status != fiber.StatusSeeOther {
		t.Fatalf("reply: %d %s", p.status, p.body)
	}
	if p := ana.post("/console/c/cnv_1/reply", url.Values{"canned": {"checking"}}); p.status != fiber.StatusSeeOther {
		t.Fatalf("canned reply: %d", p.status)
	}
	if p := ana.post("/console/c/cnv_1/reply", url.Values{"text": {"  "}}); p.status != fiber.StatusUnprocessableEntity {
		t.Fatalf("empty reply: %d", p.status)
	}
	if p := ana.post("/console/c/cnv_1/reply", url.Values{"text": {strings.Repeat("a", 4097)}}); p.status != fiber.StatusUnprocessableEntity {
		t.Fatalf("long reply: %d", p.status)
	}
	ana.post("/console/c/cnv_1/payments/confirm", url.Values{"invoice": {"INV-1"}})
	ana.post("/console/c/cnv_1/payments/reject", url.Values{"invoice": {"INV-1"}, "reason": {"valor errado"}})
	ana.post("/console/c/cnv_1/release", nil)
	ana.post("/console/c/cnv_1/resolve", nil)
	if p := ana.post("/console/c/missing/takeover", nil); p.status != fiber.StatusNotFound {
		t.Fatalf("unknown conversation: %d", p.status)
	}
	want := []string{"ana takeover", "ana reply Olá Maria",
		"ana reply Só um instante, por favor: estou verificando isso para você.", "ana confirm INV-1",
		"ana reject INV-1 valor errado", "ana release", "ana resolve"}
	got := env.agents.log()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("agent actions:\n got %q\nwant %q", got, want)
	}
	if p := ana.do("GET", "/console/c/cnv_1?done=takeover", nil); !strings.Contains(p.body, "You took the conversation over") {
		t.Error("no notice after the action")
	}
	if p := ana.do("GET", "/console/c/nope", nil); p.status != fiber.StatusNotFound {
		t.Errorf("unknown conversation page: %d", p.status)
	}
}

func TestConsoleWithoutAgentActionsSaysSo(t *testing.T) {
	env := newConsoleEnv(t, false)
	app, err := New(Deps{Store: env.st, Coord: env.coord, Clock: clock.NewOffset(), Policy: policy.Default(), Location: time.UTC, APIToken: consoleToken})
	if err != nil {
		t.Fatal(err)
	}
	env.app = app
	b := env.browser(t)
	b.mustLogin("ana")
	if p := b.post("/console/c/cnv_1/takeover", nil); p.status != fiber.StatusServiceUnavailable {
		t.Fatalf("takeover without the engine: %d", p.status)
	}
}

func TestConsoleTextsAreCompleteInBothLanguages(t *testing.T) {
	for key := range consoleText["pt-BR"] {
		if consoleText["en"][key] == "" {
			t.Errorf("en lacks %s", key)
		}
	}
	for key := range consoleText["en"] {
		if consoleText["pt-BR"][key] == "" {
			t.Errorf("pt-BR lacks %s", key)
		}
	}
	files, err := templateFiles.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`\.T\.([A-Za-z_]+)`)
	for _, f := range files {
		data, _ := templateFiles.ReadFile("templates/" + f.Name())
		for _, m := range used.FindAllStringSubmatch(string(data), -1) {
			if consoleText["en"][m[1]] == "" {
				t.Errorf("%s uses .T.%s, which no language defines", f.Name(), m[1])
			}
		}
	}
	for _, st := range []string{"needs_agent", "open", "resolved", "all"} {
		if consoleText["en"]["status_"+st] == "" {
			t.Errorf("no label for status %s", st)
		}
	}
	for _, st := range []string{bot.LinkConnecting, bot.LinkConnected, bot.LinkQRNeeded, bot.LinkLoggedOut, bot.LinkStreamReplaced,
		bot.LinkTemporaryBan, bot.LinkClientOutdated, bot.LinkReachOutTimelock, bot.LinkPhoneOffline, bot.LinkDisconnected, bot.LinkStandby} {
		if consoleText["en"]["link_"+st] == "" {
			t.Errorf("no label for link state %s", st)
		}
	}
}

func TestCannedRepliesUseOnlyTheFilledPlaceholders(t *testing.T) {
	c, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, loc := range locales.Supported {
		for _, key := range c.Keys(loc) {
			if !strings.HasPrefix(key, "canned.") {
				continue
			}
			n++
			if _, err := c.Text(loc, key, map[string]string{"agent": "Ana", "company": "ACME"}); err != nil {
				t.Errorf("%s %s: %v", loc, key, err)
			}
		}
	}
	if n < 3*5 {
		t.Fatalf("only %d canned replies", n)
	}
}
