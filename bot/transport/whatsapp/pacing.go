package whatsapp

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"go.mau.fi/whatsmeow/types"

	"github.com/quitabot/quita/bot"
)

// delays returns the random gap a number keeps between two sends and the
// typing time for text (per character, ±20 %, capped).
func (t *Transport) delays(text string) (gap, typing time.Duration) {
	p := t.cfg.Pacing
	gap = p.MinDelay + time.Duration(t.jitter()*float64(p.MaxDelay-p.MinDelay))
	if p.PerCharDelay > 0 && text != "" {
		base := p.PerCharDelay * time.Duration(utf8.RuneCountInString(text))
		typing = min(time.Duration(float64(base)*(0.8+0.4*t.jitter())), p.MaxTyping)
	}
	return gap, typing
}

// pace waits out the rest of the gap since the number's last send, then
// shows "typing…" for the typing time. The typing counts towards the gap,
// so the time between two sends is at least the gap. Pacing that would not
// leave messageTimeout of ctx's budget for the send is refused (ErrPaced)
// before anything is shown: the outbox tries again later.
func (l *line) pace(ctx context.Context, cli client, jid types.JID, text string) error {
	gap, typing := l.t.delays(text)
	l.mu.Lock()
	last := l.lastSend
	l.mu.Unlock()
	var wait time.Duration
	if !last.IsZero() {
		wait = max(last.Add(gap).Sub(l.t.cfg.Clock.Now())-typing, 0)
	}
	if dl, ok := ctx.Deadline(); ok && wait+typing+messageTimeout > time.Until(dl) {
		return bot.Deferred(fmt.Errorf("%w: next slot in %s", ErrPaced, (wait+typing).Round(time.Second)),
			l.t.cfg.Clock.Now().Add(wait))
	}
	if wait > 0 {
		if err := l.t.sleep(ctx, wait); err != nil {
			return err
		}
	}
	if typing <= 0 {
		return nil
	}
	if l.t.cfg.Pacing.Typing {
		// Presence is cosmetic: a failure to show it must not stop the send.
		_ = cli.SendChatPresence(ctx, jid, types.ChatPresenceComposing, types.ChatPresenceMediaText)
	}
	err := l.t.sleep(ctx, typing)
	if l.t.cfg.Pacing.Typing {
		_ = cli.SendChatPresence(ctx, jid, types.ChatPresencePaused, types.ChatPresenceMediaText)
	}
	return err
}

// dailyLimit is how many proactive messages a number linked ageDays ago may
// send today: WarmupDailyCap on its first day, growing linearly to DailyCap
// on day WarmupDays (bot/policy's DailySendLimit, with the same numbers).
// 0 means unlimited.
func (p Pacing) dailyLimit(ageDays int) int {
	if p.DailyCap <= 0 {
		return 0
	}
	if p.WarmupDays <= 0 || ageDays >= p.WarmupDays || p.WarmupDailyCap <= 0 || p.WarmupDailyCap >= p.DailyCap {
		return p.DailyCap
	}
	ageDays = max(ageDays, 0)
	return p.WarmupDailyCap + (p.DailyCap-p.WarmupDailyCap)*ageDays/p.WarmupDays
}

// civilDays counts calendar days from a to b in loc.
func civilDays(a, b time.Time, loc *time.Location) int {
	ya, ma, da := a.In(loc).Date()
	yb, mb, db := b.In(loc).Date()
	return int(time.Date(yb, mb, db, 0, 0, 0, 0, time.UTC).Sub(time.Date(ya, ma, da, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

func (l *line) day(now time.Time) string { return now.In(l.t.cfg.Location).Format(time.DateOnly) }

// sentToday is the number of proactive messages sent today.
func (l *line) sentToday(now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rec.SentDay != l.day(now) {
		return 0
	}
	return l.rec.SentCount
}

// checkCap refuses a proactive send beyond today's limit, as retryable:
// tomorrow it fits. The caller holds sendSem, so the count cannot race.
func (l *line) checkCap(now time.Time) error {
	l.mu.Lock()
	age := civilDays(l.rec.LinkedAt, now, l.t.cfg.Location)
	l.mu.Unlock()
	limit := l.t.cfg.Pacing.dailyLimit(age)
	if limit <= 0 {
		return nil
	}
	if n := l.sentToday(now); n >= limit {
		reason := "daily cap"
		if limit < l.t.cfg.Pacing.DailyCap {
			reason = fmt.Sprintf("warm-up day %d of %d", age+1, l.t.cfg.Pacing.WarmupDays)
		}
		// Deferred to tomorrow; the sender moves it into the contact window.
		y, m, d := now.In(l.t.cfg.Location).Date()
		tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, l.t.cfg.Location)
		return bot.Deferred(fmt.Errorf("%w: %d of %d today (%s); sending resumes tomorrow", ErrDailyCap, n, limit, reason), tomorrow)
	}
	return nil
}

// countSend counts one proactive send and persists the counter.
func (l *line) countSend(ctx context.Context) {
	today := l.day(l.t.cfg.Clock.Now())
	l.mu.Lock()
	if l.rec.SentDay != today {
		l.rec.SentDay, l.rec.SentCount = today, 0
	}
	l.rec.SentCount++
	l.mu.Unlock()
	l.saveRecord(ctx)
}
