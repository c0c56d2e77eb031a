package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// Errors Send wraps, so callers can tell the cases apart with errors.Is.
// Retryable ones are also wrapped in *bot.RetryableError.
var (
	// ErrNotConnected: no linked number can send right now (disconnected,
	// pairing, or another instance holds the connection). Retryable.
	ErrNotConnected = errors.New("whatsapp: not connected")
	// ErrFirstContactPaused: WhatsApp answered error 463 (reach-out
	// timelock), so messages to numbers without a chat wait. Not
	// retryable: the outbox's retry budget is far shorter than a timelock,
	// and a reminder delivered a day late would be mistimed; the reminder
	// cadence produces the next one.
	ErrFirstContactPaused = errors.New("whatsapp: first contacts are paused after WhatsApp error 463")
	// ErrDailyCap: the number sent its proactive messages for today (daily
	// cap or warm-up). Retryable.
	ErrDailyCap = errors.New("whatsapp: daily proactive send limit reached")
	// ErrNotOnWhatsApp: the number has no WhatsApp account. Not retryable.
	ErrNotOnWhatsApp = errors.New("whatsapp: number is not on WhatsApp")
	// ErrPaced: the number's pacing (or a send already under way on it)
	// would hold this send past its time budget. Retryable.
	ErrPaced = errors.New("whatsapp: the number is pacing its sends; try again shortly")
)

// Time limits of one Send. The engine's sender leases an outbox item for a
// minute and another sender may claim it after that, so a Send must end
// well inside it: waiting for the number, pacing, typing, uploading and
// the server's answer all come out of sendBudget, and pacing that would not
// leave messageTimeout for the send itself is refused as ErrPaced instead
// of being slept through. Variables only so tests can shrink them.
var (
	sendBudget     = 45 * time.Second
	messageTimeout = 15 * time.Second
	sentMemory     = 6 * time.Hour // how long a sent part is remembered by outbox id
)

// captionLimit is the longest text sent as an attachment's caption; longer
// text goes in a message of its own just before it.
const captionLimit = 1024

// Send implements bot.Transport. It picks the debtor's number (sticky with
// several), checks the 463 pause and the daily caps, paces like a person
// typing, and returns the WhatsApp message id (tagged as ours). It returns
// within sendBudget. A message whose outbox id was sent before (the outbox
// retried after a lost lease or a failed second part) is not sent again:
// its parts' ids are derived from the outbox id and remembered.
func (t *Transport) Send(ctx context.Context, msg bot.OutboundMessage) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, sendBudget)
	defer cancel()
	to, err := phone.Normalize(msg.To, "BR")
	if err != nil {
		return "", fmt.Errorf("whatsapp: recipient: %w", err)
	}
	l, err := t.pick(ctx, to)
	if err != nil {
		return "", err
	}
	return l.send(ctx, to, msg)
}

// pick returns the line for a debtor: the one they talk with, else the
// connected line with the fewest proactive sends today.
func (t *Transport) pick(ctx context.Context, to string) (*line, error) {
	route, err := t.cfg.Routes.Route(ctx, to)
	if err != nil {
		return nil, bot.Retryable(fmt.Errorf("whatsapp: route: %w", err))
	}
	if route != "" {
		if l := t.lineFor(route); l != nil {
			return l, nil
		}
	}
	var best *line
	bestCount := 0
	states := []string{}
	for _, l := range t.snapshot() {
		if l.stopped() || l.pairing() {
			continue
		}
		cli := l.client()
		if cli == nil || !cli.IsLoggedIn() {
			states = append(states, l.linkState().State)
			continue
		}
		if n := l.sentToday(t.cfg.Clock.Now()); best == nil || n < bestCount {
			best, bestCount = l, n
		}
	}
	if best == nil {
		if len(states) == 0 {
			return nil, bot.Deferred(fmt.Errorf("%w: no number is linked; scan the QR code in the console", ErrNotConnected), t.cfg.Clock.Now().Add(time.Minute))
		}
		return nil, bot.Deferred(fmt.Errorf("%w: linked numbers are %s", ErrNotConnected, strings.Join(states, ", ")), t.cfg.Clock.Now().Add(time.Minute))
	}
	return best, nil
}

// send delivers msg to the debtor at to through this line.
func (l *line) send(ctx context.Context, to string, msg bot.OutboundMessage) (string, error) {
	cli := l.client()
	if cli == nil || !cli.IsLoggedIn() {
		st := l.linkState()
		return "", bot.Deferred(fmt.Errorf("%w: %s is %s", ErrNotConnected, phone.Mask(st.Number), st.State), l.t.cfg.Clock.Now().Add(time.Minute))
	}
	if !l.leaseHeld() {
		// The lease may have moved to another instance: sending now could
		// race its connection (and get the stream replaced).
		return "", bot.Deferred(fmt.Errorf("%w: %s: this instance's lease on the number is not confirmed",
			ErrNotConnected, phone.Mask(l.linkState().Number)), l.t.cfg.Clock.Now().Add(time.Minute))
	}
	// known: the debtor has a chat with this number (for resolving the
	// account without a lookup). existing: the debtor wrote to us, or this
	// is an answer; only those may go out during a 463 pause. A chat we
	// opened cold and the debtor never answered is still cold outreach.
	known := l.knowsChat(ctx, to)
	existing := !msg.Proactive || l.hasHeard(to)
	now := l.t.cfg.Clock.Now()
	if until := l.timelockUntil(now); !existing && !until.IsZero() {
		return "", fmt.Errorf("%w until %s", ErrFirstContactPaused, until.In(l.t.cfg.Location).Format("2006-01-02 15:04 MST"))
	}
	jid, err := l.t.resolveJID(ctx, cli, to, known)
	if err != nil {
		return "", err
	}
	text := renderText(msg.Text, msg.Buttons)
	var media *waE2E.Message
	caption := ""
	if msg.Document != nil {
		if utf8.RuneCountInString(text) <= captionLimit {
			caption, text = text, ""
		}
		if _, done := l.t.sentBefore(msg.ID, 1); !done {
			if media, err = l.t.buildMedia(ctx, cli, msg.Document, caption); err != nil {
				return "", err
			}
		}
	}

	select {
	case l.sendSem <- struct{}{}:
	case <-ctx.Done():
		return "", bot.Deferred(fmt.Errorf("%w: another send on %s is still under way", ErrPaced, phone.Mask(l.linkState().Number)),
			l.t.cfg.Clock.Now().Add(5*time.Second))
	}
	defer func() { <-l.sendSem }()
	if msg.Proactive {
		if err := l.checkCap(now); err != nil {
			return "", err
		}
	}
	parts := []struct {
		text string
		m    *waE2E.Message
	}{{text, nil}, {caption, media}}
	if text != "" {
		parts[0].m = &waE2E.Message{Conversation: proto.String(text)}
	}
	var id string
	sentNow := false
	for i, p := range parts {
		if prev, done := l.t.sentBefore(msg.ID, i); done {
			id = prev
			continue
		}
		if p.m == nil {
			continue
		}
		if id, err = l.sendOne(ctx, cli, jid, p.text, p.m, existing, msg.ID, i); err != nil {
			return "", err
		}
		sentNow = true
	}
	if sentNow && msg.Proactive {
		l.countSend(ctx)
	}
	if !known {
		l.noteChat(ctx, to, false)
	}
	return id, nil
}

// sendOne paces, shows typing, sends one message (part of outbox item
// outboxID) and classifies failure.
func (l *line) sendOne(ctx context.Context, cli client, jid types.JID, text string, m *waE2E.Message, existing bool,
	outboxID string, part int) (string, error) {
	if err := l.pace(ctx, cli, jid, text); err != nil {
		var deferred *bot.DeferredError
		if errors.As(err, &deferred) {
			return "", err
		}
		return "", bot.Retryable(err)
	}
	id := newMessageID(cli.IDKey())
	if outboxID != "" {
		id = messageIDFor(cli.IDKey(), outboxID+"#"+strconv.Itoa(part))
	}
	l.t.noteRecent(id)
	resp, err := cli.SendMessage(ctx, jid, m, whatsmeow.SendRequestExtra{ID: id, Timeout: messageTimeout})
	l.mu.Lock()
	l.lastSend = l.t.cfg.Clock.Now()
	l.mu.Unlock()
	if err != nil {
		return "", l.classify(ctx, err, existing)
	}
	if resp.ID != "" {
		id = resp.ID
	}
	l.t.recordSent(outboxID, part, id)
	return id, nil
}

// classify turns a send failure into a retryable or a permanent error. A
// 463 starts the first-contact pause; it is permanent for a first contact
// and retryable (through the outbox's backoff, never here in a loop) for an
// existing chat, where WhatsApp usually lets messages through again.
func (l *line) classify(ctx context.Context, err error, existing bool) error {
	code := serverErrorCode(err)
	switch {
	case code == 463:
		until := l.startTimelock(ctx)
		if !existing {
			return fmt.Errorf("%w until %s", ErrFirstContactPaused, until.In(l.t.cfg.Location).Format("2006-01-02 15:04 MST"))
		}
		return bot.Retryable(fmt.Errorf("whatsapp: WhatsApp refused the message (error 463): %w", err))
	case code == 429 || code >= 500:
		return bot.Retryable(fmt.Errorf("whatsapp: send: %w", err))
	case code != 0:
		return fmt.Errorf("whatsapp: WhatsApp refused the message (error %d): %w", code, err)
	case errors.Is(err, whatsmeow.ErrRecipientADJID), errors.Is(err, whatsmeow.ErrUnknownServer),
		errors.Is(err, whatsmeow.ErrBroadcastListUnsupported):
		return fmt.Errorf("whatsapp: send: %w", err)
	case strings.Contains(err.Error(), "no LID found"):
		return fmt.Errorf("%w: %v", ErrNotOnWhatsApp, err)
	}
	// Not connected, timeouts, encryption hiccups: worth another try.
	return bot.Retryable(fmt.Errorf("whatsapp: send: %w", err))
}

// serverErrorCode extracts N from whatsmeow's "server returned error N"
// (send.go: fmt.Errorf("%w %d", ErrServerReturnedError, code)); 0 if absent.
func serverErrorCode(err error) int {
	if !errors.Is(err, whatsmeow.ErrServerReturnedError) {
		return 0
	}
	s := err.Error()
	i := strings.Index(s, whatsmeow.ErrServerReturnedError.Error())
	if i < 0 {
		return 0
	}
	rest := strings.TrimSpace(s[i+len(whatsmeow.ErrServerReturnedError.Error()):])
	if j := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
		rest = rest[:j]
	}
	n, _ := strconv.Atoi(rest)
	return n
}

// knowsChat reports whether the debtor already has a chat with this number
// (they wrote to it, or it wrote to them).
func (l *line) knowsChat(ctx context.Context, to string) bool {
	if l.hasHeard(to) {
		return true
	}
	route, err := l.t.cfg.Routes.Route(ctx, to)
	return err == nil && route != "" && route == l.device()
}

// hasHeard reports whether the debtor wrote to this number since start.
func (l *line) hasHeard(from string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.heard[from]
}

// renderText appends the buttons as numbered lines ("1 - Sim"): personal
// accounts do not show buttons, and the flows understand the digit or the
// title in reply.
func renderText(text string, buttons []bot.Button) string {
	if len(buttons) == 0 {
		return text
	}
	var b strings.Builder
	b.WriteString(text)
	for i, btn := range buttons {
		if b.Len() > 0 {
			if i == 0 {
				b.WriteString("\n")
			}
			b.WriteString("\n")
		}
		prefix := strconv.Itoa(i+1) + " - "
		if !strings.HasPrefix(btn.Title, prefix) {
			b.WriteString(prefix)
		}
		b.WriteString(btn.Title)
	}
	return b.String()
}

// buildMedia fetches and uploads an attachment: Type "image" becomes an
// image (a Pix QR), anything else a document (an invoice PDF).
func (t *Transport) buildMedia(ctx context.Context, cli client, m *bot.Media, caption string) (*waE2E.Message, error) {
	data, mime := m.Data, m.MIME
	if len(data) == 0 {
		if t.cfg.Media == nil || m.URL == "" {
			return nil, fmt.Errorf("whatsapp: attachment %q has neither data nor a fetchable URL", m.Filename)
		}
		var fetched string
		var err error
		if data, fetched, err = t.cfg.Media.Fetch(ctx, m.URL); err != nil {
			// The fetcher marks transient failures with bot.Retryable,
			// which the wrapping keeps visible to errors.As.
			return nil, fmt.Errorf("whatsapp: fetch attachment: %w", err)
		}
		if mime == "" {
			mime = fetched
		}
	}
	if mime == "" {
		mime = http.DetectContentType(data)
	}
	kind := whatsmeow.MediaDocument
	if m.Type == "image" {
		kind = whatsmeow.MediaImage
	}
	up, err := cli.Upload(ctx, data, kind)
	if err != nil {
		return nil, bot.Retryable(fmt.Errorf("whatsapp: upload attachment: %w", err))
	}
	var capt *string
	if caption != "" {
		capt = proto.String(caption)
	}
	if kind == whatsmeow.MediaImage {
		return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: capt, Mimetype: proto.String(mime),
			URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength)}}, nil
	}
	name := m.Filename
	if name == "" {
		name = "document"
	}
	return &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Caption: capt, Mimetype: proto.String(mime),
		FileName: proto.String(name), Title: proto.String(name),
		URL: proto.String(up.URL), DirectPath: proto.String(up.DirectPath), MediaKey: up.MediaKey,
		FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength)}}, nil
}

// resolveJID finds the account to send to. Brazilian mobiles may be
// registered with or without the ninth digit, so for an existing chat the
// form heard from the debtor wins, then one the LID store knows; a number
// without a chat, or a chat whose form is still unknown, is checked with
// IsOnWhatsApp, once per number and cached.
func (t *Transport) resolveJID(ctx context.Context, cli client, to string, known bool) (types.JID, error) {
	t.mu.Lock()
	j, ok := t.jids[to]
	t.mu.Unlock()
	if ok {
		return j, nil
	}
	variants := phone.Variants(to)
	canonical := types.NewJID(variants[0][1:], types.DefaultUserServer)
	if !known {
		return t.lookup(ctx, cli, to, variants)
	}
	if len(variants) == 1 {
		return canonical, nil
	}
	for _, v := range variants {
		pn := types.NewJID(v[1:], types.DefaultUserServer)
		if lid, err := cli.LIDForPN(ctx, pn); err == nil && !lid.IsEmpty() {
			t.rememberJID(to, pn)
			return pn, nil
		}
	}
	// Guessing the canonical form could write to nobody (or fail for good
	// with "no LID found"): ask, lazily and cached, which form exists.
	pn, err := t.lookup(ctx, cli, to, variants)
	if errors.Is(err, ErrNotOnWhatsApp) {
		return canonical, nil // the debtor did write to us: try anyway
	}
	return pn, err
}

// lookup asks WhatsApp whether the debtor has an account, for one number
// (and its ninth-digit variant) at a time, never in bulk. Answers, found or
// not, are cached for lookupTTL.
func (t *Transport) lookup(ctx context.Context, cli client, to string, variants []string) (types.JID, error) {
	now := t.cfg.Clock.Now()
	t.mu.Lock()
	c, ok := t.lookups[to]
	t.mu.Unlock()
	if !ok || now.Sub(c.at) > lookupTTL {
		resp, err := cli.IsOnWhatsApp(ctx, variants)
		if err != nil {
			return types.EmptyJID, bot.Retryable(fmt.Errorf("whatsapp: check %s on WhatsApp: %w", phone.Mask(to), err))
		}
		c = waLookup{at: now}
		for _, r := range resp {
			if r.IsIn && r.JID.Server == types.DefaultUserServer {
				c.jid, c.found = r.JID.ToNonAD(), true
				break
			}
		}
		t.mu.Lock()
		t.lookups[to] = c
		t.mu.Unlock()
	}
	if !c.found {
		return types.EmptyJID, fmt.Errorf("%w: %s", ErrNotOnWhatsApp, phone.Mask(to))
	}
	return c.jid, nil
}

// rememberJID records the account a debtor's number wrote from.
func (t *Transport) rememberJID(e164 string, pn types.JID) {
	if pn.Server != types.DefaultUserServer {
		return
	}
	t.mu.Lock()
	t.jids[e164] = pn.ToNonAD()
	t.mu.Unlock()
}

// sentPart is one message sent for an outbox item.
type sentPart struct {
	id string
	at time.Time
}

// sentBefore returns the id part of outbox item outboxID was sent under,
// if it was sent recently.
func (t *Transport) sentBefore(outboxID string, part int) (string, bool) {
	if outboxID == "" {
		return "", false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.sent[outboxID+"#"+strconv.Itoa(part)]
	return p.id, ok && time.Since(p.at) < sentMemory
}

func (t *Transport) recordSent(outboxID string, part int, id string) {
	if outboxID == "" {
		return
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, p := range t.sent {
		if now.Sub(p.at) >= sentMemory {
			delete(t.sent, k)
		}
	}
	t.sent[outboxID+"#"+strconv.Itoa(part)] = sentPart{id: id, at: now}
}
