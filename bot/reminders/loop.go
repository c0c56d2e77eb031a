package reminders

import (
	"context"
	"time"

	"github.com/quitabot/quita/bot"
)

// LockKey is the coordinator lock that lets one instance at a time run a
// pass. Two passes at once would still send each step once (the log's
// unique key decides), but would race for the same rows for nothing.
const LockKey = "reminders"

// lockTTL bounds how long a crashed instance keeps the others waiting; a
// running pass refreshes it well before then.
const lockTTL = time.Minute

// Loop runs a pass every interval until ctx ends, on the clock it is given
// (the real one in production). Outside the contact windows it runs one
// pass when they close, to count what waits, and none until they open
// again, so a closed night does not re-read every candidate each minute.
func (r *Runner) Loop(ctx context.Context, clock bot.Clock, co bot.Coordinator, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	countedClosed := false
	for {
		now := clock.Now()
		if r.cfg.Policy.Allowed(now.In(r.cfg.Location)) {
			countedClosed = false
			r.lockedPass(ctx, co, now)
		} else if !countedClosed {
			countedClosed = true
			r.lockedPass(ctx, co, now)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// lockedPass runs a pass while holding LockKey, refreshing it; a pass
// whose lease is lost stops, and another instance carries on.
func (r *Runner) lockedPass(ctx context.Context, co bot.Coordinator, now time.Time) {
	lost := func(err error) { r.log.Warn("reminder lock lost; stopping the pass", "err", err) }
	if _, err := bot.WithLease(ctx, co, LockKey, lockTTL, lost, func(ctx context.Context) { _, _ = r.RunDue(ctx, now) }); err != nil {
		r.log.Error("reminder lock failed", "err", err)
	}
}

// DueRunner returns what the simulator runs when its clock moves (it
// matches web.DueRunner): a pass at the clock's time, then deliver — the
// sender's RunDue, which sends every outbox message due, the reminders just
// queued among them — returning what was sent.
func DueRunner(r *Runner, clock bot.Clock, deliver func(context.Context) ([]bot.OutboundMessage, error)) func(context.Context) ([]bot.OutboundMessage, error) {
	return func(ctx context.Context) ([]bot.OutboundMessage, error) {
		if _, err := r.RunDue(ctx, clock.Now()); err != nil {
			return nil, err
		}
		return deliver(ctx)
	}
}
