package web

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/locales"
)

// convView is the conversation page's content.
type convView struct {
	ID, Title, Phone, Status, StatusLabel, State, Agent, Transport string
	Mine, HeldByOther                                              bool
	Entries                                                        []entryView
	LastSeq                                                        int64
	LastDay                                                        string
	Customer                                                       *bot.Customer
	Invoices                                                       []invoiceView
	Reasons                                                        []string
	Canned                                                         []cannedView
	Draft                                                          string // the reply to keep after an error
}

// entryView is one transcript entry, every label already in the page's
// language so the same template renders it in the page and in live
// updates.
type entryView struct {
	Seq                                 int64
	Dir, Who, Text, Intent, IntentLabel string
	StateFrom, StateTo                  string
	Status, StatusLabel, Time, TimeISO  string
	Day                                 string // set on the first entry of a day
	Agent                               bool
	MediaKind, MediaLabel, MediaURL     string
}

type invoiceView struct {
	ID, Description, Amount, Due, Status, StatusLabel, Collection, CollectionLabel string
	Claimed, Open                                                                  bool
}

type cannedView struct{ Key, Text string }

func (cs *console) conversation(c *fiber.Ctx) error {
	data := cs.newPage(c)
	if done := c.Query("done"); data.T["done_"+done] != "" {
		data.Notice = data.T["done_"+done]
	}
	return cs.showConversation(c, data, fiber.StatusOK)
}

// showConversation renders the conversation page with whatever data
// already carries (a notice, a problem, a draft).
func (cs *console) showConversation(c *fiber.Ctx, data pageData, status int) error {
	ctx := c.UserContext()
	conv, err := cs.Store.Conversation(ctx, c.Params("id"))
	if bot.ErrorCodeOf(err) == bot.CodeNotFound {
		return cs.fail(c, fiber.StatusNotFound, data.T["errNoConversation"])
	}
	if err != nil {
		return err
	}
	entries, err := cs.Store.Transcript(ctx, conv.ID)
	if err != nil {
		return err
	}
	cust, invoices, err := cs.Store.ConversationDebtor(ctx, conv)
	if err != nil {
		return err
	}
	if cust != nil {
		// The console shows the CPF/CNPJ masked, as the PDF transcript does:
		// telling two debtors apart needs no more, and screens are seen.
		masked := *cust
		masked.Document = transcript.MaskDocument(cust.Document)
		cust = &masked
	}
	v := &convView{ID: conv.ID, Phone: conv.Phone, Transport: conv.Transport, Customer: cust}
	cs.fillState(v, conv, data.Agent.Name, data.T)
	if cust != nil {
		v.Title = cust.Name
	} else {
		v.Title = conv.Phone
	}
	claimed, disputed, err := cs.invoiceViews(ctx, v, invoices, conv, data.T)
	if err != nil {
		return err
	}
	v.Reasons = needsAgentReasons(conv, claimed, disputed, data.T)
	day := ""
	for _, e := range entries {
		ev := cs.entryView(e, v.Title, &day, data.T)
		v.Entries = append(v.Entries, ev)
		v.LastSeq = e.Seq
	}
	v.LastDay = day
	v.Canned = cs.cannedReplies(cs.debtorLocale(conv, cust), data.Agent.Name, cust)
	if data.Draft != "" {
		v.Draft = data.Draft
	}
	data.Conv = v
	return cs.page(c, status, "console_conversation.html", data)
}

// fillState sets the conversation's status and who holds it.
func (cs *console) fillState(v *convView, conv bot.Conversation, me string, t map[string]string) {
	v.Status, v.StatusLabel, v.State, v.Agent = string(conv.Status), statusChip(t, string(conv.Status)), stateLabel(t, conv.State), conv.Agent
	v.Mine = conv.Agent != "" && conv.Agent == me
	v.HeldByOther = conv.Agent != "" && conv.Agent != me
}

func (cs *console) invoiceViews(ctx context.Context, v *convView, invoices []bot.Invoice, conv bot.Conversation, t map[string]string) (claimed, disputed int, err error) {
	ids := make([]string, len(invoices))
	for i, inv := range invoices {
		ids[i] = inv.ID
	}
	cols, err := cs.Store.Collections(ctx, ids)
	if err != nil {
		return 0, 0, err
	}
	loc := cs.debtorLocale(conv, v.Customer)
	for _, inv := range invoices {
		col := cols[inv.ID]
		iv := invoiceView{ID: inv.ID, Description: inv.Description, Amount: locales.Money(loc, inv.AmountCents),
			Due: locales.ShortDate(loc, inv.DueDate), Status: string(inv.Status), StatusLabel: t["invoice_"+string(inv.Status)],
			Collection: string(col.Status), Open: inv.Status == bot.InvoiceOpen}
		if col.Status != "" && col.Status != bot.CollectionActive {
			iv.CollectionLabel = t["collection_"+string(col.Status)]
		}
		iv.Claimed = iv.Open && col.Status == bot.CollectionClaimed
		if iv.Claimed {
			claimed++
		}
		if iv.Open && col.Status == bot.CollectionDisputed {
			disputed++
		}
		v.Invoices = append(v.Invoices, iv)
	}
	// Open invoices first, then by due date.
	sort.SliceStable(v.Invoices, func(i, j int) bool { return v.Invoices[i].Open && !v.Invoices[j].Open })
	return claimed, disputed, nil
}

// entryView converts a transcript entry; day carries the last day shown so
// a separator appears when it changes.
func (cs *console) entryView(e bot.TranscriptEntry, debtor string, day *string, t map[string]string) entryView {
	at := e.At.In(cs.loc())
	v := entryView{Seq: e.Seq, Dir: e.Direction, Text: e.Text, Intent: e.Intent, IntentLabel: intentLabel(t, e.Intent),
		Status: e.Status, StatusLabel: t["delivery_"+e.Status], Time: at.Format("15:04"), TimeISO: at.Format(time.RFC3339)}
	if e.StateFrom != e.StateTo { // otherwise no change worth showing
		v.StateTo = stateLabel(t, e.StateTo)
		if e.StateFrom != "" {
			v.StateFrom = stateLabel(t, e.StateFrom)
		}
	}
	if d := at.Format("02/01/2006"); d != *day {
		v.Day, *day = d, d
	}
	switch {
	case e.Author == bot.AuthorDebtor:
		v.Who = debtor
	case e.Author == bot.AuthorBot:
		v.Who = "Bot"
	case strings.HasPrefix(e.Author, "agent:"):
		v.Who, v.Agent = strings.TrimPrefix(e.Author, "agent:"), true
	default:
		v.Who = t["system"]
	}
	if e.Direction == bot.DirectionSystem {
		agent, _ := strings.CutPrefix(e.Author, "agent:")
		if !v.Agent {
			agent = ""
		}
		v.Text = systemText(t, e.Text, agent)
	}
	if e.Media != nil {
		v.MediaKind, v.MediaLabel = t["attachment"], e.Media.Filename
		if v.MediaLabel == "" {
			v.MediaLabel = e.Media.Type
		}
		if strings.HasPrefix(e.Media.URL, "/v1/media/") || strings.HasPrefix(e.Media.URL, "https://") {
			v.MediaURL = e.Media.URL
		}
	}
	return v
}

// debtorLocale is the language the debtor is spoken to in.
func (cs *console) debtorLocale(conv bot.Conversation, cust *bot.Customer) string {
	switch {
	case conv.Locale != "":
		return locales.Resolve(conv.Locale)
	case cust != nil && cust.Locale != "":
		return locales.Resolve(cust.Locale)
	case cs.Console.Locale != "":
		return locales.Resolve(cs.Console.Locale)
	}
	return locales.Fallback
}

// cannedArgs fills the placeholders canned replies may use.
func (cs *console) cannedArgs(agent string) map[string]string {
	return map[string]string{"agent": displayName(agent), "company": cs.Policy.Company.Name}
}

func displayName(agent string) string {
	if agent == "" {
		return agent
	}
	return strings.ToUpper(agent[:1]) + agent[1:]
}

// cannedReplies lists the canned.* texts of locale, rendered for agent.
func (cs *console) cannedReplies(locale, agent string, _ *bot.Customer) []cannedView {
	if cs.Console.Catalog == nil {
		return nil
	}
	var out []cannedView
	for _, key := range cs.Console.Catalog.Keys(locale) {
		if !strings.HasPrefix(key, "canned.") {
			continue
		}
		text, err := cs.Console.Catalog.Text(locale, key, cs.cannedArgs(agent))
		if err != nil {
			cs.log.Error("canned reply does not render", "key", key, "err", err)
			continue
		}
		out = append(out, cannedView{Key: strings.TrimPrefix(key, "canned."), Text: text})
	}
	return out
}

// maxReply is the longest reply an agent may send (WhatsApp's limit is
// 4096 characters).
const maxReply = 4096

func (cs *console) takeover(c *fiber.Ctx) error {
	return cs.act(c, "takeover", func(ctx context.Context, id, agent string) error {
		_, err := cs.Agents.Takeover(ctx, id, agent)
		return err
	})
}

func (cs *console) release(c *fiber.Ctx) error {
	return cs.act(c, "release", func(ctx context.Context, id, agent string) error {
		_, err := cs.Agents.Release(ctx, id, agent)
		return err
	})
}

func (cs *console) resolve(c *fiber.Ctx) error {
	return cs.act(c, "resolve", func(ctx context.Context, id, agent string) error {
		_, err := cs.Agents.Resolve(ctx, id, agent)
		return err
	})
}

func (cs *console) confirmPayment(c *fiber.Ctx) error {
	invoice := strings.TrimSpace(c.FormValue("invoice"))
	a, _ := cs.consoleSession(c)
	return cs.act(c, "confirm", func(ctx context.Context, id, agent string) error {
		// Only a pending claim can be confirmed; an admin may also mark an
		// unclaimed invoice paid, recorded as such (see agents.go).
		if a.admin() {
			_, err := cs.Agents.ConfirmPaymentAsAdmin(ctx, id, agent, invoice)
			return err
		}
		_, err := cs.Agents.ConfirmPayment(ctx, id, agent, invoice)
		return err
	})
}

func (cs *console) rejectPayment(c *fiber.Ctx) error {
	invoice := strings.TrimSpace(c.FormValue("invoice"))
	reason := strings.TrimSpace(c.FormValue("reason"))
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return cs.act(c, "reject", func(ctx context.Context, id, agent string) error {
		_, err := cs.Agents.RejectPayment(ctx, id, agent, invoice, reason)
		return err
	})
}

// reply sends the agent's text, or the chosen canned reply. (Signing the
// agent's name is the engine's, per the policy's agent_signature.)
func (cs *console) reply(c *fiber.Ctx) error {
	t := consoleText[cs.lang(c)]
	text := strings.TrimSpace(strings.ReplaceAll(c.FormValue("text"), "\r\n", "\n"))
	ctx := c.UserContext()
	a, _ := cs.consoleSession(c)
	if key := c.FormValue("canned"); text == "" && key != "" && cs.Console.Catalog != nil && !strings.ContainsAny(key, ".{}") {
		conv, err := cs.Store.Conversation(ctx, c.Params("id"))
		if err != nil {
			return cs.actionError(c, err, text)
		}
		cust, _, err := cs.Store.ConversationDebtor(ctx, conv)
		if err != nil {
			return err
		}
		text, _ = cs.Console.Catalog.Text(cs.debtorLocale(conv, cust), "canned."+key, cs.cannedArgs(a.Name))
	}
	if text == "" {
		return cs.problem(c, fiber.StatusUnprocessableEntity, t["errEmptyReply"], text)
	}
	if len([]rune(text)) > maxReply || strings.ContainsRune(text, 0) {
		return cs.problem(c, fiber.StatusUnprocessableEntity, t["errLongReply"], text)
	}
	return cs.act(c, "reply", func(ctx context.Context, id, agent string) error {
		_, err := cs.Agents.AgentReply(ctx, id, agent, text)
		return err
	})
}

// act runs one agent action as the signed-in agent and goes back to the
// conversation (303), or shows why it failed with the fitting status:
// 409 when another agent holds the conversation.
func (cs *console) act(c *fiber.Ctx, done string, fn func(ctx context.Context, id, agent string) error) error {
	if cs.Agents == nil {
		return cs.fail(c, fiber.StatusServiceUnavailable, consoleText[cs.lang(c)]["errNoAgents"])
	}
	a, _ := cs.consoleSession(c)
	id := c.Params("id")
	if err := fn(c.UserContext(), id, a.Name); err != nil {
		return cs.actionError(c, err, c.FormValue("text"))
	}
	return c.Redirect("/console/c/"+url.PathEscape(id)+"?done="+done, fiber.StatusSeeOther)
}

// actionError shows an action's failure on the conversation page.
func (cs *console) actionError(c *fiber.Ctx, err error, draft string) error {
	t := consoleText[cs.lang(c)]
	code := bot.ErrorCodeOf(err)
	status := statusOf[code]
	switch {
	case code == bot.CodeNotFound:
		return cs.fail(c, fiber.StatusNotFound, t["errNoConversation"])
	case code == bot.CodeInternal || status == 0:
		return err
	}
	msg := err.Error()
	if code == bot.CodeConflict {
		msg = t["errConflict"] + " " + msg
	}
	return cs.problem(c, status, msg, draft)
}

func (cs *console) problem(c *fiber.Ctx, status int, msg, draft string) error {
	data := cs.newPage(c)
	data.Problem = msg
	data.Draft = draft
	return cs.showConversation(c, data, status)
}
