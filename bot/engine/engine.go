package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/input"
	"github.com/quitabot/quita/bot/phone"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/flows"
	"github.com/quitabot/quita/locales"
)

// Classifier understands a debtor's message.
type Classifier interface {
	Classify(text, locale string, now time.Time) bot.Classification
}

// DetectingClassifier also tells the language a message is written in
// (bot/nlu's Classifier is one): it classifies text in that language, or
// in fallback when the message is too short or ambiguous to tell, and
// returns the language detected, "" for none. With one, the engine
// answers in the language the debtor writes in (README "How it works").
type DetectingClassifier interface {
	ClassifyDetected(text, fallback string, now time.Time) (bot.Classification, string)
}

// customerUpserter is the store method that records a customer's new
// language; optional so that stores without it still run.
type customerUpserter interface {
	UpsertCustomer(ctx context.Context, c bot.Customer) error
}

// Observer is told what the engine does, for metrics. Implementations must
// be cheap and safe for concurrent use.
type Observer interface {
	Inbound(transport string, intent bot.Intent, duplicate bool)
	Outbound(transport, status string)
}

type nopObserver struct{}

func (nopObserver) Inbound(string, bot.Intent, bool) {}
func (nopObserver) Outbound(string, string)          {}

// Config holds an Engine's dependencies; all but Observer and Logger are
// required.
type Config struct {
	Store         bot.ConversationStore
	Classifier    Classifier
	Catalog       *locales.Catalog
	Policy        policy.Policy
	Clock         bot.Clock
	IDs           bot.IDs
	Coord         bot.Coordinator
	Location      *time.Location
	DefaultLocale string
	Logger        *slog.Logger
	Observer      Observer
	// Transports are the transports a conversation may live on, the
	// preferred first; events for a debtor without a conversation start one
	// on the first.
	Transports []string
	// QRCode renders a payload as a PNG QR code; with it, Pix instructions
	// carry the code as an image too. Optional.
	QRCode func(payload string) ([]byte, error)
	// Committed is called after a turn is committed with the ids of the
	// outbox messages it queued, so a sender can deliver them at once.
	Committed func(outboxIDs []string)
}

// Engine handles inbound messages, one conversation at a time.
type Engine struct {
	cfg    Config
	actors *actors
	log    *slog.Logger
	obs    Observer
	// cadenceKeys are the keys of proactive messages (the policy's cadence
	// and flows.ProactiveKeys): a reply carrying one is sent as that key's
	// template where templates are required.
	cadenceKeys map[string]bool
	// companyDocument is the creditor's CNPJ or CPF as debtors read it.
	companyDocument string
}

// New returns an engine. Call Close to drain it.
func New(cfg Config) (*Engine, error) {
	switch {
	case cfg.Store == nil, cfg.Classifier == nil, cfg.Catalog == nil, cfg.Clock == nil, cfg.IDs == nil, cfg.Coord == nil, cfg.Location == nil:
		return nil, errors.New("engine: store, classifier, catalog, clock, ids, coordinator and location are required")
	}
	if cfg.DefaultLocale == "" {
		cfg.DefaultLocale = locales.Fallback
	}
	e := &Engine{cfg: cfg, actors: newActors(time.Minute, 64), log: cfg.Logger, obs: cfg.Observer, cadenceKeys: map[string]bool{},
		companyDocument: policy.FormatDocument(cfg.Policy.Company.Document)}
	for _, k := range append(cfg.Policy.MessageKeys(), flows.ProactiveKeys...) {
		e.cadenceKeys[k] = true
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.obs == nil {
		e.obs = nopObserver{}
	}
	return e, nil
}

// Outcome is what handling one inbound message produced.
type Outcome struct {
	ConversationID string     `json:"conversation_id"`
	Intent         bot.Intent `json:"intent"`
	State          string     `json:"state"`
	OutboxIDs      []string   `json:"outbox_ids"`
	Duplicate      bool       `json:"-"`
}

// HandleInbound stores msg durably, then runs it through its conversation.
// Calling it again with the same transport and external id returns the
// first outcome and changes nothing. A transport may acknowledge the
// message as soon as Accept (the first half) has returned; HandleInbound
// returns after the reply is committed.
func (e *Engine) HandleInbound(ctx context.Context, msg bot.InboundMessage) (Outcome, error) {
	rec, dup, err := e.Accept(ctx, msg)
	if err != nil {
		return Outcome{}, err
	}
	out, err := e.Process(ctx, rec)
	out.Duplicate = dup
	return out, err
}

// Accept validates and durably stores an inbound message (the step a
// transport must finish before acknowledging). It returns the stored record
// and whether it had been stored before.
func (e *Engine) Accept(ctx context.Context, msg bot.InboundMessage) (bot.InboxRecord, bool, error) {
	from, err := phone.Normalize(msg.From, "BR")
	if err != nil {
		return bot.InboxRecord{}, false, bot.Invalid("from", "%s", strings.TrimPrefix(err.Error(), "phone: "))
	}
	msg.From = from
	now := e.cfg.Clock.Now()
	if msg.ExternalID == "" {
		return bot.InboxRecord{}, false, bot.Invalid("id", "a message id is required")
	}
	// Every transport passes here, so this is where a debtor's words
	// become storable on every database (see package input).
	if msg, err = input.Message(msg); err != nil {
		return bot.InboxRecord{}, false, err
	}
	if msg.SentAt.IsZero() {
		msg.SentAt = now
	}
	if msg.Media != nil && len(msg.Media.Data) > 0 {
		saved, err := e.cfg.Store.SaveMedia(ctx, *msg.Media)
		if err != nil {
			return bot.InboxRecord{}, false, err
		}
		msg.Media = &saved
	}
	rec, dup, err := e.cfg.Store.RecordInbound(ctx, bot.InboxRecord{ID: e.cfg.IDs.New("inb"), Message: msg, ReceivedAt: now})
	if err != nil {
		return bot.InboxRecord{}, false, err
	}
	return rec, dup, nil
}

// Process runs a stored inbound message through its conversation's actor.
// A message already processed yields its stored outcome.
func (e *Engine) Process(ctx context.Context, rec bot.InboxRecord) (Outcome, error) {
	if rec.ProcessedAt != nil {
		return decodeOutcome(rec)
	}
	if rec.Message.Transport == EventTransport {
		return e.processEvent(ctx, rec)
	}
	key := rec.Message.Transport + ":" + rec.Message.From
	var out Outcome
	var stepErr error
	err := e.actors.do(ctx, key, func(ctx context.Context) {
		out, stepErr = e.processLocked(ctx, key, rec.ID)
	})
	if errors.Is(err, errStopped) {
		return Outcome{}, bot.Errorf(bot.CodeUnavailable, "the service is shutting down; try again shortly")
	}
	if err != nil {
		return Outcome{}, err
	}
	return out, stepErr
}

// processLocked holds the conversation's cross-instance lock around a step.
func (e *Engine) processLocked(ctx context.Context, key, inboxID string) (Outcome, error) {
	lock, err := e.cfg.Coord.Lock(ctx, "conversation:"+key, 30*time.Second)
	if err != nil {
		return Outcome{}, fmt.Errorf("engine: lock conversation: %w", err)
	}
	defer lock.Release(context.WithoutCancel(ctx))
	for attempt := 0; ; attempt++ {
		// Reload each time: another instance may have handled it meanwhile.
		rec, err := e.cfg.Store.InboxRecord(ctx, inboxID)
		if err != nil {
			return Outcome{}, err
		}
		if rec.ProcessedAt != nil {
			return decodeOutcome(rec)
		}
		out, err := e.step(ctx, rec)
		switch {
		case err == nil:
			e.obs.Inbound(rec.Message.Transport, out.Intent, false)
			if e.cfg.Committed != nil && len(out.OutboxIDs) > 0 {
				e.cfg.Committed(out.OutboxIDs)
			}
			return out, nil
		case errors.Is(err, bot.ErrVersionConflict) && attempt < 5:
			continue
		case errors.Is(err, bot.ErrAlreadyProcessed):
			continue
		case errors.Is(err, bot.ErrVersionConflict):
			return Outcome{}, bot.Errorf(bot.CodeUnavailable, "the conversation is busy right now; try again shortly")
		default:
			return Outcome{}, err
		}
	}
}

func decodeOutcome(rec bot.InboxRecord) (Outcome, error) {
	var out Outcome
	if err := json.Unmarshal(rec.Result, &out); err != nil {
		return Outcome{}, fmt.Errorf("engine: stored outcome of %s: %w", rec.ID, err)
	}
	out.Duplicate = true
	return out, nil
}

// Recover replays inbound messages (and billing events) that were stored
// but not processed before receivedBefore: the service stopped between
// acknowledging and answering, or processing failed. One failing record
// does not hold up the others: it is logged and retried on the next pass.
// It returns how many were handled and how many failed.
func (e *Engine) Recover(ctx context.Context, receivedBefore time.Time) (handled, failed int, err error) {
	pending, err := e.cfg.Store.UnprocessedInbound(ctx, receivedBefore, 1000)
	if err != nil {
		return 0, 0, err
	}
	for _, rec := range pending {
		if ctx.Err() != nil {
			return handled, failed, ctx.Err()
		}
		if _, err := e.Process(ctx, rec); err != nil {
			failed++
			e.log.Error("replay of a stored message failed", "inbox_id", rec.ID, "transport", rec.Message.Transport, "err", err)
			continue
		}
		handled++
	}
	return handled, failed, nil
}

// ActiveConversations is the number of conversations with a live actor.
func (e *Engine) ActiveConversations() int { return e.actors.active() }

// Close stops accepting messages and waits for queued ones to finish.
func (e *Engine) Close(ctx context.Context) error { return e.actors.stop(ctx) }

// NewID returns a fresh id from the engine's generator.
func (e *Engine) NewID(prefix string) string { return e.cfg.IDs.New(prefix) }
