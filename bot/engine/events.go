package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/flows"
)

// InvoicePaid tells the debtor's conversation that the billing system
// confirmed a payment, through the same actor as their messages so the
// conversation still has one writer. The conversation is the debtor's most
// recent one on a configured transport, or a new one on the first.
func (e *Engine) InvoicePaid(ctx context.Context, inv bot.Invoice) (Outcome, error) {
	customer, err := e.cfg.Store.Customer(ctx, inv.CustomerID)
	if err != nil {
		return Outcome{}, err
	}
	transport, err := e.transportFor(ctx, customer.Phone)
	if err != nil {
		return Outcome{}, err
	}
	key := transport + ":" + customer.Phone
	var out Outcome
	var stepErr error
	err = e.actors.do(ctx, key, func(ctx context.Context) {
		out, stepErr = e.eventLocked(ctx, key, transport, customer.Phone, flows.Input{Event: flows.EventInvoicePaid, Invoice: &inv})
	})
	if errors.Is(err, errStopped) {
		return Outcome{}, bot.Errorf(bot.CodeUnavailable, "the service is shutting down; try again shortly")
	}
	if err != nil {
		return Outcome{}, err
	}
	return out, stepErr
}

// transportFor picks the transport of the debtor's existing conversation,
// in the configured order of preference, else the first configured one.
func (e *Engine) transportFor(ctx context.Context, phone string) (string, error) {
	if len(e.cfg.Transports) == 0 {
		return "", errors.New("engine: no transport configured")
	}
	for _, t := range e.cfg.Transports {
		conv, err := e.cfg.Store.ConversationByPhone(ctx, t, phone)
		if err != nil {
			return "", err
		}
		if conv != nil {
			return t, nil
		}
	}
	return e.cfg.Transports[0], nil
}

func (e *Engine) eventLocked(ctx context.Context, key, transport, phone string, in flows.Input) (Outcome, error) {
	lock, err := e.cfg.Coord.Lock(ctx, "conversation:"+key, 30*time.Second)
	if err != nil {
		return Outcome{}, fmt.Errorf("engine: lock conversation: %w", err)
	}
	defer lock.Release(context.WithoutCancel(ctx))
	for attempt := 0; ; attempt++ {
		tc, err := e.prepare(ctx, transport, phone)
		if err != nil {
			return Outcome{}, err
		}
		res := flows.Step(tc.conv.State, tc.mem, in, tc.env)
		first := bot.TranscriptEntry{At: tc.now, Direction: bot.DirectionSystem, Author: bot.AuthorSystem,
			Text: in.Event + " " + in.Invoice.ID, StateFrom: tc.conv.State, StateTo: res.State}
		out, err := e.commit(ctx, tc, res, first, "", "")
		if errors.Is(err, bot.ErrVersionConflict) && attempt < 5 {
			continue
		}
		if err == nil && e.cfg.Committed != nil && len(out.OutboxIDs) > 0 {
			e.cfg.Committed(out.OutboxIDs)
		}
		return out, err
	}
}
