package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/flows"
)

// EventTransport marks inbox rows that are not debtor messages but events
// for a debtor's conversation (a payment the billing system confirmed).
// Storing them in the inbox, in the same transaction as the change that
// caused them, makes them as durable as messages: Recover replays any the
// service did not get to.
const EventTransport = "event"

// PaidEvent is the inbox record announcing that inv was paid, to be stored
// in the same transaction that marked it paid. Its external id is unique
// per invoice, so it can only be recorded once.
func PaidEvent(id string, inv bot.Invoice, phone string, at time.Time) bot.InboxRecord {
	return bot.InboxRecord{ID: id, ReceivedAt: at, Message: bot.InboundMessage{Transport: EventTransport,
		ExternalID: flows.EventInvoicePaid + ":" + inv.ID, From: phone, Text: inv.ID, SentAt: at}}
}

// InvoicePaid records and processes a paid event for inv: for callers that
// have no transaction of their own to record it in.
func (e *Engine) InvoicePaid(ctx context.Context, inv bot.Invoice) (Outcome, error) {
	customer, err := e.cfg.Store.Customer(ctx, inv.CustomerID)
	if err != nil {
		return Outcome{}, err
	}
	rec, _, err := e.cfg.Store.RecordInbound(ctx, PaidEvent(e.cfg.IDs.New("inb"), inv, customer.Phone, e.cfg.Clock.Now()))
	if err != nil {
		return Outcome{}, err
	}
	return e.Process(ctx, rec)
}

// processEvent runs a stored event through the debtor's conversation, on
// the same actor as their messages so the conversation keeps one writer.
// The conversation is the debtor's most recent one on a configured
// transport, or a new one on the first.
func (e *Engine) processEvent(ctx context.Context, rec bot.InboxRecord) (Outcome, error) {
	inv, err := e.cfg.Store.Invoice(ctx, rec.Message.Text)
	if err != nil {
		return Outcome{}, err
	}
	phone := rec.Message.From
	transport, err := e.transportFor(ctx, phone)
	if err != nil {
		return Outcome{}, err
	}
	in := flows.Input{Event: flows.EventInvoicePaid, Invoice: &inv}
	key := transport + ":" + phone
	var out Outcome
	var stepErr error
	err = e.actors.do(ctx, key, func(ctx context.Context) {
		out, stepErr = e.eventLocked(ctx, key, transport, phone, in, rec.ID)
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

// eventLocked steps the conversation with an event under the
// conversation's cross-instance lock; inboxID, when set, is the stored
// event it consumes (exactly once).
func (e *Engine) eventLocked(ctx context.Context, key, transport, phone string, in flows.Input, inboxID string) (Outcome, error) {
	lock, err := e.cfg.Coord.Lock(ctx, "conversation:"+key, 30*time.Second)
	if err != nil {
		return Outcome{}, fmt.Errorf("engine: lock conversation: %w", err)
	}
	defer lock.Release(context.WithoutCancel(ctx))
	for attempt := 0; ; attempt++ {
		if inboxID != "" {
			rec, err := e.cfg.Store.InboxRecord(ctx, inboxID)
			if err != nil {
				return Outcome{}, err
			}
			if rec.ProcessedAt != nil {
				return decodeOutcome(rec)
			}
		}
		tc, err := e.prepare(ctx, transport, phone)
		if err != nil {
			return Outcome{}, err
		}
		res := flows.Step(tc.conv.State, tc.mem, in, tc.env)
		text := in.Event
		if in.Invoice != nil {
			text += " " + in.Invoice.ID
		}
		first := bot.TranscriptEntry{At: tc.now, Direction: bot.DirectionSystem, Author: bot.AuthorSystem,
			Text: text, StateFrom: tc.conv.State, StateTo: res.State}
		out, err := e.commit(ctx, tc, res, first, inboxID, "")
		switch {
		case err == nil:
			if e.cfg.Committed != nil && len(out.OutboxIDs) > 0 {
				e.cfg.Committed(out.OutboxIDs)
			}
			return out, nil
		case (errors.Is(err, bot.ErrVersionConflict) || errors.Is(err, bot.ErrAlreadyProcessed)) && attempt < 5:
			continue
		case errors.Is(err, bot.ErrVersionConflict):
			return Outcome{}, bot.Errorf(bot.CodeUnavailable, "the conversation is busy right now; try again shortly")
		default:
			return Outcome{}, err
		}
	}
}
