package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/input"
	"github.com/quitabot/quita/bot/phone"
	"github.com/quitabot/quita/bot/transport/sim"
)

// simInboundRequest is POST /v1/sim/inbound's body (contract §4.3).
type simInboundRequest struct {
	From  string        `json:"from"`
	Text  string        `json:"text"`
	ID    string        `json:"id"`
	Media *simMediaJSON `json:"media"`
}

type simMediaJSON struct {
	Type       string `json:"type"`
	MIME       string `json:"mime"`
	Filename   string `json:"filename"`
	DataBase64 string `json:"data_base64"`
}

type replyJSON struct {
	Text     string        `json:"text"`
	Buttons  []bot.Button  `json:"buttons,omitempty"`
	Document *documentJSON `json:"document,omitempty"`
}

type documentJSON struct {
	Filename string `json:"filename"`
	URL      string `json:"url"`
}

type simInboundResponse struct {
	ConversationID string      `json:"conversation_id"`
	Intent         bot.Intent  `json:"intent"`
	State          string      `json:"state"`
	Replies        []replyJSON `json:"replies"`
	Duplicate      bool        `json:"duplicate,omitempty"`
}

// simInbound plays a debtor's message through the real pipeline and
// answers with what the bot sent back while handling it.
func (s *server) simInbound(c *fiber.Ctx) error {
	var req simInboundRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return malformed(err)
	}
	msg, err := req.toMessage()
	if err != nil {
		return err
	}
	if msg.ExternalID == "" {
		msg.ExternalID = "sim-" + strings.TrimPrefix(s.Engine.NewID("msg"), "msg_")
	}
	ctx := c.UserContext()
	out, err := s.Engine.HandleInbound(ctx, msg)
	if err != nil {
		return err
	}
	if err := s.Sender.Deliver(ctx, out.OutboxIDs); err != nil {
		return err
	}
	items, err := s.Store.OutboxItems(ctx, out.OutboxIDs)
	if err != nil {
		return err
	}
	resp := simInboundResponse{ConversationID: out.ConversationID, Intent: out.Intent, State: out.State,
		Replies: []replyJSON{}, Duplicate: out.Duplicate}
	for _, item := range items {
		if item.Status != bot.OutboxSent {
			continue
		}
		m, err := engine.DecodeMessage(item)
		if err != nil {
			return err
		}
		resp.Replies = append(resp.Replies, toReplyJSON(m.Text, m.Buttons, m.Document))
	}
	return c.JSON(resp)
}

func toReplyJSON(text string, buttons []bot.Button, doc *bot.Media) replyJSON {
	r := replyJSON{Text: text, Buttons: buttons}
	if doc != nil {
		r.Document = &documentJSON{Filename: doc.Filename, URL: doc.URL}
	}
	return r
}

// maxMediaBytes keeps a decoded attachment within the body limit.
const maxMediaBytes = 700 << 10

var allowedMedia = map[string]bool{"image": true, "document": true}

func (r simInboundRequest) toMessage() (bot.InboundMessage, error) {
	if strings.TrimSpace(r.From) == "" {
		return bot.InboundMessage{}, bot.Invalid("from", "the sender's phone is required")
	}
	if len(r.ID) > input.MaxIDBytes {
		return bot.InboundMessage{}, bot.Invalid("id", "must be at most %d characters", input.MaxIDBytes)
	}
	// The simulator stands for a phone: the text is cleaned as every
	// transport's is (package input) rather than refused, and cleaned
	// before the emptiness check so "\u0000" alone counts as empty.
	msg := bot.InboundMessage{Transport: sim.Name, ExternalID: r.ID, From: r.From,
		Text: strings.TrimSpace(input.Clean(r.Text, input.MaxMessageRunes))}
	if r.Media != nil {
		if !allowedMedia[r.Media.Type] {
			return bot.InboundMessage{}, bot.Invalid("media.type", "must be image or document")
		}
		data, err := base64.StdEncoding.DecodeString(r.Media.DataBase64)
		if err != nil {
			return bot.InboundMessage{}, bot.Invalid("media.data_base64", "is not valid base64")
		}
		if len(data) == 0 || len(data) > maxMediaBytes {
			return bot.InboundMessage{}, bot.Invalid("media.data_base64", "must hold 1 byte to 700 KiB")
		}
		mime := r.Media.MIME
		if mime == "" {
			mime = "application/octet-stream"
		}
		msg.Media = &bot.Media{Type: r.Media.Type, MIME: mime, Filename: r.Media.Filename, Data: data}
	}
	if msg.Text == "" && msg.Media == nil {
		return bot.InboundMessage{}, bot.Invalid("text", "a text or a media attachment is required")
	}
	return msg, nil
}

type sentJSON struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

// simClock moves the service clock forward and runs what came due.
func (s *server) simClock(c *fiber.Ctx) error {
	var req struct {
		Now string `json:"now"`
	}
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return malformed(err)
	}
	t, err := time.Parse(time.RFC3339, req.Now)
	if err != nil {
		return bot.Invalid("now", "must be an RFC 3339 time with offset, e.g. 2026-11-26T10:00:00-03:00")
	}
	// Everything delivered from the move on is reported, whether this
	// request's pass sent it or the background scheduler got there first.
	mark, err := s.Store.LastSimMessageID(c.UserContext())
	if err != nil {
		return err
	}
	if err := s.moveClock(t); err != nil {
		return err
	}
	resp := struct {
		Now  string     `json:"now"`
		Sent []sentJSON `json:"sent"`
	}{Sent: []sentJSON{}}
	for _, run := range s.RunDue {
		if _, err := run(c.UserContext()); err != nil {
			return err
		}
	}
	if err := s.awaitDueMessages(c.UserContext()); err != nil {
		return err
	}
	delivered, err := s.Store.SimMessagesAfter(c.UserContext(), mark)
	if err != nil {
		return err
	}
	for _, m := range delivered {
		resp.Sent = append(resp.Sent, sentJSON{To: m.Recipient, Text: m.Text})
	}
	resp.Now = s.Clock.Now().In(s.Location).Format(time.RFC3339)
	return c.JSON(resp)
}

// clockSlack is how far behind the clock a requested time may be and still
// mean "now". The clock keeps running while a request travels, and the
// page's clock field has minute resolution, so a client asking for the
// current time always names one a little in the past.
const clockSlack = time.Minute

// moveClock sets the service clock to t. A time at (or within clockSlack
// behind) the clock's current time leaves it where it is: moving to "now"
// is a no-op, not an error. An earlier time is refused, both times said in
// the business time zone so they can be compared at a glance.
func (s *server) moveClock(t time.Time) error {
	now := s.Clock.Now()
	if t.After(now) {
		if s.Clock.Set(t) == nil {
			return nil
		}
		// The running clock passed t while this request was on its way.
		now = s.Clock.Now()
	}
	if now.Sub(t) <= clockSlack {
		return nil
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	return bot.Invalid("now", "%s is before the service clock's current time %s; the clock only moves forward",
		t.In(loc).Format(time.RFC3339), now.In(loc).Format(time.RFC3339))
}

type outboxMessageJSON struct {
	At       string        `json:"at"`
	Text     string        `json:"text"`
	Buttons  []bot.Button  `json:"buttons,omitempty"`
	Document *documentJSON `json:"document,omitempty"`
}

// simOutbox lists everything the simulator delivered to one number.
func (s *server) simOutbox(c *fiber.Ctx) error {
	to, err := phone.Normalize(c.Query("to"), "BR")
	if err != nil {
		return bot.Invalid("to", "%s", strings.TrimPrefix(err.Error(), "phone: "))
	}
	msgs, err := s.Store.SimMessages(c.UserContext(), to)
	if err != nil {
		return err
	}
	out := make([]outboxMessageJSON, 0, len(msgs))
	for _, m := range msgs {
		var extras sim.Extras
		_ = json.Unmarshal([]byte(m.Payload), &extras)
		r := toReplyJSON(m.Text, extras.Buttons, extras.Document)
		out = append(out, outboxMessageJSON{At: m.At.In(s.Location).Format(time.RFC3339), Text: m.Text, Buttons: r.Buttons, Document: r.Document})
	}
	return c.JSON(fiber.Map{"messages": out})
}

// simPage serves the chat page; a ?code= link (printed at start) starts a
// session first. The API token is never taken from the URL, where logs
// and browser history would keep it: the sign-in form posts it.
func (s *server) simPage(c *fiber.Ctx) error {
	if c.Query("code") != "" {
		return s.signInWithCode(c)
	}
	if c.Query("token") != "" {
		return s.simLoginPage(c, fiber.StatusUnauthorized)
	}
	if _, ok := s.simPrincipal(c); !ok {
		return s.simLoginPage(c, fiber.StatusUnauthorized)
	}
	lang := s.uiLang(c)
	data := struct {
		Title     string
		Company   string
		Now       string
		Debtors   []Debtor
		Simulator bool
		Lang      string
		T         map[string]string
		JS        map[string]string
	}{Title: consoleText[lang]["sim_title"], Company: s.Policy.Company.Name, Now: s.Clock.Now().In(s.Location).Format(time.RFC3339),
		Simulator: true, Lang: lang, T: consoleText[lang], JS: simScriptText(lang)}
	if s.Debtors != nil {
		data.Debtors = s.Debtors(c.UserContext())
	}
	return s.render(c, fiber.StatusOK, "sim.html", data)
}

// simScriptText is what the simulator page's script says, in lang: the
// sim_js_* labels without their prefix.
func simScriptText(lang string) map[string]string {
	out := map[string]string{}
	for k, v := range consoleText[lang] {
		if name, ok := strings.CutPrefix(k, "sim_js_"); ok {
			out[name] = v
		}
	}
	return out
}

func (s *server) simLoginPage(c *fiber.Ctx, status int) error {
	lang := s.uiLang(c)
	return s.render(c, status, "sim_login.html", struct {
		Invalid, TokenInURL bool
		Minutes             int
		Lang                string
		T                   map[string]string
	}{Invalid: c.Query("code") != "" || c.Method() == fiber.MethodPost, TokenInURL: c.Query("token") != "",
		Minutes: int(SimCodeTTL / time.Minute), Lang: lang, T: consoleText[lang]})
}

func (s *server) render(c *fiber.Ctx, status int, name string, data any) error {
	var b strings.Builder
	if err := s.templates.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	return c.Status(status).SendString(b.String())
}

// awaitDueMessages waits (a bounded while) until no message due now is
// still pending: the background sender may hold some of what this move
// queued, and the answer must report them too.
func (s *server) awaitDueMessages(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(wait*2, 100*time.Millisecond) {
		n, err := s.Store.DueMessages(ctx, s.Clock.Now())
		if err != nil || n == 0 || time.Now().After(deadline) {
			return err
		}
		if s.Sender != nil {
			if _, err := s.Sender.RunDue(ctx); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
