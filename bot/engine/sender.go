package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// Sender drains outbox messages to their transports. Several senders (in
// several instances) may run at once: each item is leased before it is
// sent, so it is sent by one of them.
type Sender struct {
	store      bot.OutboxStore
	transports map[string]bot.Transport
	clock      bot.Clock
	log        *slog.Logger
	obs        Observer
	wake       chan struct{}
	// Lease bounds how long a claimed item stays hidden from other senders;
	// a send must finish well within it.
	Lease time.Duration
	// MaxAttempts is how many times a retryable failure is retried.
	MaxAttempts int
	// Poll is how often the outbox is checked without a wake-up.
	Poll time.Duration
	// MaxSend is the longest one send may take (paced transports keep
	// within it): a claimed item is only started while at least this much
	// of its lease is left; the rest go back for the next round.
	MaxSend time.Duration
	// MaxDeferReply and MaxDeferProactive bound how long a message the
	// transport keeps declining (no linked number, a daily cap) may wait:
	// an answer a day late answers nothing; a reminder may wait out a
	// weekend of caps. Older ones fail.
	MaxDeferReply, MaxDeferProactive time.Duration
	// ProactiveWindow moves a deferred proactive message to the next
	// moment the contact windows allow (policy.NextAllowed); nil keeps the
	// transport's time.
	ProactiveWindow func(time.Time) time.Time
}

// NewSender returns a sender for the given transports.
func NewSender(store bot.OutboxStore, clock bot.Clock, log *slog.Logger, obs Observer, transports ...bot.Transport) *Sender {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if obs == nil {
		obs = nopObserver{}
	}
	s := &Sender{store: store, transports: map[string]bot.Transport{}, clock: clock, log: log, obs: obs,
		wake: make(chan struct{}, 1), Lease: time.Minute, MaxAttempts: 10, Poll: time.Second, MaxSend: 45 * time.Second,
		MaxDeferReply: 24 * time.Hour, MaxDeferProactive: 96 * time.Hour}
	for _, t := range transports {
		s.transports[t.Name()] = t
	}
	return s
}

// Wake asks the running loop to look at the outbox now.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run drains due messages until ctx ends; in-flight sends finish first.
func (s *Sender) Run(ctx context.Context) {
	ticker := time.NewTicker(s.Poll)
	defer ticker.Stop()
	for {
		if _, err := s.RunDue(context.WithoutCancel(ctx)); err != nil {
			s.log.Error("outbox drain failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-s.wake:
		}
	}
}

// RunDue sends every message due now and returns what was delivered.
func (s *Sender) RunDue(ctx context.Context) ([]bot.OutboundMessage, error) {
	var sent []bot.OutboundMessage
	for {
		items, err := s.store.ClaimOutbox(ctx, bot.OutboxMessage, s.clock.Now(), s.Lease, 50, nil)
		if err != nil {
			return sent, err
		}
		if len(items) == 0 {
			return sent, nil
		}
		sent = append(sent, s.sendAll(ctx, items)...)
	}
}

// Deliver sends the given outbox messages now, in order, and waits until
// each is no longer pending (another sender may hold one) or ctx ends.
func (s *Sender) Deliver(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	items, err := s.store.ClaimOutbox(ctx, bot.OutboxMessage, s.clock.Now(), s.Lease, len(ids), ids)
	if err != nil {
		return err
	}
	s.sendAll(ctx, items)
	for wait := 5 * time.Millisecond; ; wait = min(wait*2, 200*time.Millisecond) {
		current, err := s.store.OutboxItems(ctx, ids)
		if err != nil {
			return err
		}
		pending := false
		for _, it := range current {
			// An item scheduled for a later retry is not worth waiting for.
			if it.Status == bot.OutboxPending && !it.NextAttemptAt.After(s.clock.Now()) {
				pending = true
			}
		}
		if !pending {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// sendAll sends claimed items in order and returns the
// delivered ones. An item is only started while a whole send fits in what
// is left of its lease: a slow, paced transport must never still be
// sending when another instance may claim the item again. The rest are
// released for the next round.
func (s *Sender) sendAll(ctx context.Context, items []bot.OutboxItem) []bot.OutboundMessage {
	var sent []bot.OutboundMessage
	// Leases are in the service clock, which the simulator may move; the
	// time spent sending is measured on the wall clock.
	start := time.Now()
	for i, item := range items {
		if time.Since(start) > s.Lease-s.MaxSend {
			ids := make([]string, 0, len(items)-i)
			for _, rest := range items[i:] {
				ids = append(ids, rest.ID)
			}
			if err := s.store.ReleaseOutbox(context.WithoutCancel(ctx), ids); err != nil {
				s.log.Error("release of unsent outbox items failed", "err", err)
			}
			break
		}
		if msg, ok := s.send(ctx, item); ok {
			sent = append(sent, msg)
		}
	}
	return sent
}

func (s *Sender) send(ctx context.Context, item bot.OutboxItem) (bot.OutboundMessage, bool) {
	log := s.log.With("outbox_id", item.ID, "to", phone.Mask(item.Recipient), "transport", item.Transport)
	msg, err := DecodeMessage(item)
	if err != nil {
		s.fail(ctx, log, item, err)
		return msg, false
	}
	if about := aboutOf(item); len(about) > 0 {
		// Paid or cancelled while the message waited (a reminder queued
		// before invoice.paid): it must not go out.
		open, err := s.store.AnyInvoiceOpen(ctx, about)
		if err == nil && !open {
			log.Info("proactive message suppressed: its invoices were settled")
			if err := s.store.MarkOutboxFailed(ctx, item.ID, "suppressed: the invoices it was about were paid or cancelled", s.clock.Now()); err != nil {
				log.Error("record suppression failed", "err", err)
			}
			s.obs.Outbound(item.Transport, "suppressed")
			return msg, false
		}
	}
	tr, ok := s.transports[item.Transport]
	if !ok {
		s.fail(ctx, log, item, errors.New("no such transport configured"))
		return msg, false
	}
	externalID, err := tr.Send(ctx, msg)
	now := s.clock.Now()
	if err != nil {
		var deferred *bot.DeferredError
		if errors.As(err, &deferred) && !s.deferrable(item, msg, now) {
			s.fail(ctx, log, item, fmt.Errorf("declined by the transport for too long (since %s): %w",
				item.CreatedAt.Format(time.RFC3339), err))
			return msg, false
		}
		if deferred != nil {
			next := deferred.Until
			if msg.Proactive && s.ProactiveWindow != nil {
				next = s.ProactiveWindow(next)
			}
			if next.Before(now.Add(time.Second)) {
				next = now.Add(time.Second)
			}
			log.Info("send deferred by the transport", "reason", err, "until", next)
			if err := s.store.DeferOutbox(ctx, item.ID, err.Error(), next); err != nil {
				log.Error("record deferral failed", "err", err)
			}
			s.obs.Outbound(item.Transport, "deferred")
			return msg, false
		}
		var retry *bot.RetryableError
		if errors.As(err, &retry) && item.Attempts+1 < s.MaxAttempts {
			next := now.Add(backoff(item.Attempts))
			log.Warn("send failed, will retry", "err", err, "attempt", item.Attempts+1, "next", next)
			if err := s.store.MarkOutboxRetry(ctx, item.ID, err.Error(), next); err != nil {
				log.Error("record retry failed", "err", err)
			}
			s.obs.Outbound(item.Transport, "retry")
			return msg, false
		}
		s.fail(ctx, log, item, err)
		return msg, false
	}
	if err := s.store.MarkOutboxSent(ctx, item.ID, externalID, now); err != nil {
		// The transport has it; if recording fails the lease expires and it
		// may be sent again, which transports dedupe by outbox id.
		log.Error("record sent failed", "err", err)
	}
	s.obs.Outbound(item.Transport, bot.DeliverySent)
	return msg, true
}

// deferrable reports whether a declined message may still wait.
func (s *Sender) deferrable(item bot.OutboxItem, msg bot.OutboundMessage, now time.Time) bool {
	limit := s.MaxDeferReply
	if msg.Proactive {
		limit = s.MaxDeferProactive
	}
	return now.Sub(item.CreatedAt) < limit
}

func (s *Sender) fail(ctx context.Context, log *slog.Logger, item bot.OutboxItem, err error) {
	log.Error("send failed permanently", "err", err)
	if err := s.store.MarkOutboxFailed(ctx, item.ID, err.Error(), s.clock.Now()); err != nil {
		log.Error("record failure failed", "err", err)
	}
	s.obs.Outbound(item.Transport, bot.DeliveryFailed)
}

// backoff grows exponentially from 5 s to at most an hour, with jitter so
// retries from many conversations do not arrive together.
func backoff(attempts int) time.Duration {
	d := 5 * time.Second << min(attempts, 10)
	d = min(d, time.Hour)
	return d/2 + rand.N(d/2+1)
}
