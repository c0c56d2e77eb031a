package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/quitabot/quita/bot"
)

func retryable(err error) bool {
	var r *bot.RetryableError
	return errors.As(err, &r)
}

// knownChat makes the debtor an existing chat of the harness's number: a
// route, and the LID mapping whatsmeow keeps for every chat.
func (h *harness) knownChat(t *testing.T, e164 string) {
	t.Helper()
	if err := h.tr.cfg.Routes.SetRoute(context.Background(), e164, ownJID.ToNonAD().String()); err != nil {
		t.Fatal(err)
	}
	h.cli.lids[types.NewJID("9"+e164[1:], types.HiddenUserServer)] = types.NewJID(e164[1:], types.DefaultUserServer)
}

func TestSendTextWithButtonsAndReceipt(t *testing.T) {
	h := newHarness(t)
	h.knownChat(t, debtor)
	id, err := h.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_1", To: "(11) 98888-7777", Text: "Pode confirmar?",
		Buttons: []bot.Button{{ID: "yes", Title: "Sim"}, {ID: "no", Title: "2 - Não"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.cli.sent) != 1 {
		t.Fatalf("sent %d messages", len(h.cli.sent))
	}
	s := h.cli.sent[0]
	if s.to != debtorJID || s.id != id || s.msg.GetConversation() != "Pode confirmar?\n\n1 - Sim\n2 - Não" {
		t.Errorf("sent %+v %q", s, s.msg.GetConversation())
	}
	if !isOwnMessageID(h.cli.key, id) || len(h.cli.lookups) != 0 {
		t.Errorf("id %q not tagged, or a known chat was looked up (%v)", id, h.cli.lookups)
	}
	h.cli.dispatch(&events.Receipt{MessageSource: types.MessageSource{Chat: debtorJID, Sender: debtorJID},
		MessageIDs: []string{id}, Type: types.ReceiptTypeRead, Timestamp: testStart})
	if reps := h.sink.Reports(); len(reps) != 1 || reps[0].ExternalID != id || reps[0].Status != bot.DeliveryRead {
		t.Errorf("reports = %+v", reps)
	}
}

func TestPacing(t *testing.T) {
	h := newHarness(t)
	h.knownChat(t, debtor)
	text := strings.Repeat("a", 40) // 40 × 50ms = 2s of typing at mid jitter
	send := func() {
		t.Helper()
		if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	send()
	send()
	// First send: typing only. Second: the rest of the 8s gap (4s + half
	// of the 8s jitter range) minus the typing, then the typing.
	want := []time.Duration{2 * time.Second, 6 * time.Second, 2 * time.Second}
	if got := h.sleeps(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sleeps = %v, want %v", got, want)
	}
	if p := h.cli.presences; len(p) != 4 || p[0] != types.ChatPresenceComposing || p[1] != types.ChatPresencePaused {
		t.Errorf("presences = %v", p)
	}

	for _, tc := range []struct {
		jitter              float64
		text                string
		wantGap, wantTyping time.Duration
	}{
		{0, text, 4 * time.Second, 1600 * time.Millisecond},
		{1, text, 12 * time.Second, 2400 * time.Millisecond},
		{1, strings.Repeat("a", 1000), 12 * time.Second, DefaultMaxTyping},
		{0.5, "", 8 * time.Second, 0},
	} {
		h.jitter = tc.jitter
		if gap, typing := h.tr.delays(tc.text); gap != tc.wantGap || typing != tc.wantTyping {
			t.Errorf("jitter %v, %d chars: gap %v typing %v; want %v %v", tc.jitter, len(tc.text), gap, typing, tc.wantGap, tc.wantTyping)
		}
	}
}

func TestDailyCapAndWarmup(t *testing.T) {
	h := newHarness(t) // DailyCap 10, WarmupDays 5, WarmupDailyCap 2
	h.knownChat(t, debtor)
	reminder := bot.OutboundMessage{To: debtor, Text: "Lembrete", Proactive: true}
	for i := 0; i < 2; i++ {
		if _, err := h.tr.Send(context.Background(), reminder); err != nil {
			t.Fatalf("reminder %d: %v", i, err)
		}
	}
	_, err := h.tr.Send(context.Background(), reminder)
	if !errors.Is(err, ErrDailyCap) || !retryable(err) || !strings.Contains(err.Error(), "warm-up day 1 of 5") {
		t.Fatalf("third reminder on day one: %v", err)
	}
	// Not a failure: the sender keeps it until tomorrow (local midnight).
	var deferred *bot.DeferredError
	y, m, d := h.clock.Now().In(h.tr.cfg.Location).Date()
	if !errors.As(err, &deferred) || !deferred.Until.Equal(time.Date(y, m, d+1, 0, 0, 0, 0, h.tr.cfg.Location)) {
		t.Fatalf("the capped reminder is not deferred to tomorrow: %#v", err)
	}
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: "Resposta"}); err != nil {
		t.Fatalf("replies are never capped: %v", err)
	}
	h.clock.Advance(24 * time.Hour) // day two: 2 + (10-2)·1/5 = 3
	for i := 0; i < 3; i++ {
		if _, err := h.tr.Send(context.Background(), reminder); err != nil {
			t.Fatalf("day two reminder %d: %v", i, err)
		}
	}
	if _, err := h.tr.Send(context.Background(), reminder); !errors.Is(err, ErrDailyCap) {
		t.Fatalf("fourth reminder on day two: %v", err)
	}
	rec, err := h.tr.numbers.load(context.Background(), ownJID.ToNonAD().String(), time.Time{})
	if err != nil || rec.SentCount != 3 || rec.SentDay != "2026-11-26" {
		t.Errorf("persisted counter = %+v, %v", rec, err)
	}
	for age, want := range map[int]int{0: 2, 1: 3, 4: 8, 5: 10, 30: 10, -1: 2} {
		if got := h.tr.cfg.Pacing.dailyLimit(age); got != want {
			t.Errorf("limit on day %d = %d, want %d", age, got, want)
		}
	}
	if got := (Pacing{}).dailyLimit(0); got != 0 {
		t.Errorf("no cap configured: %d", got)
	}
}

func err463() error { return fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 463) }

func TestReachOutTimelock(t *testing.T) {
	h := newHarness(t)
	h.knownChat(t, debtor)
	stranger, other := "+5511977776666", "+5511966665555"
	h.cli.registered[stranger] = types.NewJID("5511977776666", types.DefaultUserServer)
	h.cli.registered[other] = types.NewJID("5511966665555", types.DefaultUserServer)

	h.cli.sendErrs = []error{err463()}
	_, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: stranger, Text: "Olá", Proactive: true})
	if !errors.Is(err, ErrFirstContactPaused) || retryable(err) || !strings.Contains(err.Error(), "2026-11-26 13:00") {
		t.Fatalf("463 on a first contact: %v", err)
	}
	until := h.clock.Now().Add(DefaultTimelockPause)
	st := h.line.linkState()
	if st.State != bot.LinkReachOutTimelock || !st.Until.Equal(until) || !strings.Contains(st.Detail, "replies to existing chats continue") {
		t.Fatalf("state = %+v", st)
	}
	sent, lookups := len(h.cli.sent), len(h.cli.lookups)
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: other, Text: "Olá", Proactive: true}); !errors.Is(err, ErrFirstContactPaused) {
		t.Fatalf("second first contact: %v", err)
	}
	if len(h.cli.sent) != sent || len(h.cli.lookups) != lookups {
		t.Error("a paused first contact reached WhatsApp: no blind retries")
	}
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: "Segue o Pix"}); err != nil {
		t.Fatalf("a reply to an existing chat must still go out: %v", err)
	}
	h.cli.sendErrs = []error{err463()}
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: "Segue o Pix"}); !retryable(err) {
		t.Fatalf("463 in an existing chat: %v, want retryable through the outbox", err)
	}
	rec, _ := h.tr.numbers.load(context.Background(), ownJID.ToNonAD().String(), time.Time{})
	if !rec.TimelockUntil.Equal(until.Truncate(time.Second)) {
		t.Errorf("timelock not persisted (or extended by a reply): %v", rec.TimelockUntil)
	}
	h.clock.Advance(DefaultTimelockPause + time.Second)
	h.line.checkHealth(context.Background(), h.cli)
	if st := h.line.linkState(); st.State != bot.LinkConnected {
		t.Fatalf("after the pause: %+v", st)
	}
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: other, Text: "Olá", Proactive: true}); err != nil {
		t.Fatalf("first contact after the pause: %v", err)
	}
}

func TestFirstContactLookups(t *testing.T) {
	h := newHarness(t)
	oldForm := types.NewJID("551177776666", types.DefaultUserServer)
	h.cli.registered["+551177776666"] = oldForm // registered before the ninth digit
	for i := 0; i < 2; i++ {
		if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: "+5511977776666", Text: "Olá"}); err != nil {
			t.Fatal(err)
		}
	}
	if len(h.cli.lookups) != 1 || strings.Join(h.cli.lookups[0], ",") != "+5511977776666,+551177776666" {
		t.Errorf("lookups = %v; want one, with both forms", h.cli.lookups)
	}
	if h.cli.sent[0].to != oldForm || h.cli.sent[1].to != oldForm {
		t.Errorf("sent to %v", h.cli.sent)
	}
	if r, _ := h.tr.cfg.Routes.Route(context.Background(), "+5511977776666"); r != ownJID.ToNonAD().String() {
		t.Errorf("route after a first contact = %q", r)
	}
	for i := 0; i < 2; i++ {
		_, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: "+5511955554444", Text: "Olá"})
		if !errors.Is(err, ErrNotOnWhatsApp) || retryable(err) {
			t.Fatalf("not on WhatsApp: %v", err)
		}
	}
	if len(h.cli.lookups) != 2 {
		t.Errorf("lookups = %d; a negative answer must be cached too", len(h.cli.lookups))
	}
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: "12", Text: "x"}); err == nil || retryable(err) {
		t.Errorf("invalid number: %v", err)
	}
}

type fakeMedia struct{ err error }

func (f fakeMedia) Fetch(_ context.Context, url string) ([]byte, string, error) {
	if f.err != nil {
		return nil, "", f.err
	}
	return []byte("%PDF-1.4 " + url), "application/pdf", nil
}

func TestSendAttachments(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Media = fakeMedia{} })
	h.knownChat(t, debtor)
	doc := &bot.Media{Type: "document", URL: "/v1/media/INV-1", Filename: "fatura.pdf"}
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: "Segue a fatura", Document: doc}); err != nil {
		t.Fatal(err)
	}
	d := h.cli.sent[0].msg.GetDocumentMessage()
	if len(h.cli.sent) != 1 || d.GetCaption() != "Segue a fatura" || d.GetFileName() != "fatura.pdf" || d.GetMimetype() != "application/pdf" {
		t.Errorf("document = %v", h.cli.sent[0].msg)
	}
	pix := &bot.Media{Type: "image", Data: []byte("\x89PNG\r\n\x1a\n"), Filename: "pix.png"}
	long := strings.Repeat("x", captionLimit+1)
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: long, Document: pix}); err != nil {
		t.Fatal(err)
	}
	if len(h.cli.sent) != 3 || h.cli.sent[1].msg.GetConversation() != long || h.cli.sent[2].msg.GetImageMessage().GetMimetype() != "image/png" {
		t.Errorf("long caption: %v / %v", h.cli.sent[1].msg, h.cli.sent[2].msg)
	}

	h.tr.cfg.Media = fakeMedia{err: bot.Errorf(bot.CodeNotFound, "media not found")}
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Document: doc}); err == nil || retryable(err) {
		t.Errorf("missing media: %v, want permanent", err)
	}
	h.tr.cfg.Media = fakeMedia{err: bot.Retryable(errors.New("timeout"))}
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Document: doc}); !retryable(err) {
		t.Errorf("media fetch timeout: %v, want retryable", err)
	}
}

func TestSendErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		err       error
		retryable bool
		is        error
	}{
		{whatsmeow.ErrNotConnected, true, nil},
		{whatsmeow.ErrMessageTimedOut, true, nil},
		{context.DeadlineExceeded, true, nil},
		{fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 429), true, nil},
		{fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 503), true, nil},
		{fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 400), false, nil},
		{fmt.Errorf("failed to get user info: %w", fmt.Errorf("no LID found for %s from server", debtorJID)), false, ErrNotOnWhatsApp},
		{whatsmeow.ErrRecipientADJID, false, nil},
	} {
		h := newHarness(t)
		h.knownChat(t, debtor)
		h.cli.sendErrs = []error{tc.err}
		_, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: "oi"})
		if err == nil || retryable(err) != tc.retryable || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("%v → %v (retryable %v), want retryable %v", tc.err, err, retryable(err), tc.retryable)
		}
	}
	if got := serverErrorCode(fmt.Errorf("send: %w", err463())); got != 463 {
		t.Errorf("code = %d", got)
	}
}

func TestNotConnectedIsRetryable(t *testing.T) {
	h := newHarness(t)
	h.cli.loggedIn = false
	_, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: "oi"})
	if !errors.Is(err, ErrNotConnected) || !retryable(err) {
		t.Fatalf("err = %v", err)
	}
	h.tr.lines = nil
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: "oi"}); !retryable(err) || !strings.Contains(err.Error(), "scan the QR") {
		t.Fatalf("no number linked: %v", err)
	}
}

func TestDebtorSticksToTheirNumber(t *testing.T) {
	h := newHarness(t)
	secondJID := types.JID{User: "5511955550000", Server: types.DefaultUserServer, Device: 2}
	second := newFakeClient()
	second.own, second.key = secondJID, []byte("second-key")
	l2 := newLine(h.tr, secondJID)
	l2.cli = second
	if err := l2.loadRecord(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.tr.lines = append(h.tr.lines, l2)
	second.handlers = append(second.handlers, func(evt any) bool { return l2.handle(second, evt) })

	// The debtor writes to the second number: replies come from it.
	second.dispatch(dm(debtorJID, "IN1", testStart, &waE2E.Message{Conversation: proto.String("oi")}))
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: "Olá"}); err != nil {
		t.Fatal(err)
	}
	if len(second.sent) != 1 || len(h.cli.sent) != 0 {
		t.Fatalf("sent via first %d, second %d; want the second", len(h.cli.sent), len(second.sent))
	}
	// That number is replaced by a stream elsewhere: the debtor moves on.
	second.dispatch(&events.StreamReplaced{})
	h.cli.registered[debtor] = debtorJID
	if _, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: "Olá"}); err != nil {
		t.Fatal(err)
	}
	if len(h.cli.sent) != 1 {
		t.Fatalf("after the second number stopped: first sent %d", len(h.cli.sent))
	}
	if r, _ := h.tr.cfg.Routes.Route(context.Background(), debtor); r != ownJID.ToNonAD().String() {
		t.Errorf("route = %q", r)
	}
}
