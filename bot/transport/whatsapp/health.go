package whatsapp

import (
	"context"
	"fmt"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// What each link state tells the operator: what happened and what to do.
const (
	detailConnecting    = "Connecting to WhatsApp."
	detailConnected     = "Connected: sending and receiving messages."
	detailQR            = "Link this number: on the phone open WhatsApp → Settings → Linked devices → Link a device and scan the QR code, or ask for a pairing code with the phone number."
	detailQRExpired     = "The QR code expired; a new one follows in a moment. Link this number: WhatsApp → Settings → Linked devices → Link a device."
	detailPairCode      = "On the phone %[2]s open WhatsApp → Settings → Linked devices → Link a device → Link with phone number instead, and enter the code %[1]s."
	detailPaired        = "Paired; finishing the connection."
	detailPairError     = "Pairing failed (%s). Scan the new QR code to try again."
	detailNoMultidevice = "The QR was scanned by a phone without multi-device support. Update WhatsApp on the phone and scan again."
	detailLoggedOut     = "The phone unlinked this device or WhatsApp logged it out (%s). The session was deleted from the database; link the number again by scanning the new QR code."
	detailSessionGone   = "This number's session is no longer in the database (it was logged out, perhaps on another instance). Link the number again by scanning the new QR code."
	detailReplaced      = "Another client connected with this number's session and replaced Quita's connection. Quita stepped back and will not reconnect by itself: stop the other client (a second Quita without the shared Redis, or a copied database) and restart Quita."
	detailBan           = "WhatsApp temporarily banned this number (%s). Quita stays disconnected until %s and then reconnects once; when it is back, lower whatsapp.daily_cap and send only to debtors who expect the messages."
	detailBanUnknown    = "WhatsApp temporarily banned this number (%s) without saying for how long. Quita retries once an hour; lower whatsapp.daily_cap when it is back."
	detailOutdated      = "WhatsApp rejected this client version (error 405). Upgrade Quita to a newer release; this number stays disconnected until then."
	detailTimelock      = "WhatsApp refused a message to a new contact (error 463, reach-out timelock). First contacts to new numbers are paused until %s; replies to existing chats continue. Do not retry cold messages sooner."
	detailPhoneOffline  = "The phone has not been seen online since %s. Open WhatsApp on the phone and keep it connected to the internet, or WhatsApp will unlink this device after about 14 days."
	detailDisconnected  = "No connection to WhatsApp (%s). Retrying automatically with a growing pause; check the server's network."
	detailKeepAlive     = "WhatsApp stopped answering keep-alive pings (last answer %s); reconnecting."
	detailFailure       = "WhatsApp refused the connection (%s). Retrying automatically with a growing pause."
	detailStandby       = "Another Quita instance holds this number's connection; this one takes over if that instance stops."
	detailLeaseLost     = "Another Quita instance took over this number's connection; this one stands by."
	detailNoCoordinator = "Cannot reach the coordinator to lease this number's connection (%s). Retrying; check Redis."
)

// banRetryUnknown is how long to wait after a ban that names no expiry;
// qrPause separates two QR rounds of a device waiting to be paired.
const (
	banRetryUnknown = time.Hour
	qrPause         = 10 * time.Second
)

// onConnEvent maps whatsmeow's connection events to link states and tells
// the supervisor what to do. Permanent conditions stop the line: fighting a
// replaced stream or a logout in a loop only makes things worse.
func (l *line) onConnEvent(cli client, evt any) action {
	now := l.t.cfg.Clock.Now()
	switch e := evt.(type) {
	case *events.Connected:
		l.mu.Lock()
		l.connectedAt = now
		l.mu.Unlock()
		l.checkHealth(context.Background(), cli)
	case *events.KeepAliveRestored:
		l.checkHealth(context.Background(), cli)
	case *events.Disconnected:
		if l.pairing() {
			// The QR round ran out unscanned: a new round after a short
			// pause, without the growing backoff, so a QR is never far off.
			l.update(func(s *bot.LinkState) { s.QR, s.Detail = "", detailQRExpired })
			return action{kind: actRetryAt, at: now.Add(qrPause)}
		} else {
			l.setState(bot.LinkDisconnected, fmt.Sprintf(detailDisconnected, "the server closed the connection"), time.Time{})
		}
		return action{kind: actReconnect}
	case *events.KeepAliveTimeout:
		// The socket may recover on its own; after a few misses a fresh
		// connection is quicker than waiting for TCP to notice.
		if e.ErrorCount >= 3 {
			l.setState(bot.LinkDisconnected, fmt.Sprintf(detailKeepAlive, e.LastSuccess.Format(time.RFC3339)), time.Time{})
			return action{kind: actReconnect}
		}
	case *events.LoggedOut:
		// whatsmeow deletes the device row itself (connectionevents.go
		// handleConnectFailure / handleStreamError: Store.Delete), so the
		// session is gone from the database and a restart will not use it.
		reason := e.Reason.String()
		if e.Reason == events.ConnectFailureUnknownLogout {
			reason += "; WhatsApp may have banned the number"
		}
		l.stop(bot.LinkLoggedOut, fmt.Sprintf(detailLoggedOut, reason))
		l.t.ensurePairing()
		return action{kind: actStop}
	case *events.StreamReplaced:
		if l.t.cfg.Coord != nil {
			// The supervisor asks the coordinator whether this is a lease
			// hand-over; the handler must not wait on the network.
			return action{kind: actReplaced}
		}
		l.stop(bot.LinkStreamReplaced, detailReplaced)
		return action{kind: actStop}
	case *events.TemporaryBan:
		if e.Expire <= 0 {
			l.setState(bot.LinkTemporaryBan, fmt.Sprintf(detailBanUnknown, e.Code.String()), time.Time{})
			return action{kind: actRetryAt, at: now.Add(banRetryUnknown)}
		}
		until := now.Add(e.Expire)
		l.setState(bot.LinkTemporaryBan, fmt.Sprintf(detailBan, e.Code.String(), until.Format(time.RFC3339)), until)
		return action{kind: actRetryAt, at: until}
	case *events.ClientOutdated:
		l.setState(bot.LinkClientOutdated, detailOutdated, time.Time{})
		return action{kind: actOutdated}
	case *events.ConnectFailure:
		l.setState(bot.LinkDisconnected, fmt.Sprintf(detailFailure, e.Reason.String()), time.Time{})
		return action{kind: actReconnect}
	case *events.CATRefreshError:
		l.setState(bot.LinkDisconnected, fmt.Sprintf(detailFailure, "auth token refresh failed"), time.Time{})
		return action{kind: actReconnect}
	case *events.QR:
		l.t.goTracked(func(ctx context.Context) { l.showQRs(ctx, cli, e.Codes) })
	case *events.QRScannedWithoutMultidevice:
		l.update(func(s *bot.LinkState) { s.Detail = detailNoMultidevice })
	case *events.PairSuccess:
		l.paired(e.ID)
	case *events.PairError:
		l.update(func(s *bot.LinkState) { s.Detail = fmt.Sprintf(detailPairError, errorSummary(e.Error)) })
	}
	return action{}
}

// showQRs shows the codes of one QR event in turn, as WhatsApp Web does
// (the first for a minute, the others for 20 seconds), while the session
// lasts and nobody has scanned. When the last one expires the session is
// ended, as whatsmeow's QR channel does: the server sends no new codes on
// that connection, and a stale QR must not stay on the console.
func (l *line) showQRs(ctx context.Context, cli client, codes []string) {
	for i, code := range codes {
		if !l.isCurrent(cli) || !l.pairing() {
			return
		}
		l.update(func(s *bot.LinkState) {
			s.State, s.QR, s.Until = bot.LinkQRNeeded, code, time.Time{}
			if s.PairCode == "" { // keep telling where to type a pending code
				s.Detail = detailQR
			}
		})
		l.printQR(code)
		d := 20 * time.Second
		if i == 0 {
			d = time.Minute
		}
		if !l.t.wait(ctx, d) {
			return
		}
	}
	if l.isCurrent(cli) && l.pairing() {
		l.update(func(s *bot.LinkState) { s.QR, s.PairCode, s.Detail = "", "", detailQRExpired })
		l.post(action{kind: actRetryAt, at: l.t.cfg.Clock.Now()})
	}
}

// printQR writes the code to the terminal as a small text QR.
func (l *line) printQR(code string) {
	w := l.t.cfg.Terminal
	if w == nil {
		return
	}
	q, err := qrcode.New(code, qrcode.Low)
	if err != nil {
		return
	}
	l.t.termMu.Lock()
	defer l.t.termMu.Unlock()
	fmt.Fprintf(w, "\nWhatsApp: scan this QR code with WhatsApp → Settings → Linked devices → Link a device\n%s\n",
		q.ToSmallString(false))
}

// paired adopts the new device: the line now stands for its number, and a
// stopped line of the same number (logged out earlier) is replaced.
func (l *line) paired(id types.JID) {
	l.mu.Lock()
	l.jid = id
	l.mu.Unlock()
	l.setState(bot.LinkConnecting, detailPaired, time.Time{})
	ctx, cancel := context.WithTimeout(l.t.ctx, 10*time.Second)
	defer cancel()
	if err := l.loadRecord(ctx); err != nil {
		l.logger().Warn("whatsapp number record not loaded", "err", err)
	}
	l.sawPhone(ctx)
}

// loadRecord reads the number's record (warm-up, timelock, counters).
func (l *line) loadRecord(ctx context.Context) error {
	l.mu.Lock()
	jid := l.jid.ToNonAD().String()
	loaded := l.recLoaded
	l.mu.Unlock()
	if loaded {
		return nil
	}
	rec, err := l.t.numbers.load(ctx, jid, l.t.cfg.Clock.Now())
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.rec, l.recLoaded = rec, true
	l.mu.Unlock()
	return nil
}

// saveRecord writes the number's record; failures are logged, since the
// record only makes limits more careful and the next write repeats it.
func (l *line) saveRecord(ctx context.Context) {
	l.mu.Lock()
	rec, jid, ok := l.rec, l.jid.ToNonAD().String(), l.recLoaded && !l.jid.IsEmpty()
	l.mu.Unlock()
	if !ok {
		return
	}
	if err := l.t.numbers.save(ctx, jid, rec); err != nil {
		l.logger().Warn("whatsapp number record not saved", "err", err)
	}
}

// sawPhone notes a sign of life from the linked phone. The record is
// written at most hourly: the offline warning is measured in days.
func (l *line) sawPhone(ctx context.Context) {
	now := l.t.cfg.Clock.Now()
	l.mu.Lock()
	write := l.recLoaded && now.Sub(l.rec.PhoneSeen) >= time.Hour
	wasOffline := l.state.State == bot.LinkPhoneOffline
	if l.recLoaded {
		l.rec.PhoneSeen = now
	}
	l.mu.Unlock()
	if write {
		l.saveRecord(ctx)
	}
	if wasOffline {
		l.checkHealth(ctx, l.client())
	}
}

// checkHealth sets the state of a logged-in line: phone offline first (it
// ends in an unlink), then the timelock, else connected.
func (l *line) checkHealth(_ context.Context, cli client) {
	if cli == nil || !cli.IsLoggedIn() {
		return
	}
	now := l.t.cfg.Clock.Now()
	l.mu.Lock()
	rec, loaded := l.rec, l.recLoaded
	l.mu.Unlock()
	switch {
	case loaded && now.Sub(rec.PhoneSeen) > l.t.cfg.PhoneOfflineAfter:
		l.setState(bot.LinkPhoneOffline, fmt.Sprintf(detailPhoneOffline, rec.PhoneSeen.In(l.t.cfg.Location).Format("2006-01-02 15:04")), time.Time{})
	case now.Before(rec.TimelockUntil):
		l.setState(bot.LinkReachOutTimelock, fmt.Sprintf(detailTimelock, rec.TimelockUntil.In(l.t.cfg.Location).Format(time.RFC3339)), rec.TimelockUntil)
	default:
		l.setState(bot.LinkConnected, detailConnected, time.Time{})
	}
}

// startTimelock pauses first contacts after a 463 and reports it.
func (l *line) startTimelock(ctx context.Context) time.Time {
	now := l.t.cfg.Clock.Now()
	l.mu.Lock()
	if now.After(l.rec.TimelockUntil) {
		l.rec.TimelockUntil = now.Add(l.t.cfg.TimelockPause)
	}
	until := l.rec.TimelockUntil
	l.mu.Unlock()
	l.saveRecord(ctx)
	l.checkHealth(ctx, l.client())
	l.logger().Warn("whatsapp first contacts paused after error 463", "until", until.Format(time.RFC3339))
	return until
}

// timelockUntil is the end of the current 463 pause, zero when none.
func (l *line) timelockUntil(now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.rec.TimelockUntil) {
		return l.rec.TimelockUntil
	}
	return time.Time{}
}

func maskJID(j types.JID) string {
	e, err := phone.FromJID(j.ToNonAD().String())
	if err != nil {
		return j.Server
	}
	return phone.Mask(e)
}
