package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store/coord"
)

func TestHealthEvents(t *testing.T) {
	tests := []struct {
		name       string
		evt        any
		wantState  string
		wantDetail string
		wantUntil  time.Duration // after testStart; 0 for none
		wantAction actionKind
		wantAt     time.Duration
	}{
		{"connected", &events.Connected{}, bot.LinkConnected, "Connected", 0, actNone, 0},
		{"disconnected", &events.Disconnected{}, bot.LinkDisconnected, "Retrying automatically", 0, actReconnect, 0},
		{"keep-alive missed once", &events.KeepAliveTimeout{ErrorCount: 1}, bot.LinkConnecting, "", 0, actNone, 0},
		{"keep-alive lost", &events.KeepAliveTimeout{ErrorCount: 3, LastSuccess: testStart.Add(-time.Minute)},
			bot.LinkDisconnected, "keep-alive", 0, actReconnect, 0},
		{"keep-alive restored", &events.KeepAliveRestored{}, bot.LinkConnected, "Connected", 0, actNone, 0},
		{"logged out", &events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureLoggedOut}, bot.LinkLoggedOut,
			"session was deleted", 0, actStop, 0},
		{"stream replaced", &events.StreamReplaced{}, bot.LinkStreamReplaced, "will not reconnect by itself", 0, actStop, 0},
		{"temporary ban", &events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: 2 * time.Hour},
			bot.LinkTemporaryBan, "101: you sent too many messages", 2 * time.Hour, actRetryAt, 2 * time.Hour},
		{"temporary ban without expiry", &events.TemporaryBan{Code: events.TempBanBlockedByUsers}, bot.LinkTemporaryBan,
			"without saying for how long", 0, actRetryAt, time.Hour},
		{"client outdated", &events.ClientOutdated{}, bot.LinkClientOutdated, "Upgrade Quita", 0, actOutdated, 0},
		{"connect failure", &events.ConnectFailure{Reason: events.ConnectFailureServiceUnavailable}, bot.LinkDisconnected,
			"refused the connection", 0, actReconnect, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.cli.dispatch(tc.evt)
			st := h.line.linkState()
			if st.State != tc.wantState || !strings.Contains(st.Detail, tc.wantDetail) {
				t.Errorf("state = %s %q; want %s containing %q", st.State, st.Detail, tc.wantState, tc.wantDetail)
			}
			if st.Number != "+5511999990000" || st.Transport != Name {
				t.Errorf("state names %q on %q", st.Number, st.Transport)
			}
			var wantUntil time.Time
			if tc.wantUntil > 0 {
				wantUntil = testStart.Add(tc.wantUntil)
			}
			if !st.Until.Equal(wantUntil) {
				t.Errorf("until = %v, want %v", st.Until, wantUntil)
			}
			var got action
			select {
			case got = <-h.line.actions:
			default:
			}
			if got.kind != tc.wantAction {
				t.Errorf("action = %v, want %v", got.kind, tc.wantAction)
			}
			if tc.wantAt > 0 && !got.at.Equal(testStart.Add(tc.wantAt)) {
				t.Errorf("retry at %v, want %v", got.at, testStart.Add(tc.wantAt))
			}
			if tc.wantState != bot.LinkConnecting && len(h.sink.Links()) == 0 {
				t.Error("the Sink was not told")
			}
		})
	}
}

func TestLoggedOutStartsPairing(t *testing.T) {
	h := newHarness(t)
	h.cli.dispatch(&events.LoggedOut{Reason: events.ConnectFailureLoggedOut})
	if !h.line.stopped() {
		t.Fatal("a logged-out line must stop")
	}
	links := h.tr.Links()
	if len(links) != 2 || links[1].State != bot.LinkLoggedOut || links[1].Number != "+5511999990000" {
		t.Fatalf("links = %+v, want the pairing line and the logged-out number", links)
	}
}

func TestPhoneOffline(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.PhoneOfflineAfter = 72 * time.Hour })
	h.cli.dispatch(&events.Connected{})
	h.clock.Advance(73 * time.Hour)
	h.line.checkHealth(context.Background(), h.cli)
	st := h.line.linkState()
	if st.State != bot.LinkPhoneOffline || !strings.Contains(st.Detail, "2026-11-25 13:00") {
		t.Fatalf("state = %+v", st)
	}
	// A read receipt from the phone (device 0) is a sign of life.
	h.cli.dispatch(&events.Receipt{MessageSource: types.MessageSource{Chat: debtorJID, Sender: ownJID.ToNonAD(), IsFromMe: true},
		MessageIDs: []string{"X"}, Type: types.ReceiptTypeReadSelf})
	if st := h.line.linkState(); st.State != bot.LinkConnected {
		t.Fatalf("after the phone was seen: %+v", st)
	}
	rec, err := h.tr.numbers.load(context.Background(), ownJID.ToNonAD().String(), h.clock.Now())
	if err != nil || !rec.PhoneSeen.Equal(h.clock.Now().Truncate(time.Second)) {
		t.Errorf("phone seen not persisted: %+v %v", rec, err)
	}
}

// runHarness runs a real supervisor over a fake client whose Connect hook
// plays a script; waits return at once except the periodic tick.
type runHarness struct {
	*harness
	cli   *fakeClient
	l     *line
	ctx   context.Context
	stop  context.CancelFunc
	mu    sync.Mutex
	waits []time.Duration
}

func newRunHarness(t *testing.T, script func(c *fakeClient, n int) error, mods ...func(*Config)) *runHarness {
	h := newHarness(t, mods...)
	r := &runHarness{harness: h, cli: newFakeClient()}
	r.cli.onConnect = script
	h.devs.cli = r.cli
	r.ctx, r.stop = context.WithCancel(context.Background())
	t.Cleanup(r.stop)
	h.tr.after = func(d time.Duration) <-chan time.Time {
		if d == tickEvery {
			return nil
		}
		r.mu.Lock()
		r.waits = append(r.waits, d)
		n := len(r.waits)
		r.mu.Unlock()
		if n > 50 {
			r.stop() // a loop: end it, the test will fail on its counts
		}
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}
	r.l = newLine(h.tr, ownJID)
	return r
}

func (r *runHarness) run(t *testing.T) {
	t.Helper()
	go r.l.run(r.ctx)
	select {
	case <-r.l.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("the line did not stop; connects %d, states %v", r.cli.connectCount(), r.sink.LinkStates())
	}
}

func async(c *fakeClient, evts ...any) {
	go func() {
		for _, e := range evts {
			c.dispatch(e)
		}
	}()
}

func TestNoReconnectLoop(t *testing.T) {
	for name, evt := range map[string]any{"stream replaced": &events.StreamReplaced{},
		"logged out": &events.LoggedOut{Reason: events.ConnectFailureLoggedOut}} {
		t.Run(name, func(t *testing.T) {
			r := newRunHarness(t, func(c *fakeClient, n int) error {
				async(c, &events.Connected{}, evt)
				return nil
			})
			r.run(t)
			if n := r.cli.connectCount(); n != 1 {
				t.Errorf("connected %d times, want 1", n)
			}
			if st := r.l.linkState().State; st == bot.LinkConnected {
				t.Errorf("final state %s", st)
			}
			r.tr.lines = []*line{r.l} // only the stopped line
			r.tr.discover(r.ctx, false)
			if r.tr.lineFor(ownJID.ToNonAD().String()) != nil {
				t.Error("discovery restarted a stopped number")
			}
		})
	}
}

func TestOfflineBacksOffQuietly(t *testing.T) {
	var stop func()
	r := newRunHarness(t, func(c *fakeClient, n int) error {
		if n >= 10 {
			stop()
		}
		return errors.New("dial tcp: lookup web.whatsapp.com: no such host")
	})
	stop = r.stop
	r.run(t)
	want := []time.Duration{2, 4, 8, 16, 32, 64, 128, 256, 300}
	r.mu.Lock()
	waits := r.waits
	r.mu.Unlock()
	for i, w := range want {
		if i >= len(waits) || waits[i] != w*time.Second {
			t.Fatalf("waits = %v, want doubling from 2s capped at 5m", waits)
		}
	}
	if states := r.sink.LinkStates(); len(r.sink.Links()) != 1 || states[0] != bot.LinkDisconnected {
		t.Errorf("links = %+v; want one disconnected report for the whole streak", r.sink.Links())
	}
	if !strings.Contains(r.l.linkState().Detail, "no such host") {
		t.Errorf("detail = %q", r.l.linkState().Detail)
	}
}

func TestReconnectAfterDisconnect(t *testing.T) {
	r := newRunHarness(t, nil)
	r.cli.onConnect = func(c *fakeClient, n int) error {
		if n == 1 {
			async(c, &events.Connected{}, &events.Disconnected{})
		} else {
			async(c, &events.Connected{}, &events.StreamReplaced{})
		}
		return nil
	}
	r.run(t)
	if n := r.cli.connectCount(); n != 2 {
		t.Fatalf("connects = %d, want 2", n)
	}
	// A retry does not flap through connecting: disconnected holds until the
	// next success.
	want := []string{bot.LinkConnected, bot.LinkDisconnected, bot.LinkConnected, bot.LinkStreamReplaced}
	if got := r.sink.LinkStates(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("states = %v, want %v", got, want)
	}
}

func TestBanWaitsThenReconnectsOnce(t *testing.T) {
	r := newRunHarness(t, func(c *fakeClient, n int) error {
		if n == 1 {
			async(c, &events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: 6 * time.Hour})
		} else {
			async(c, &events.StreamReplaced{})
		}
		return nil
	})
	r.run(t)
	if r.cli.connectCount() != 2 || len(r.waits) == 0 || r.waits[0] != 6*time.Hour {
		t.Errorf("connects %d, waits %v; want one reconnect after 6h", r.cli.connectCount(), r.waits)
	}
}

func TestClientOutdatedTriesOneNewerVersion(t *testing.T) {
	r := newRunHarness(t, func(c *fakeClient, n int) error {
		async(c, &events.ClientOutdated{})
		return nil
	})
	fetches := 0
	r.tr.fetchVersion = func(context.Context) (bool, error) { fetches++; return fetches == 2, nil }
	r.run(t)
	if r.cli.connectCount() != 2 {
		t.Errorf("connects = %d, want 2 (one retry with the newer version)", r.cli.connectCount())
	}
	if st := r.l.linkState(); st.State != bot.LinkClientOutdated || !r.l.stopped() {
		t.Errorf("final state %+v", st)
	}
}

func TestStandbyWhileAnotherInstanceHoldsTheNumber(t *testing.T) {
	c := coord.NewMemory()
	defer c.Close()
	other, err := c.TryLock(context.Background(), "quita:whatsapp:5511999990000", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	r := newRunHarness(t, func(c *fakeClient, n int) error {
		async(c, &events.Connected{}, &events.StreamReplaced{})
		return nil
	}, func(cfg *Config) { cfg.Coord = c })
	released := false
	r.tr.after = func(d time.Duration) <-chan time.Time {
		if d == leaseRetry && !released {
			if st := r.l.linkState(); st.State != bot.LinkStandby || r.cli.connectCount() != 0 {
				t.Errorf("while held elsewhere: state %s, connects %d", st.State, r.cli.connectCount())
			}
			released = true
			_ = other.Release(context.Background())
		}
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}
	r.run(t)
	if !released || r.cli.connectCount() != 1 {
		t.Errorf("released %v, connects %d", released, r.cli.connectCount())
	}
	if _, err := c.TryLock(context.Background(), "quita:whatsapp:5511999990000", time.Minute); err != nil {
		t.Errorf("the stopped line kept its lease: %v", err)
	}
}

func TestPairingByQRAndPhoneCode(t *testing.T) {
	var term bytes.Buffer
	h := newHarness(t, func(c *Config) { c.Terminal = &term })
	cli := newFakeClient()
	cli.own = types.EmptyJID
	p := newLine(h.tr, types.EmptyJID)
	h.tr.lines = append(h.tr.lines, p)
	p.cli = cli
	cli.handlers = append(cli.handlers, func(evt any) bool { return p.handle(cli, evt) })

	cli.dispatch(&events.QR{Codes: []string{"2@first-code", "2@second-code"}})
	printed := func() string {
		h.tr.termMu.Lock()
		defer h.tr.termMu.Unlock()
		return term.String()
	}
	deadline := time.Now().Add(2 * time.Second)
	for printed() == "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := p.linkState(); st.QR != "2@first-code" || !strings.Contains(st.Detail, "Linked devices") {
		t.Fatalf("state = %+v", st)
	}
	if out := printed(); !strings.Contains(out, "scan this QR") || !strings.Contains(out, "█") {
		t.Errorf("terminal got %q", printed())
	}

	code, err := h.tr.PairPhone(context.Background(), "(11) 98888-7777")
	if err != nil || code != "ABCD-EFGH" {
		t.Fatalf("PairPhone = %q, %v", code, err)
	}
	if strings.Join(cli.pairCodes, ",") != "5511988887777,551188887777" {
		t.Errorf("tried %v; want the canonical form, then the one without the ninth digit", cli.pairCodes)
	}
	if st := p.linkState(); st.PairCode != code || !strings.Contains(st.Detail, code) {
		t.Errorf("state = %+v", st)
	}
	if _, err := h.tr.PairPhone(context.Background(), "12"); bot.ErrorCodeOf(err) != bot.CodeInvalid {
		t.Errorf("bad phone: %v", err)
	}

	paired := types.JID{User: "5511977776666", Server: types.DefaultUserServer, Device: 7}
	cli.dispatch(&events.PairSuccess{ID: paired})
	if p.device() != "5511977776666@s.whatsapp.net" || p.linkState().Number != "+5511977776666" || p.linkState().QR != "" {
		t.Errorf("after pairing: device %q, state %+v", p.device(), p.linkState())
	}
	if _, err := h.tr.numbers.load(context.Background(), "5511977776666@s.whatsapp.net", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if rec := p.rec; !rec.LinkedAt.Equal(testStart) {
		t.Errorf("linked at %v, want the pairing time", rec.LinkedAt)
	}
}
