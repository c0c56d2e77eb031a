package whatsapp

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"sort"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	wastore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// Timings of the supervisors. They are variables only so tests can shrink
// them; nothing else changes them.
var (
	minBackoff     = 2 * time.Second
	maxBackoff     = 5 * time.Minute
	leaseTTL       = 30 * time.Second
	leaseRetry     = 30 * time.Second
	tickEvery      = 10 * time.Second
	discoverEvery  = time.Minute
	versionRetry   = 30 * time.Minute
	stableAfter    = time.Minute
	pairWait       = 30 * time.Second
	lookupTTL      = 24 * time.Hour
	receiveTimeout = 30 * time.Second
)

// The transport is what the engine sends through and what the console
// asks about links (web.Linker, whose package may not be imported here).
var (
	_ bot.Transport = (*Transport)(nil)
	_ interface {
		Links() []bot.LinkState
		PairPhone(ctx context.Context, phone string) (string, error)
	} = (*Transport)(nil)
)

// Transport is the whatsmeow transport: bot.Transport for sending and
// web.Linker for link health and pairing. Create it with New, then Start.
type Transport struct {
	cfg     Config
	log     *slog.Logger
	devs    devices
	numbers numberStore

	// Injected so tests run without waiting or a network.
	sleep        func(ctx context.Context, d time.Duration) error
	after        func(d time.Duration) <-chan time.Time
	jitter       func() float64
	fetchVersion func(ctx context.Context) (changed bool, err error)
	waVersion    func() string

	mu      sync.Mutex
	lines   []*line
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	termMu  sync.Mutex
	lookups map[string]waLookup // IsOnWhatsApp answers by E.164
	jids    map[string]types.JID
	pending map[types.JID]bool   // devices seen while a pairing session was live
	sent    map[string]sentPart  // recent sends by outbox id and part, for idempotency
	recent  map[string]time.Time // ids of recent sends, for receipts that beat Send's return

	// linkMu orders Sink.Link calls before Close: once closed, nothing is
	// reported (the composition root closes the Sink right after).
	linkMu sync.RWMutex
	closed bool

	versionMu     sync.RWMutex // write-held while the global WA version changes
	versionOK     bool
	versionTried  time.Time
	outdatedTried map[string]bool // versions a 405 already triggered a fetch for
}

type waLookup struct {
	jid   types.JID
	found bool
	at    time.Time
}

// New opens the device store on cfg.DB (creating or upgrading whatsmeow's
// tables and quita_whatsapp_numbers). It does not connect; Start does.
func New(ctx context.Context, cfg Config) (*Transport, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	container, err := openContainer(ctx, cfg.DB, cfg.Dialect, cfg.Logger)
	if err != nil {
		return nil, err
	}
	devs := &sqlDevices{container: container, log: slogLogger{log: cfg.Logger, module: "whatsmeow"}}
	t := newTransport(cfg, devs)
	if err := t.numbers.ensure(ctx); err != nil {
		return nil, err
	}
	wastore.DeviceProps.Os = proto.String(cfg.DeviceName)
	return t, nil
}

func newTransport(cfg Config, devs devices) *Transport {
	t := &Transport{cfg: cfg, log: cfg.Logger.With("transport", Name), devs: devs, numbers: numberStore{db: cfg.DB},
		lookups: map[string]waLookup{}, jids: map[string]types.JID{}, pending: map[types.JID]bool{},
		sent: map[string]sentPart{}, recent: map[string]time.Time{}, outdatedTried: map[string]bool{}}
	t.sleep = sleepCtx
	t.after = time.After
	t.jitter = rand.Float64
	t.fetchVersion = latestVersion
	t.waVersion = func() string { return wastore.GetWAVersion().String() }
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// Name implements bot.Transport.
func (t *Transport) Name() string { return Name }

// Start connects every stored number in the background (or, with none,
// starts pairing) and returns at once. Without a network the lines keep
// retrying with a capped backoff and report their state; nothing crashes.
// ctx bounds the transport's life, like Close.
func (t *Transport) Start(ctx context.Context) {
	t.mu.Lock()
	t.ctx, t.cancel = context.WithCancel(ctx)
	t.mu.Unlock()
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.discover(t.ctx, true)
		for t.wait(t.ctx, discoverEvery) {
			t.discover(t.ctx, false)
		}
	}()
}

// Close stops every line, disconnects and releases the leases. It does not
// close the shared database. After Close the Sink hears no more link
// changes, so the composition root may close it.
func (t *Transport) Close() error {
	// Cancelled under mu: startLine and goTracked check the context and
	// join the wait group under mu, so nothing joins after Wait began.
	t.mu.Lock()
	t.cancel()
	t.mu.Unlock()
	t.wg.Wait()
	t.linkMu.Lock()
	t.closed = true
	t.linkMu.Unlock()
	return nil
}

// link tells the Sink about a link change unless the transport is closed.
func (t *Transport) link(st bot.LinkState) {
	t.linkMu.RLock()
	defer t.linkMu.RUnlock()
	if !t.closed {
		t.cfg.Sink.Link(st)
	}
}

// goTracked runs fn in a goroutine that Close waits for, with the
// transport's context; after Close it does not run at all.
func (t *Transport) goTracked(fn func(ctx context.Context)) {
	t.mu.Lock()
	ctx := t.ctx
	if ctx.Err() != nil {
		t.mu.Unlock()
		return
	}
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		fn(ctx)
	}()
}

// discover starts a line for every stored device that has none, so numbers
// paired on another instance are watched here too (in standby). With no
// device and no line at all it starts pairing.
func (t *Transport) discover(ctx context.Context, first bool) {
	jids, err := t.devs.List(ctx)
	if err != nil {
		if first {
			t.log.Error("whatsapp device store unreadable; retrying every minute", "err", err)
		}
		return
	}
	pairingLive := t.pairingLive()
	for _, jid := range jids {
		switch {
		case t.hasLine(jid):
			t.setPending(jid, false)
		case pairingLive && t.setPending(jid, true):
			// A device that appears while this instance is pairing may be
			// the one being paired (whatsmeow saves it just before
			// PairSuccess names it): the pairing line gets one round to
			// adopt it before it gets a line of its own.
		default:
			t.setPending(jid, false)
			t.startLine(jid)
		}
	}
	if len(jids) == 0 && len(t.snapshot()) == 0 {
		t.ensurePairing()
	}
}

// StartPairing shows a QR for linking one more number (the console's "add
// a number"), unless a pairing session is already running.
func (t *Transport) StartPairing() { t.ensurePairing() }

// hasLine reports whether a line (running or stopped) exists for the
// device jid. A stopped line is not restarted: a replaced stream must not
// be fought by rediscovering its device.
func (t *Transport) hasLine(jid types.JID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.lines {
		l.mu.Lock()
		same := l.jid == jid
		l.mu.Unlock()
		if same {
			return true
		}
	}
	return false
}

// setPending marks or clears jid as seen during pairing; marking reports
// whether it was not marked before.
func (t *Transport) setPending(jid types.JID, mark bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.pending[jid]
	if mark {
		t.pending[jid] = true
	} else {
		delete(t.pending, jid)
	}
	return !was
}

// pairingLive reports whether a pairing session is connected.
func (t *Transport) pairingLive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.lines {
		l.mu.Lock()
		live := l.jid.IsEmpty() && l.cli != nil
		l.mu.Unlock()
		if live {
			return true
		}
	}
	return false
}

// startLine adds and runs a line for jid (empty: a new device to pair).
func (t *Transport) startLine(jid types.JID) *line {
	l := newLine(t, jid)
	t.mu.Lock()
	if t.ctx.Err() != nil {
		t.mu.Unlock()
		return l
	}
	t.lines = append(t.lines, l)
	ctx := t.ctx
	t.wg.Add(1)
	t.mu.Unlock()
	t.link(l.linkState())
	go func() {
		defer t.wg.Done()
		l.run(ctx)
	}()
	return l
}

// ensurePairing returns the running pairing line, starting one if needed.
func (t *Transport) ensurePairing() *line {
	t.mu.Lock()
	for _, l := range t.lines {
		if l.pairing() && !l.stopped() {
			t.mu.Unlock()
			return l
		}
	}
	t.mu.Unlock()
	return t.startLine(types.EmptyJID)
}

// lineFor returns the live line of the linked number device (a non-AD JID
// string), or nil.
func (t *Transport) lineFor(device string) *line {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.lines {
		if l.device() == device && !l.stopped() {
			return l
		}
	}
	return nil
}

func (t *Transport) snapshot() []*line {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*line(nil), t.lines...)
}

// Links implements web.Linker: one state per line, by number. A stopped
// line stays listed until a line for the same number replaces it, so the
// console keeps saying why a number went away.
func (t *Transport) Links() []bot.LinkState {
	lines := t.snapshot()
	live := map[string]bool{}
	for _, l := range lines {
		if !l.stopped() && l.device() != "" {
			live[l.device()] = true
		}
	}
	out := make([]bot.LinkState, 0, len(lines))
	for _, l := range lines {
		if l.stopped() && (live[l.device()] || l.device() == "") {
			continue
		}
		out = append(out, l.linkState())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// PairPhone implements web.Linker: it pairs number (E.164) by a code the
// operator types on that phone (WhatsApp → Linked devices → Link with phone
// number instead). It uses the pending pairing session, starting one if
// none runs, and tries the Brazilian form without the ninth digit when the
// canonical one is refused.
func (t *Transport) PairPhone(ctx context.Context, number string) (string, error) {
	e164, err := phone.Normalize(number, "BR")
	if err != nil {
		return "", bot.Invalid("phone", "%s", err.Error())
	}
	l := t.ensurePairing()
	cli, err := l.waitForQR(ctx, pairWait)
	if err != nil {
		return "", err
	}
	var lastErr error
	for _, v := range phone.Variants(e164) {
		code, err := cli.PairPhone(ctx, v[1:], true, whatsmeow.PairClientChrome, "Chrome (Linux)")
		if err == nil {
			l.pairCodeIssued(e164, code)
			return code, nil
		}
		lastErr = err
	}
	return "", bot.Errorf(bot.CodeUnavailable, "whatsapp: pairing code for %s refused: %v", phone.Mask(e164), lastErr)
}

// refreshVersion fetches WhatsApp Web's current version once online, so a
// stale built-in version does not get the client rejected (405). It is
// retried at most every versionRetry while offline.
func (t *Transport) refreshVersion(ctx context.Context) {
	t.versionMu.Lock()
	defer t.versionMu.Unlock()
	now := time.Now()
	if t.versionOK || (!t.versionTried.IsZero() && now.Sub(t.versionTried) < versionRetry) {
		return
	}
	t.versionTried = now
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := t.fetchVersion(cctx); err != nil {
		t.log.Debug("whatsapp web version not fetched", "err", err)
		return
	}
	t.versionOK = true
}

// retryOutdated handles a 405 for a session that connected with version
// used. If another line already installed a newer version since, a
// reconnect is worth it at once; otherwise one forced refresh per version
// (never a loop) decides.
func (t *Transport) retryOutdated(ctx context.Context, used string) bool {
	t.versionMu.Lock()
	defer t.versionMu.Unlock()
	if t.waVersion() != used {
		return true
	}
	if t.outdatedTried[used] {
		return false
	}
	t.outdatedTried[used] = true
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	changed, err := t.fetchVersion(cctx)
	return err == nil && changed
}

// latestVersion installs WhatsApp Web's current version when it is newer
// than the built-in one.
func latestVersion(ctx context.Context) (bool, error) {
	v, err := whatsmeow.GetLatestVersion(ctx, nil)
	if err != nil {
		return false, err
	}
	if v == nil || !wastore.GetWAVersion().LessThan(*v) {
		return false, nil
	}
	wastore.SetWAVersion(*v)
	return true, nil
}

// wait sleeps d or until ctx ends; it reports whether ctx is still alive.
func (t *Transport) wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-t.after(d):
		return true
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// errorSummary shortens an error for a LinkState detail: the network
// cause when there is one ("lookup web.whatsapp.com: no such host"), not
// the whole chain of wrappers.
func errorSummary(err error) string {
	var dns *net.DNSError
	var op *net.OpError
	var to interface{ Timeout() bool }
	switch {
	case err == nil:
		return "unknown error"
	case errors.As(err, &dns):
		return dns.Error()
	case errors.As(err, &op):
		return op.Error()
	case errors.As(err, &to) && to.Timeout():
		return "the connection timed out"
	}
	s := err.Error()
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
