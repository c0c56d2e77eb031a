package web

import (
	_ "embed"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/flows"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
)

// ConsoleDeps are the agent console's collaborators beyond the API's.
type ConsoleDeps struct {
	// Catalog holds the canned replies (canned.* keys) agents pick from.
	Catalog *locales.Catalog
	// Locale is the service's default locale (QUITA_LOCALE): canned replies
	// for a debtor without one use it, and so does the console's own
	// language for a browser that asks for neither Portuguese nor English.
	Locale string
	// SessionIdle ends a session unused this long; SessionMax ends any
	// session this long after sign-in. Zero means 12 h and 72 h.
	SessionIdle, SessionMax time.Duration
	// Now is the wall clock of sessions; time.Now when nil.
	Now func() time.Time
	// Proxies says which reverse proxies' client-address header to
	// believe, for login limits and logs; none when empty.
	Proxies TrustedProxies
}

// console serves /console; it wraps the server so its handlers share the
// conversation hub that feeds the live pages.
type console struct {
	*server
	hub *convHub
}

//go:embed static/console.js
var consoleJS []byte

// consoleRoutes registers /console and its pages. Only the login form,
// the language switch and the script are reachable without a session.
func (s *server) consoleRoutes(app *fiber.App) {
	cs := &console{server: s, hub: s.hub}
	if s.Console.Catalog == nil {
		// The catalogs are embedded: a service wired without them still
		// offers canned replies.
		if c, err := locales.Load(); err == nil {
			s.Console.Catalog = c
		}
	}
	auth, admin := cs.requireSession, cs.requireAdmin
	app.Get("/console/static/console.js", cs.script)
	app.Get("/console/login", cs.loginPage)
	app.Post("/console/login", cs.login)
	app.Get("/console/lang", cs.setLang)
	app.Post("/console/logout", auth, cs.logout)
	app.Get("/console", auth, cs.inbox)
	app.Get("/console/events", auth, cs.inboxEvents)
	app.Get("/console/c/:id", auth, cs.conversation)
	app.Get("/console/c/:id/events", auth, cs.conversationEvents)
	app.Post("/console/c/:id/takeover", auth, cs.takeover)
	app.Post("/console/c/:id/reply", auth, cs.reply)
	app.Post("/console/c/:id/release", auth, cs.release)
	app.Post("/console/c/:id/resolve", auth, cs.resolve)
	app.Post("/console/c/:id/payments/confirm", auth, cs.confirmPayment)
	app.Post("/console/c/:id/payments/reject", auth, cs.rejectPayment)
	app.Get("/console/whatsapp", auth, cs.whatsapp)
	app.Get("/console/whatsapp/qr.png", auth, admin, cs.whatsappQR)
	app.Post("/console/whatsapp/pair", auth, admin, cs.whatsappPair)
	app.Get("/console/agents", auth, admin, cs.agentsPage)
	app.Post("/console/agents", auth, admin, cs.addAgent)
	app.Post("/console/agents/:name/disable", auth, admin, cs.setAgentDisabled(true))
	app.Post("/console/agents/:name/enable", auth, admin, cs.setAgentDisabled(false))
	app.Get("/console/customers/:id/data", auth, admin, cs.downloadCustomerData)
	if s.Simulator {
		app.Get("/console/sim", auth, admin, cs.openSimulator)
	}
	// Unknown console paths need a session too before they 404.
	app.Use("/console", auth)
}

// pageData is what every console template receives.
type pageData struct {
	Lang      string
	T         map[string]string
	Title     string
	Agent     consoleAgent
	Admin     bool
	CSRF      string
	Company   string
	Path      string // the current URL, for the language switch
	Simulator bool
	Problem   string // an error to show
	Notice    string // a success to show
	Next      string // where login leads
	Secret    string // a generated password, shown once
	Draft     string // a reply to keep in the composer after an error

	Inbox  *inboxView
	Conv   *convView
	Agents []store.Agent
	Links  *linksView
}

// newPage fills what every signed-in page shows.
func (cs *console) newPage(c *fiber.Ctx) pageData {
	a, _ := cs.consoleSession(c)
	lang := cs.lang(c)
	return pageData{Lang: lang, T: consoleText[lang], Agent: a, Admin: a.admin(), CSRF: a.CSRF, Company: cs.Policy.Company.Name,
		Path: string(c.Request().RequestURI()), Simulator: cs.Simulator}
}

// page renders a console template with headers fit for pages that show
// personal data: no caching, no framing, scripts only from the console.
func (cs *console) page(c *fiber.Ctx, status int, name string, data pageData) error {
	if data.Title == "" {
		data.Title = data.T["title_"+strings.TrimSuffix(name, ".html")]
	}
	var b strings.Builder
	if err := cs.templates.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	setConsoleHeaders(c)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).SendString(b.String())
}

func setConsoleHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "same-origin")
	c.Set(fiber.HeaderCacheControl, "no-store")
}

// fail answers an error as a small page (or JSON for a script that asked
// for it).
func (cs *console) fail(c *fiber.Ctx, status int, msg string) error {
	if strings.Contains(c.Get(fiber.HeaderAccept), "application/json") || strings.HasSuffix(c.Path(), "/events") {
		return c.Status(status).JSON(errorBody{Error: errorDetail{Code: string(fiberCodes[status]), Message: msg}})
	}
	data := cs.newPage(c)
	data.Problem = msg
	return cs.page(c, status, "console_error.html", data)
}

func (cs *console) script(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(consoleJS)
}

// lang is the console's language: the quita_lang cookie, else the
// browser's preference, else the service default; pt-BR or en.
func (cs *console) lang(c *fiber.Ctx) string { return cs.uiLang(c) }

// uiLang is the language of the service's own pages (the console and the
// simulator page): the quita_lang cookie, else the browser's preference,
// else the service default; pt-BR or en.
func (s *server) uiLang(c *fiber.Ctx) string {
	if l := c.Cookies("quita_lang"); consoleText[l] != nil {
		return l
	}
	for _, part := range strings.Split(c.Get(fiber.HeaderAcceptLanguage), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "pt"):
			return "pt-BR"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	if locales.Resolve(s.Console.Locale) == "en" {
		return "en"
	}
	return "pt-BR"
}

// setLang switches the console's language and goes back where it was.
func (cs *console) setLang(c *fiber.Ctx) error {
	to := c.Query("to")
	if consoleText[to] != nil {
		c.Cookie(&fiber.Cookie{Name: "quita_lang", Value: to, Path: "/", HTTPOnly: true, Secure: c.Protocol() == "https",
			SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().AddDate(1, 0, 0)})
	}
	next := c.Query("next")
	if strings.HasPrefix(next, "/console/login") {
		return c.Redirect("/console/login?next="+url.QueryEscape(safeNext(parseQuery(next).Get("next"))), fiber.StatusSeeOther)
	}
	return c.Redirect(safeNext(next), fiber.StatusSeeOther)
}

func parseQuery(u string) url.Values {
	p, err := url.Parse(u)
	if err != nil {
		return url.Values{}
	}
	return p.Query()
}

// inboxView is the inbox page's content.
type inboxView struct {
	Status string
	Query  string
	Tabs   []inboxTab
	Items  []inboxItemView
}

type inboxTab struct {
	Status, Label string
	Count         int
	Active        bool
}

type inboxItemView struct {
	ID, Title, Phone, Status, StatusLabel, State, Agent, Updated, UpdatedISO, LastText, LastIntent string
	Reasons                                                                                        []string
}

var inboxStatuses = []string{string(bot.StatusNeedsAgent), string(bot.StatusOpen), string(bot.StatusResolved), "all"}

// inbox lists conversations by status (those needing an agent first) and
// finds them by name, phone or invoice.
func (cs *console) inbox(c *fiber.Ctx) error {
	data := cs.newPage(c)
	t := data.T
	ctx := c.UserContext()
	counts, err := cs.Store.InboxCounts(ctx)
	if err != nil {
		return err
	}
	status := c.Query("status")
	if !slices.Contains(inboxStatuses, status) {
		status = firstNonEmpty(counts)
	}
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > 100 {
		q = q[:100]
	}
	f := store.InboxFilter{Status: status, Query: q, Limit: 200}
	if status == "all" {
		f.Status = ""
	}
	items, err := cs.Store.Inbox(ctx, f)
	if err != nil {
		return err
	}
	v := &inboxView{Status: status, Query: q}
	total := 0
	for _, n := range counts {
		total += n
	}
	for _, st := range inboxStatuses {
		n := counts[st]
		if st == "all" {
			n = total
		}
		v.Tabs = append(v.Tabs, inboxTab{Status: st, Label: t["status_"+st], Count: n, Active: st == status})
	}
	for _, it := range items {
		v.Items = append(v.Items, cs.inboxItem(it, t))
	}
	data.Inbox = v
	if c.Query("partial") == "1" {
		return cs.page(c, fiber.StatusOK, "console_inbox_list", data)
	}
	return cs.page(c, fiber.StatusOK, "console_inbox.html", data)
}

// firstNonEmpty is the tab the inbox opens on: those needing an agent when
// there are any, else the first list that has conversations, so an agent
// never lands on an empty page while work is waiting elsewhere.
func firstNonEmpty(counts map[string]int) string {
	for _, st := range inboxStatuses {
		if st != "all" && counts[st] > 0 {
			return st
		}
	}
	return string(bot.StatusNeedsAgent)
}

func (cs *console) inboxItem(it store.InboxItem, t map[string]string) inboxItemView {
	conv := it.Conversation
	v := inboxItemView{ID: conv.ID, Title: it.CustomerName, Phone: conv.Phone, Status: string(conv.Status),
		StatusLabel: statusChip(t, string(conv.Status)), State: stateLabel(t, conv.State), Agent: conv.Agent,
		Updated: conv.UpdatedAt.In(cs.loc()).Format("02/01 15:04"), UpdatedISO: conv.UpdatedAt.Format(time.RFC3339),
		LastText: ellipsis(it.LastText, 120)}
	if it.LastIntent != "" {
		v.LastIntent = intentLabel(t, it.LastIntent)
	}
	if v.Title == "" {
		v.Title = conv.Phone
	}
	v.Reasons = needsAgentReasons(conv, it.Claimed, it.Disputed, t)
	return v
}

// needsAgentReasons says why a conversation waits for a person: the
// handoff reason the flows recorded, receipts to check and disputes.
func needsAgentReasons(conv bot.Conversation, claimed, disputed int, t map[string]string) []string {
	var out []string
	if conv.Status == bot.StatusNeedsAgent {
		var mem flows.Memory
		_ = json.Unmarshal(conv.Memory, &mem)
		switch mem.Care.Handoff {
		case "requested":
			out = append(out, t["reason_requested"])
		case "not_understood":
			out = append(out, t["reason_not_understood"])
		case "deceased", "plan_cancel", "escalation", "receipt_review":
			// The holder died, a plan to cancel, a cadence run out, a
			// receipt from a number the bot may tell nothing to.
			out = append(out, t["reason_"+mem.Care.Handoff])
		case "dispute":
			if disputed == 0 {
				out = append(out, t["reason_dispute"])
			}
		}
	}
	if claimed > 0 {
		out = append(out, t["reason_receipt"])
	}
	if disputed > 0 {
		out = append(out, t["reason_dispute"])
	}
	if len(out) == 0 && conv.Status == bot.StatusNeedsAgent {
		out = append(out, t["reason_other"])
	}
	return out
}

func (cs *console) loc() *time.Location {
	if cs.Location != nil {
		return cs.Location
	}
	return time.UTC
}

func ellipsis(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
