package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/types"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// line is one linked number (or a device being paired) and the goroutine
// that keeps it connected. Its client is replaced on every connection so a
// line that takes over from another instance reads fresh state.
type line struct {
	t       *Transport
	actions chan action
	done    chan struct{}

	mu          sync.Mutex
	jid         types.JID // device JID; empty while pairing
	cli         client    // the current session's client, nil between sessions
	state       bot.LinkState
	changed     chan struct{} // closed and replaced on every state change
	rec         numberRecord
	recLoaded   bool
	heard       map[string]bool // debtors who wrote to this number: existing chats
	connectedAt time.Time
	dead        bool
	dlFailures  map[string]int
	version     string // the WhatsApp Web version of the session's Connect

	lock      bot.Lock
	lockKey   string
	lockFresh time.Time // wall time of the last confirmed lease: Redis TTLs are wall time

	sendSem  chan struct{} // one send at a time per number, for pacing; waits honour ctx
	lastSend time.Time
}

type actionKind int

const (
	actNone      actionKind = iota
	actReconnect            // end the session, reconnect after the backoff
	actRetryAt              // end the session, reconnect at a given time (ban expiry)
	actStop                 // end the line for good
	actOutdated             // 405: try a newer version once, else stop
	actReplaced             // stream replaced: stand by if the lease moved, else stop
)

type action struct {
	kind  actionKind
	at    time.Time
	reset bool // the connection had been stable: start the backoff over
}

func newLine(t *Transport, jid types.JID) *line {
	l := &line{t: t, jid: jid, actions: make(chan action, 16), done: make(chan struct{}),
		changed: make(chan struct{}), heard: map[string]bool{}, dlFailures: map[string]int{}, sendSem: make(chan struct{}, 1)}
	l.state = bot.LinkState{Transport: Name, State: bot.LinkConnecting, Detail: detailConnecting, Since: t.cfg.Clock.Now()}
	if !jid.IsEmpty() {
		l.state.Number, _ = phone.FromJID(jid.ToNonAD().String())
	}
	return l
}

// device is the linked number's JID without device part, "" while pairing.
func (l *line) device() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.jid.IsEmpty() {
		return ""
	}
	return l.jid.ToNonAD().String()
}

func (l *line) pairing() bool { return l.device() == "" }

func (l *line) stopped() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dead
}

func (l *line) logger() *slog.Logger {
	return l.t.log.With("number", phone.Mask(l.linkState().Number))
}

func (l *line) linkState() bot.LinkState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

func (l *line) client() client {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cli
}

func (l *line) isCurrent(cli client) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cli == cli && cli != nil
}

// setState records a health change, tells the Sink and logs it once: a
// retry that finds the same state changes nothing and logs nothing.
func (l *line) setState(state, detail string, until time.Time) {
	l.update(func(s *bot.LinkState) {
		s.State, s.Detail, s.Until = state, detail, until
		if state != bot.LinkQRNeeded {
			s.QR, s.PairCode = "", ""
		}
	})
}

func (l *line) update(change func(*bot.LinkState)) {
	l.mu.Lock()
	old := l.state
	next := old
	change(&next)
	next.Transport = Name
	if !l.jid.IsEmpty() {
		next.Number, _ = phone.FromJID(l.jid.ToNonAD().String())
	}
	if next == old {
		l.mu.Unlock()
		return
	}
	if next.State != old.State {
		next.Since = l.t.cfg.Clock.Now()
	}
	l.state = next
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	l.t.link(next)
	if next.State != old.State {
		level := slog.LevelInfo
		if !next.Healthy() && next.State != bot.LinkConnecting && next.State != bot.LinkQRNeeded {
			level = slog.LevelWarn
		}
		number := "pairing"
		if next.Number != "" {
			number = phone.Mask(next.Number)
		}
		l.t.log.Log(context.Background(), level, "whatsapp link "+next.State, "number", number, "detail", next.Detail)
	}
}

// post hands an action to the supervisor without blocking an event handler.
func (l *line) post(a action) {
	select {
	case l.actions <- a:
	default:
		l.logger().Warn("whatsapp supervisor busy; action dropped", "action", int(a.kind))
	}
}

// run keeps the line connected until ctx ends or a permanent condition
// stops it. Waits between attempts double up to maxBackoff.
func (l *line) run(ctx context.Context) {
	defer close(l.done)
	backoff := minBackoff
	for ctx.Err() == nil {
		ok, err := l.acquire(ctx)
		if !ok {
			if err != nil {
				l.setState(bot.LinkDisconnected, fmt.Sprintf(detailNoCoordinator, errorSummary(err)), time.Time{})
			} else {
				l.setState(bot.LinkStandby, detailStandby, time.Time{})
			}
			if !l.t.wait(ctx, leaseRetry) {
				return
			}
			continue
		}
		act := l.session(ctx)
		l.release()
		switch act.kind {
		case actStop:
			return
		case actRetryAt:
			backoff = minBackoff
			if !l.t.wait(ctx, act.at.Sub(l.t.cfg.Clock.Now())) {
				return
			}
		default:
			if act.reset {
				backoff = minBackoff
			}
			if !l.t.wait(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

// session runs one connection: a fresh client, Connect, then supervision
// until something ends it.
func (l *line) session(ctx context.Context) action {
	for len(l.actions) > 0 { // actions of an earlier session are stale
		<-l.actions
	}
	l.mu.Lock()
	jid := l.jid
	l.mu.Unlock()
	cli, err := l.t.devs.Client(ctx, jid)
	if err != nil {
		l.disconnected(err)
		return action{kind: actReconnect}
	}
	if cli == nil {
		l.stop(bot.LinkLoggedOut, detailSessionGone)
		return action{kind: actStop}
	}
	cli.AddEventHandlerWithSuccessStatus(func(evt any) bool { return l.handle(cli, evt) })
	l.mu.Lock()
	l.cli, l.connectedAt = cli, time.Time{}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.cli = nil
		l.mu.Unlock()
	}()
	if !jid.IsEmpty() {
		if err := l.loadRecord(ctx); err != nil {
			l.disconnected(err)
			return action{kind: actReconnect}
		}
	}
	if jid.IsEmpty() {
		// A pairing code and a QR belong to the connection that asked for
		// them: a new session makes both stale.
		l.update(func(s *bot.LinkState) { s.QR, s.PairCode = "", "" })
	}
	if st := l.linkState().State; st != bot.LinkQRNeeded && st != bot.LinkDisconnected {
		l.setState(bot.LinkConnecting, detailConnecting, time.Time{})
	}
	l.t.refreshVersion(ctx)
	l.t.versionMu.RLock()
	version := l.t.waVersion()
	err = cli.Connect()
	l.t.versionMu.RUnlock()
	l.mu.Lock()
	l.version = version
	l.mu.Unlock()
	if err != nil {
		l.disconnected(err)
		return action{kind: actReconnect}
	}
	act := l.supervise(ctx, cli)
	cli.Disconnect()
	l.mu.Lock()
	stable := !l.connectedAt.IsZero() && l.t.cfg.Clock.Now().Sub(l.connectedAt) >= stableAfter
	l.mu.Unlock()
	if act.kind == actReconnect && stable {
		act.reset = true
	}
	return act
}

// supervise waits for the session to end, refreshing the lease and
// checking the phone and the timelock on every tick.
func (l *line) supervise(ctx context.Context, cli client) action {
	tick := l.t.after(tickEvery)
	for {
		select {
		case <-ctx.Done():
			return action{kind: actStop}
		case a := <-l.actions:
			switch a.kind {
			case actNone:
			case actOutdated:
				l.mu.Lock()
				used := l.version
				l.mu.Unlock()
				if l.t.retryOutdated(ctx, used) {
					return action{kind: actReconnect}
				}
				l.stop(bot.LinkClientOutdated, detailOutdated)
				return action{kind: actStop}
			case actReplaced:
				// With a coordinator, a replaced stream is usually the hand-over
				// to the instance that took the lease: stand by to take it back
				// if that instance stops. Only a replacement while this
				// instance still holds the lease is a client outside the
				// coordination, which must not be fought.
				if l.t.cfg.Coord != nil && !l.holdsLease(ctx) {
					l.setState(bot.LinkStandby, detailLeaseLost, time.Time{})
					return action{kind: actReconnect}
				}
				l.stop(bot.LinkStreamReplaced, detailReplaced)
				return action{kind: actStop}
			default:
				return a
			}
		case <-tick:
			tick = l.t.after(tickEvery)
			if !l.refreshLease(ctx) {
				l.setState(bot.LinkStandby, detailLeaseLost, time.Time{})
				return action{kind: actReconnect}
			}
			l.checkHealth(ctx, cli)
		}
	}
}

// disconnected reports a failed attempt. Only the first failure of a
// streak changes the state, so retries do not spam the Sink or the log.
func (l *line) disconnected(err error) {
	st := l.linkState().State
	if st == bot.LinkDisconnected || st == bot.LinkQRNeeded {
		return
	}
	l.setState(bot.LinkDisconnected, fmt.Sprintf(detailDisconnected, errorSummary(err)), time.Time{})
}

// stop ends the line for good with a final state.
func (l *line) stop(state, detail string) {
	l.setState(state, detail, time.Time{})
	l.mu.Lock()
	l.dead = true
	l.mu.Unlock()
}

func (l *line) leaseKey() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.jid.IsEmpty() {
		return "quita:whatsapp:pairing"
	}
	return "quita:whatsapp:" + l.jid.User
}

// acquire takes the number's lease; false with a nil error means another
// instance holds it.
func (l *line) acquire(ctx context.Context) (bool, error) {
	coord := l.t.cfg.Coord
	if coord == nil {
		return true, nil
	}
	key := l.leaseKey()
	lk, err := coord.TryLock(ctx, key, leaseTTL)
	if errors.Is(err, bot.ErrLockHeld) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	l.mu.Lock()
	l.lock, l.lockKey, l.lockFresh = lk, key, time.Now()
	l.mu.Unlock()
	return true, nil
}

// leaseSafe is how long after its last confirmation the lease is still
// trusted: two ticks short of its TTL, so the session is closed before
// another instance can take the number and both connect.
func leaseSafe() time.Duration {
	return max(leaseTTL-2*tickEvery, leaseTTL/2)
}

// leaseHeld reports whether this line may use the number's connection now
// (send, or keep the session): the lease was confirmed recently enough and
// is the number's own, not the pairing one. Without a coordinator it is
// always true.
func (l *line) leaseHeld() bool {
	if l.t.cfg.Coord == nil {
		return true
	}
	want := l.leaseKey()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lock != nil && l.lockKey == want && time.Since(l.lockFresh) < leaseSafe()
}

// holdsLease asks the coordinator whether the number's lease is still ours.
func (l *line) holdsLease(ctx context.Context) bool {
	l.mu.Lock()
	lk, key := l.lock, l.lockKey
	l.mu.Unlock()
	if lk == nil || key != l.leaseKey() {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := lk.Refresh(ctx, leaseTTL); err != nil {
		return false
	}
	l.mu.Lock()
	l.lockFresh = time.Now()
	l.mu.Unlock()
	return true
}

// refreshLease extends the lease, moving it to the number's key once a
// pairing completes. A coordinator that does not answer is tolerated only
// while the lease is surely still ours (leaseSafe); a lease another
// instance took, or a number another instance already holds, ends the
// session.
func (l *line) refreshLease(ctx context.Context) bool {
	coord := l.t.cfg.Coord
	if coord == nil {
		return true
	}
	l.mu.Lock()
	lk, key := l.lock, l.lockKey
	l.mu.Unlock()
	if lk == nil {
		return false
	}
	if want := l.leaseKey(); want != key {
		nl, err := coord.TryLock(ctx, want, leaseTTL)
		switch {
		case err == nil:
			_ = lk.Release(ctx)
			l.mu.Lock()
			l.lock, l.lockKey, l.lockFresh = nl, want, time.Now()
			l.mu.Unlock()
			return true
		case errors.Is(err, bot.ErrLockHeld):
			// The number just paired is already served elsewhere.
			return false
		}
		// The coordinator did not answer: keep the pairing lease for now.
	}
	err := lk.Refresh(ctx, leaseTTL)
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil:
		l.lockFresh = now
		return true
	case errors.Is(err, bot.ErrLockHeld):
		return false
	default:
		return now.Sub(l.lockFresh) < leaseSafe()
	}
}

func (l *line) release() {
	l.mu.Lock()
	lk := l.lock
	l.lock, l.lockKey = nil, ""
	l.mu.Unlock()
	if lk != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = lk.Release(ctx)
	}
}

// waitForQR waits until the pairing session shows a QR (the socket is up
// and can ask for a phone code) and returns its client.
func (l *line) waitForQR(ctx context.Context, limit time.Duration) (client, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		l.mu.Lock()
		cli, st, ch := l.cli, l.state.State, l.changed
		l.mu.Unlock()
		if cli != nil && st == bot.LinkQRNeeded {
			return cli, nil
		}
		if st == bot.LinkStandby {
			return nil, bot.Errorf(bot.CodeConflict, "whatsapp: another Quita instance is pairing a number; pair there or wait until it is done")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, bot.Errorf(bot.CodeUnavailable,
				"whatsapp: no pairing session is ready (state %s); check the server's network and try again", st)
		}
	}
}

func (l *line) pairCodeIssued(number, code string) {
	l.update(func(s *bot.LinkState) {
		s.PairCode = code
		s.Detail = fmt.Sprintf(detailPairCode, code, phone.Mask(number))
	})
}
