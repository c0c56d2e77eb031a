package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/jsonw"
	"github.com/quitabot/quita/bot/phone"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/flows"
	"github.com/quitabot/quita/locales"
)

// turnContext is what a step knows before the flow runs.
type turnContext struct {
	now      time.Time
	conv     bot.Conversation
	isNew    bool
	customer *bot.Customer
	locale   string
	mem      flows.Memory
	env      flows.Env
	// notes are system transcript entries written before the turn's own
	// (the customer behind the number changed).
	notes []bot.TranscriptEntry
}

// entries is the turn's transcript: the notes, then first.
func (tc *turnContext) entries(first bot.TranscriptEntry) []bot.TranscriptEntry {
	return append(append([]bot.TranscriptEntry{}, tc.notes...), first)
}

// rebind points the conversation at customer. When the number now belongs
// to another customer than the one the conversation was with (a family
// phone, a reused number, billing re-assigning it), the identity confirmed
// for the previous one does not carry over: the flows forget it and what
// was under discussion, the transcript says so, and the next request is
// met with the identity question again. Nothing is ever shown to a person
// about a customer they did not confirm to be.
func (tc *turnContext) rebind(customer *bot.Customer) {
	previous := tc.conv.CustomerID
	tc.conv.CustomerID = customer.ID
	if previous == "" || previous == customer.ID {
		return
	}
	tc.conv.State, tc.mem = flows.CustomerChanged(tc.conv.State, tc.mem)
	tc.notes = append(tc.notes, bot.TranscriptEntry{At: tc.now, Direction: bot.DirectionSystem, Author: bot.AuthorSystem,
		Text:      "the number now belongs to customer " + customer.ID + " (was " + previous + "): identity will be asked again",
		StateFrom: tc.conv.State, StateTo: tc.conv.State})
}

// prepare loads a conversation (or starts one) and what the flow may know.
func (e *Engine) prepare(ctx context.Context, transport, from string) (*turnContext, error) {
	now := e.cfg.Clock.Now().In(e.cfg.Location)
	conv, isNew, err := e.loadConversation(ctx, transport, from, now)
	if err != nil {
		return nil, err
	}
	customer, err := e.cfg.Store.CustomerByPhone(ctx, phone.Variants(from))
	if err != nil {
		return nil, err
	}
	var invoices []bot.Invoice
	if customer != nil {
		if conv.Locale == "" && customer.Locale != "" {
			conv.Locale = locales.Resolve(customer.Locale)
		}
		if invoices, err = e.cfg.Store.OpenInvoices(ctx, customer.ID); err != nil {
			return nil, err
		}
	}
	tc := &turnContext{now: now, conv: conv, isNew: isNew, customer: customer, locale: conv.Locale}
	if tc.locale == "" {
		tc.locale = e.cfg.DefaultLocale
	}
	if len(conv.Memory) > 0 {
		if err := json.Unmarshal(conv.Memory, &tc.mem); err != nil {
			return nil, fmt.Errorf("engine: memory of %s: %w", conv.ID, err)
		}
	}
	if customer != nil {
		tc.rebind(customer)
	}
	tc.env = e.env(now, customer, invoices)
	tc.env.Agent = conv.Agent
	if len(invoices) > 0 {
		ids := make([]string, len(invoices))
		for i, inv := range invoices {
			ids[i] = inv.ID
		}
		if tc.env.Collections, err = e.cfg.Store.Collections(ctx, ids); err != nil {
			return nil, err
		}
	}
	return tc, nil
}

// step handles one stored inbound message: everything it writes goes into
// a single Turn.
func (e *Engine) step(ctx context.Context, rec bot.InboxRecord) (Outcome, error) {
	msg := rec.Message
	tc, err := e.prepare(ctx, msg.Transport, msg.From)
	if err != nil {
		return Outcome{}, err
	}
	if msg.Kind != bot.InboundDebtor {
		return e.recordOnly(ctx, tc, rec)
	}
	var class bot.Classification
	switched := ""
	if msg.Text != "" {
		class, switched = e.classify(tc, msg.Text)
	} else {
		class = bot.Classification{Intent: bot.IntentUnknown}
	}
	res := flows.Step(tc.conv.State, tc.mem, flows.Input{Text: msg.Text, Class: class, Media: msg.Media}, tc.env)
	// The full menu never twice in a row (flows.OneMenu); no reminder
	// interrupts a day the person talked with us (flows.ProactiveStop).
	res = flows.OneMenu(tc.mem.MenuShown, res)
	res.Memory.WroteOn = tc.env.Today
	res.Memory.LocaleCandidate, res.Memory.LocaleStreak = tc.mem.LocaleCandidate, tc.mem.LocaleStreak
	if switched != "" {
		e.switchCustomerLocale(ctx, tc, switched)
	}
	first := bot.TranscriptEntry{At: tc.now, Direction: bot.DirectionIn, Author: bot.AuthorDebtor,
		Text: msg.Text, Media: msg.Media, Intent: string(class.Intent), StateFrom: tc.conv.State, StateTo: res.State}
	return e.commit(ctx, tc, res, first, rec.ID, class.Intent)
}

// localeSwitchStreak is how many messages in a row must be written in
// another language before the conversation's language becomes it: one
// message may be a quote, a copied sentence or a tourist phrase.
const localeSwitchStreak = 2

// classify understands text in the language it is written in. A message
// detected in another language than the conversation's is classified and
// answered in that language (tc.locale) at once; the second such message
// in a row makes it the conversation's language, with a system transcript
// entry, and switched names it so the customer record can follow. A
// message too short or ambiguous to tell ("ok", "1", "👍") keeps the
// conversation's language (or the one being switched to) and leaves the
// count as it was.
func (e *Engine) classify(tc *turnContext, text string) (class bot.Classification, switched string) {
	dc, ok := e.cfg.Classifier.(DetectingClassifier)
	if !ok {
		return e.cfg.Classifier.Classify(text, tc.locale, tc.now), ""
	}
	// A message too short to tell is read, and answered, in the language
	// the person last wrote in: "ok" after "hola, ¿cuánto debo?" is Spanish.
	fallback := tc.locale
	if tc.mem.LocaleCandidate != "" {
		fallback = tc.mem.LocaleCandidate
	}
	class, detected := dc.ClassifyDetected(text, fallback, tc.now)
	switch {
	case detected == "":
		tc.locale = fallback
		return class, ""
	case detected == tc.locale:
		tc.mem.LocaleCandidate, tc.mem.LocaleStreak = "", 0
		return class, ""
	}
	if tc.mem.LocaleCandidate == detected {
		tc.mem.LocaleStreak++
	} else {
		tc.mem.LocaleCandidate, tc.mem.LocaleStreak = detected, 1
	}
	// Resolve maps a classifier locale onto one the catalog answers in.
	detected = locales.Resolve(detected)
	previous := tc.locale
	tc.locale = detected
	if tc.mem.LocaleStreak < localeSwitchStreak {
		return class, ""
	}
	tc.mem.LocaleCandidate, tc.mem.LocaleStreak = "", 0
	tc.conv.Locale = detected
	tc.notes = append(tc.notes, bot.TranscriptEntry{At: tc.now, Direction: bot.DirectionSystem, Author: bot.AuthorSystem,
		Text:      fmt.Sprintf("language changed from %s to %s: the person wrote %d messages in a row in %s", previous, detected, localeSwitchStreak, detected),
		StateFrom: tc.conv.State, StateTo: tc.conv.State})
	return class, detected
}

// switchCustomerLocale records the customer's new language, so reminders
// and future conversations start in it. It runs before the turn commits
// and is not part of its transaction: a failure is logged, not fatal,
// since the conversation already carries the language.
func (e *Engine) switchCustomerLocale(ctx context.Context, tc *turnContext, locale string) {
	up, ok := e.cfg.Store.(customerUpserter)
	if !ok || tc.customer == nil || tc.customer.Locale == locale {
		return
	}
	c := *tc.customer
	c.Locale, c.UpdatedAt = locale, tc.now
	if err := up.UpsertCustomer(ctx, c); err != nil {
		e.log.Warn("engine: recording the customer's language", "customer", c.ID, "locale", locale, "err", err)
		return
	}
	tc.customer.Locale = locale
}

// commit turns a flow result into one Turn and writes it.
func (e *Engine) commit(ctx context.Context, tc *turnContext, res flows.Result, first bot.TranscriptEntry, inboxID string, intent bot.Intent) (Outcome, error) {
	conv := tc.conv
	conv.State = res.State
	conv.UpdatedAt = tc.now
	var err error
	if conv.Memory, err = json.Marshal(res.Memory); err != nil {
		return Outcome{}, err
	}
	turn := bot.Turn{Conversation: conv, IsNew: tc.isNew, InboxID: inboxID, Entries: tc.entries(first)}
	out := Outcome{ConversationID: conv.ID, Intent: intent, State: res.State}
	if err := e.applyActions(ctx, &turn, &out, res.Actions, tc.locale, tc.customer, tc.now); err != nil {
		return Outcome{}, err
	}
	if turn.Result, err = json.Marshal(out); err != nil {
		return Outcome{}, err
	}
	if _, err := e.cfg.Store.CommitTurn(ctx, turn); err != nil {
		return Outcome{}, err
	}
	e.published(ctx, conv.ID)
	return out, nil
}

func (e *Engine) loadConversation(ctx context.Context, transport, from string, now time.Time) (bot.Conversation, bool, error) {
	conv, err := e.cfg.Store.ConversationByPhone(ctx, transport, from)
	if err != nil {
		return bot.Conversation{}, false, err
	}
	if conv != nil {
		return *conv, false, nil
	}
	return bot.Conversation{ID: e.cfg.IDs.New("cnv"), Phone: from, Transport: transport, Status: bot.StatusOpen,
		State: flows.StateStart, CreatedAt: now, UpdatedAt: now}, true, nil
}

// env gathers what the flow may know, with today's charges per policy.
func (e *Engine) env(now time.Time, customer *bot.Customer, invoices []bot.Invoice) flows.Env {
	today := policy.DateOf(now)
	env := flows.Env{Now: now, Today: today.String(), Customer: customer, Invoices: invoices, Charges: map[string]flows.Charge{},
		Collections: map[string]bot.Collection{}, Policy: e.cfg.Policy}
	for _, inv := range invoices {
		due, err := policy.ParseDate(inv.DueDate)
		if err != nil {
			continue
		}
		fee, interest, total := e.cfg.Policy.LateCharges(inv.AmountCents, due, today)
		env.Charges[inv.ID] = flows.Charge{LateFeeCents: fee, InterestCents: interest, TotalCents: total}
	}
	return env
}

// applyActions turns flow actions into transcript entries, outbox items
// and conversation changes on turn.
func (e *Engine) applyActions(ctx context.Context, turn *bot.Turn, out *Outcome, actions []flows.Action, locale string, customer *bot.Customer, now time.Time) error {
	conv := &turn.Conversation
	for _, a := range actions {
		switch a := a.(type) {
		case flows.Reply:
			msg, err := e.render(locale, a)
			if err != nil {
				return err
			}
			if msg.Document == nil && a.PixQR != "" {
				if msg.Document, err = e.pixQR(ctx, a.PixQR); err != nil {
					return err
				}
			}
			msg.ID, msg.ConversationID, msg.To = e.cfg.IDs.New("out"), conv.ID, conv.Phone
			payload, err := json.Marshal(messagePayload{Text: msg.Text, Buttons: msg.Buttons, Document: msg.Document, About: a.About,
				Key: msg.Key, Params: msg.Params, Locale: msg.Locale})
			if err != nil {
				return err
			}
			turn.Outbox = append(turn.Outbox, bot.OutboxItem{ID: msg.ID, Kind: bot.OutboxMessage, ConversationID: conv.ID,
				Transport: conv.Transport, Recipient: conv.Phone, Payload: payload, NextAttemptAt: now, CreatedAt: now})
			turn.Entries = append(turn.Entries, bot.TranscriptEntry{At: now, Direction: bot.DirectionOut, Author: bot.AuthorBot,
				Text: msg.Text, Media: msg.Document, Status: bot.DeliveryQueued, OutboxID: msg.ID})
			out.OutboxIDs = append(out.OutboxIDs, msg.ID)
		case flows.SetStatus:
			conv.Status = a.Status
		case flows.SetCollection:
			turn.Collections = append(turn.Collections, bot.Collection{InvoiceID: a.InvoiceID, Status: a.Status,
				Until: a.Until, Detail: a.Detail, UpdatedAt: now})
			turn.Entries = append(turn.Entries, bot.TranscriptEntry{At: now, Direction: bot.DirectionSystem,
				Author: bot.AuthorSystem, Text: "collection of " + a.InvoiceID + ": " + string(a.Status) + untilText(a.Until)})
		case flows.Emit:
			item, err := e.event(a, conv, customer, now)
			if err != nil {
				return err
			}
			turn.Outbox = append(turn.Outbox, item)
			turn.Entries = append(turn.Entries, bot.TranscriptEntry{At: now, Direction: bot.DirectionSystem,
				Author: bot.AuthorSystem, Text: "event " + a.Type})
		default:
			return fmt.Errorf("engine: unknown flow action %T", a)
		}
	}
	return nil
}

// event builds the outbox item of a billing event; the payload is fixed now
// so every retry carries the same body and webhook-id.
func (e *Engine) event(a flows.Emit, conv *bot.Conversation, customer *bot.Customer, now time.Time) (bot.OutboxItem, error) {
	data := map[string]any{"conversation_id": conv.ID, "phone": conv.Phone}
	if customer != nil {
		id := customer.ExternalID
		if id == "" {
			id = customer.ID
		}
		data["customer_id"] = id
	}
	for k, v := range a.Data {
		data[k] = v
	}
	// jsonw writes what encoding/json would, without its reflection: a
	// reminder pass emits one event per message.
	body, err := jsonw.Marshal(map[string]any{"type": a.Type, "created_at": now.Format(time.RFC3339), "data": data})
	if err != nil {
		return bot.OutboxItem{}, err
	}
	return bot.OutboxItem{ID: e.cfg.IDs.New("evt"), Kind: bot.OutboxEvent, ConversationID: conv.ID, EventType: a.Type,
		Payload: body, NextAttemptAt: now, CreatedAt: now}, nil
}

func untilText(until string) string {
	if until == "" {
		return ""
	}
	return " until " + until
}
