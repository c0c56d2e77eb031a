package whatsapp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store/coord"
)

// eventually polls cond for up to two seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The engine leases an outbox item for a minute: a Send must end well
// inside it instead of sleeping through pacing or waiting 75 s (whatsmeow's
// default) for the server.
func TestSendStaysInsideOutboxLease(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Pacing.MinDelay, c.Pacing.MaxDelay = 40*time.Second, 40*time.Second })
	h.knownChat(t, debtor)
	ctx := context.Background()
	if _, err := h.tr.Send(ctx, bot.OutboundMessage{To: debtor, Text: "oi"}); err != nil {
		t.Fatal(err)
	}
	if len(h.cli.timeouts) != 1 || h.cli.timeouts[0] != messageTimeout || messageTimeout <= 0 {
		t.Errorf("SendMessage timeouts = %v, want %v", h.cli.timeouts, messageTimeout)
	}
	sent, presences := len(h.cli.sent), len(h.cli.presences)
	_, err := h.tr.Send(ctx, bot.OutboundMessage{To: debtor, Text: "oi"})
	if !errors.Is(err, ErrPaced) || !retryable(err) {
		t.Fatalf("a send 40 s of pacing away: %v, want retryable ErrPaced", err)
	}
	if len(h.cli.sent) != sent || len(h.cli.presences) != presences {
		t.Error("a refused send showed typing or went out")
	}

	// Another send holds the number: this one gives up within its budget.
	defer func(b time.Duration) { sendBudget = b }(sendBudget)
	sendBudget = 50 * time.Millisecond
	h.line.sendSem <- struct{}{}
	start := time.Now()
	_, err = h.tr.Send(ctx, bot.OutboundMessage{To: debtor, Text: "x"})
	<-h.line.sendSem
	if !errors.Is(err, ErrPaced) || !retryable(err) || time.Since(start) > 5*time.Second {
		t.Errorf("waiting for a busy number: %v after %v", err, time.Since(start))
	}
}

// The outbox repeats a message whose lease ran out or whose second part
// failed; what already went out must not go out again.
func TestOutboxRetrySendsNothingTwice(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Media = fakeMedia{} })
	h.knownChat(t, debtor)
	ctx := context.Background()
	msg := bot.OutboundMessage{ID: "out_7", To: debtor, Text: strings.Repeat("x", captionLimit+1),
		Document: &bot.Media{Type: "document", URL: "/v1/media/INV-7", Filename: "fatura.pdf"}}
	h.cli.sendErrs = []error{nil, whatsmeow.ErrNotConnected}
	if _, err := h.tr.Send(ctx, msg); !retryable(err) {
		t.Fatalf("document part failed: %v, want retryable", err)
	}
	if len(h.cli.sent) != 1 {
		t.Fatalf("sent %d", len(h.cli.sent))
	}
	if id := h.cli.sent[0].id; id != messageIDFor(h.cli.key, "out_7#0") || !isOwnMessageID(h.cli.key, id) {
		t.Errorf("id %q is not derived from the outbox id, or not recognised as ours", id)
	}
	id, err := h.tr.Send(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.cli.sent) != 2 || h.cli.sent[1].msg.GetDocumentMessage() == nil || id != h.cli.sent[1].id {
		t.Fatalf("retry sent %d messages (%v); want only the document", len(h.cli.sent), h.cli.sent)
	}
	again, err := h.tr.Send(ctx, msg)
	if err != nil || again != id || len(h.cli.sent) != 2 {
		t.Errorf("repeat of a sent item: %q, %v, %d sent; want the same id and nothing sent", again, err, len(h.cli.sent))
	}
}

type downLock struct{}

func (downLock) Refresh(context.Context, time.Duration) error {
	return errors.New("redis: connection refused")
}
func (downLock) Release(context.Context) error { return nil }

func TestLostLeaseStopsSending(t *testing.T) {
	c := coord.NewMemory()
	defer c.Close()
	h := newHarness(t, func(cfg *Config) { cfg.Coord = c })
	h.knownChat(t, debtor)
	ctx := context.Background()
	if ok, err := h.line.acquire(ctx); !ok || err != nil {
		t.Fatalf("acquire = %v, %v", ok, err)
	}
	if _, err := h.tr.Send(ctx, bot.OutboundMessage{To: debtor, Text: "oi"}); err != nil {
		t.Fatal(err)
	}
	// The lease was not confirmed for longer than is safe: another
	// instance may take the number any moment.
	h.line.mu.Lock()
	h.line.lockFresh = time.Now().Add(-leaseSafe())
	h.line.mu.Unlock()
	if _, err := h.tr.Send(ctx, bot.OutboundMessage{To: debtor, Text: "oi"}); !errors.Is(err, ErrNotConnected) || !retryable(err) {
		t.Fatalf("send without a confirmed lease: %v", err)
	}
	if len(h.cli.sent) != 1 {
		t.Error("a line without its lease sent")
	}

	// A coordinator that stops answering is tolerated only while the lease
	// is surely still ours, so the session closes before the TTL runs out.
	real := h.line.lock
	h.line.mu.Lock()
	h.line.lock, h.line.lockFresh = downLock{}, time.Now().Add(-time.Second)
	h.line.mu.Unlock()
	if !h.line.refreshLease(ctx) {
		t.Error("a brief coordinator outage ended the session")
	}
	h.line.mu.Lock()
	h.line.lockFresh = time.Now().Add(-leaseSafe())
	h.line.mu.Unlock()
	if h.line.refreshLease(ctx) {
		t.Errorf("kept the session %v after the last confirmation of a %v lease", leaseSafe(), leaseTTL)
	}
	h.line.mu.Lock()
	h.line.lock = real
	h.line.mu.Unlock()

	// A pairing that turns out to be a number another instance serves must
	// not keep its connection on the pairing lease.
	p := newLine(h.tr, types.EmptyJID)
	if ok, err := p.acquire(ctx); !ok || err != nil {
		t.Fatalf("pairing acquire = %v, %v", ok, err)
	}
	p.mu.Lock()
	p.jid = ownJID
	p.mu.Unlock()
	if p.refreshLease(ctx) {
		t.Error("a freshly paired number held elsewhere kept its session")
	}
}

// A stream replaced by the instance that took over the lease is a
// hand-over: this line stands by, ready to take the number back.
func TestStreamReplacedAfterHandOverStandsBy(t *testing.T) {
	c := coord.NewMemory()
	defer c.Close()
	key := "quita:whatsapp:" + ownJID.User
	var r *runHarness
	r = newRunHarness(t, func(fc *fakeClient, n int) error {
		if n != 1 {
			return nil
		}
		go func() {
			fc.dispatch(&events.Connected{})
			r.l.mu.Lock()
			lk := r.l.lock
			r.l.mu.Unlock()
			_ = lk.Release(context.Background()) // our lease lapsed…
			if _, err := c.TryLock(context.Background(), key, time.Minute); err != nil {
				t.Error(err) // …and another instance took it
			}
			fc.dispatch(&events.StreamReplaced{})
		}()
		return nil
	}, func(cfg *Config) { cfg.Coord = c })
	r.run(t)
	if r.l.stopped() || r.l.linkState().State != bot.LinkStandby {
		t.Errorf("stopped %v, state %+v; want standby", r.l.stopped(), r.l.linkState())
	}
	if n := r.cli.connectCount(); n != 1 {
		t.Errorf("connects = %d; the held number must not be fought", n)
	}
}

func TestNoLinkReportsAfterClose(t *testing.T) {
	h := newHarness(t)
	if err := h.tr.Close(); err != nil {
		t.Fatal(err)
	}
	n := len(h.sink.Links())
	h.line.setState(bot.LinkDisconnected, "late", time.Time{})
	h.cli.dispatch(&events.QR{Codes: []string{"2@late"}})
	time.Sleep(20 * time.Millisecond)
	if links := h.sink.Links(); len(links) != n {
		t.Errorf("the Sink heard %v after Close (the composition root closes it then)", links[n:])
	}
}

// whatsmeow's QR channel disconnects once the codes of a round run out;
// without it the console would keep showing a dead QR and pairing code.
func TestQRRoundEndsWithNewSession(t *testing.T) {
	h := newHarness(t)
	h.tr.after = func(time.Duration) <-chan time.Time {
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}
	cli := newFakeClient()
	cli.own = types.EmptyJID
	p := newLine(h.tr, types.EmptyJID)
	h.tr.lines = append(h.tr.lines, p)
	p.cli = cli
	cli.handlers = append(cli.handlers, func(evt any) bool { return p.handle(cli, evt) })
	p.pairCodeIssued(debtor, "ABCD-EFGH")
	cli.dispatch(&events.QR{Codes: []string{"2@a", "2@b"}})
	select {
	case a := <-p.actions:
		if a.kind != actRetryAt {
			t.Errorf("action = %v, want a new session", a.kind)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the session outlived its QR codes")
	}
	if st := p.linkState(); st.QR != "" || st.PairCode != "" || !strings.Contains(st.Detail, "expired") {
		t.Errorf("state = %+v; want no stale QR or code", st)
	}
}

// A chat the bot opened cold, never answered, is still a first contact
// during a 463 pause.
func TestColdChatStaysColdDuringTimelock(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	stranger, other := "+5511977776666", "+5511966665555"
	strangerJID := types.NewJID("5511977776666", types.DefaultUserServer)
	h.cli.registered[stranger] = strangerJID
	h.cli.registered[other] = types.NewJID("5511966665555", types.DefaultUserServer)
	if _, err := h.tr.Send(ctx, bot.OutboundMessage{To: stranger, Text: "Olá", Proactive: true}); err != nil {
		t.Fatal(err)
	}
	h.cli.sendErrs = []error{err463()}
	if _, err := h.tr.Send(ctx, bot.OutboundMessage{To: other, Text: "Olá", Proactive: true}); !errors.Is(err, ErrFirstContactPaused) {
		t.Fatalf("463: %v", err)
	}
	sent := len(h.cli.sent)
	_, err := h.tr.Send(ctx, bot.OutboundMessage{To: stranger, Text: "Lembrete", Proactive: true})
	if !errors.Is(err, ErrFirstContactPaused) || retryable(err) || len(h.cli.sent) != sent {
		t.Fatalf("reminder to an unanswered cold chat during the pause: %v (sent %d)", err, len(h.cli.sent)-sent)
	}
	h.cli.dispatch(dm(strangerJID, "IN9", testStart, &waE2E.Message{Conversation: proto.String("quem é?")}))
	if _, err := h.tr.Send(ctx, bot.OutboundMessage{To: stranger, Text: "Lembrete", Proactive: true}); err != nil {
		t.Fatalf("once the debtor wrote, the chat exists: %v", err)
	}
}

// With several numbers, every line gets a 405 for the same stale version;
// the first one's refresh must not leave the others stopped.
func TestClientOutdatedWithSeveralNumbers(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	version, fetches := "2.3000.1", 0
	h.tr.waVersion = func() string { return version }
	h.tr.fetchVersion = func(context.Context) (bool, error) { fetches++; version = "2.3000.2"; return true, nil }
	if !h.tr.retryOutdated(ctx, "2.3000.1") {
		t.Error("first 405: a newer version was installed, retry")
	}
	if !h.tr.retryOutdated(ctx, "2.3000.1") || fetches != 1 {
		t.Errorf("second number on the old version: retry without another fetch (fetches %d)", fetches)
	}
	h.tr.fetchVersion = func(context.Context) (bool, error) { fetches++; return false, nil }
	if h.tr.retryOutdated(ctx, "2.3000.2") || h.tr.retryOutdated(ctx, "2.3000.2") || fetches != 2 {
		t.Errorf("405 on the newest version must stop after one refresh (fetches %d)", fetches)
	}
}

// A receipt may beat Send's return (and the outbox's record of the id);
// it is reported again a little later so the status is not lost.
func TestReceiptBeforeSendReturnsIsReplayed(t *testing.T) {
	h := newHarness(t)
	h.knownChat(t, debtor)
	fired := make(chan time.Time, 1)
	h.tr.after = func(d time.Duration) <-chan time.Time {
		if d == replayAfter {
			return fired
		}
		return nil
	}
	id, err := h.tr.Send(context.Background(), bot.OutboundMessage{To: debtor, Text: "oi"})
	if err != nil {
		t.Fatal(err)
	}
	h.cli.dispatch(&events.Receipt{MessageSource: types.MessageSource{Chat: debtorJID, Sender: debtorJID},
		MessageIDs: []string{id}, Type: types.ReceiptTypeDelivered, Timestamp: testStart})
	if len(h.sink.Reports()) != 1 {
		t.Fatalf("reports = %d", len(h.sink.Reports()))
	}
	fired <- time.Time{}
	eventually(t, "the replayed report", func() bool { return len(h.sink.Reports()) == 2 })
	if old := newMessageID(h.cli.key); h.tr.isRecent(old) {
		t.Error("an id this process did not send counts as recent")
	}
}

func TestReceiptNotStoredAsksForRedelivery(t *testing.T) {
	h := newHarness(t)
	h.sink.Fail = errors.New("db down")
	if h.cli.dispatch(&events.Receipt{MessageSource: types.MessageSource{Chat: debtorJID, Sender: debtorJID},
		MessageIDs: []string{newMessageID(h.cli.key)}, Type: types.ReceiptTypeRead}) {
		t.Fatal("acknowledged")
	}
	select {
	case a := <-h.line.actions:
		if a.kind != actReconnect {
			t.Errorf("action = %v", a.kind)
		}
	default:
		t.Error("no reconnect: WhatsApp redelivers an unacknowledged receipt only on a new connection")
	}
}

func TestDiscoveryWhilePairing(t *testing.T) {
	h := newHarness(t)
	h.tr.after = func(time.Duration) <-chan time.Time { return nil }
	ctx := context.Background()
	elsewhere := types.JID{User: "5511955550000", Server: types.DefaultUserServer, Device: 4}
	mine := types.JID{User: "5511944440000", Server: types.DefaultUserServer, Device: 9}
	p := newLine(h.tr, types.EmptyJID)
	p.cli = newFakeClient()
	h.tr.lines = []*line{p}
	h.devs.jids = []types.JID{elsewhere}
	h.tr.discover(ctx, false)
	if h.tr.hasLine(elsewhere) {
		t.Error("a device that appeared during pairing got a line before the pairing could adopt it")
	}
	h.tr.discover(ctx, false)
	if !h.tr.hasLine(elsewhere) {
		t.Error("a number paired on another instance is never watched while this one pairs")
	}
	h.devs.jids = append(h.devs.jids, mine)
	h.tr.discover(ctx, false)
	p.mu.Lock()
	p.jid = mine // PairSuccess
	p.mu.Unlock()
	h.tr.discover(ctx, false)
	n := 0
	for _, l := range h.tr.snapshot() {
		if l.device() == mine.ToNonAD().String() {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d lines for the number just paired, want 1", n)
	}
}

// After a restart the form (with or without the ninth digit) a known
// debtor wrote from is forgotten; guessing the canonical one would write
// to nobody.
func TestKnownChatWithUnknownNinthDigitForm(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.tr.cfg.Routes.SetRoute(ctx, debtor, ownJID.ToNonAD().String()); err != nil {
		t.Fatal(err)
	}
	oldForm := types.NewJID("551188887777", types.DefaultUserServer)
	h.cli.registered["+551188887777"] = oldForm
	for i := 0; i < 2; i++ {
		if _, err := h.tr.Send(ctx, bot.OutboundMessage{To: debtor, Text: "oi"}); err != nil {
			t.Fatal(err)
		}
	}
	if h.cli.sent[0].to != oldForm || h.cli.sent[1].to != oldForm || len(h.cli.lookups) != 1 {
		t.Errorf("sent to %v / %v with %d lookups; want the registered form, one cached lookup",
			h.cli.sent[0].to, h.cli.sent[1].to, len(h.cli.lookups))
	}
}

func TestBannedLogoutSaysSo(t *testing.T) {
	h := newHarness(t)
	h.cli.dispatch(&events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureUnknownLogout})
	if st := h.line.linkState(); st.State != bot.LinkLoggedOut || !strings.Contains(st.Detail, "banned") {
		t.Errorf("state = %+v", st)
	}
}
