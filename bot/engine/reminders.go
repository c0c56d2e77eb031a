package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
	"github.com/quitabot/quita/flows"
	"github.com/quitabot/quita/locales"
)

// Reminders enter a conversation like any other event: flows.Step renders
// them and one transaction writes state, transcript, outbox and — what
// makes them exactly-once — the reminder log rows under their unique key.
//
// Two paths. Debtors without a live actor (nearly all in a pass) are
// stepped from the facts the runner selected and committed 500 per
// transaction, optimistically: each conversation guarded by its loaded
// version, each invoice by the status and due date it was planned with,
// each step by its log key. Anything that moved fails the batch, whose
// debtors then take the path a debtor with a live actor takes at once: the
// actor and conversation lock, fresh facts, planned again, committed alone.
// An actor per cold debtor would cost a goroutine and a queue each for a
// minute, for nothing the version check does not already guarantee.

// reminderStore is what reminders need of the store beyond
// bot.ConversationStore; store.Store implements it. Once bot.Turn carries
// the marks (Turn.Reminders), CommitReminderTurns folds into CommitTurn.
type reminderStore interface {
	reminders.Store
	ConversationsByPhones(ctx context.Context, transports, phones []string) ([]bot.Conversation, error)
	CommitReminderTurns(ctx context.Context, turns []reminders.MarkedTurn) error
}

// reminderChunk is how many turns one transaction commits.
const reminderChunk = 500

// serialWrites marks a store with one writer at a time (SQLite): commits
// queue on a mutex here, not in SQLite's busy handler, which sleeps.
type serialWrites interface{ SerialWrites() bool }

var reminderWriteMu sync.Mutex

func commitReminders(ctx context.Context, rs reminderStore, turns []reminders.MarkedTurn) error {
	if s, ok := rs.(serialWrites); ok && s.SerialWrites() {
		reminderWriteMu.Lock()
		defer reminderWriteMu.Unlock()
	}
	return rs.CommitReminderTurns(ctx, turns)
}

// Remind implements reminders.Engine: it runs each debtor's due work
// through their conversation and reports what happened, in order.
func (e *Engine) Remind(ctx context.Context, debtors []reminders.Debtor) ([]reminders.Outcome, error) {
	rs, ok := e.cfg.Store.(reminderStore)
	if !ok {
		return nil, errors.New("engine: the store keeps no reminder log")
	}
	if len(e.cfg.Transports) == 0 {
		return nil, errors.New("engine: no transport configured")
	}
	now := e.cfg.Clock.Now().In(e.cfg.Location)
	outcomes := make([]reminders.Outcome, len(debtors))
	convs, err := e.reminderConversations(ctx, rs, debtors)
	if err != nil {
		return nil, err
	}
	type pending struct {
		i    int
		turn reminders.MarkedTurn
		out  reminders.Outcome
	}
	var batch []pending
	var alone []int
	seen := map[string]bool{}
	for i, d := range debtors {
		c := convs[i]
		key := c.conv.Transport + ":" + c.conv.Phone
		if seen[key] || e.actors.live(key) {
			alone = append(alone, i) // mid-conversation, or two debtors on one number
			continue
		}
		seen[key] = true
		mt, out, err := e.reminderTurn(now, c.conv, c.isNew, d)
		if err != nil {
			return outcomes, err
		}
		if mt == nil {
			outcomes[i] = out
			continue
		}
		// Reported once committed: a pass cut short must not count it.
		outcomes[i].CustomerID = d.Customer.ID
		batch = append(batch, pending{i, *mt, out})
	}
	for len(batch) > 0 {
		part := batch[:min(len(batch), reminderChunk)]
		batch = batch[len(part):]
		turns := make([]reminders.MarkedTurn, len(part))
		var ids []string
		for k, p := range part {
			turns[k] = p.turn
			ids = append(ids, messageIDs(p.turn.Turn)...)
		}
		err := commitReminders(ctx, rs, turns)
		switch {
		case err == nil:
			for _, p := range part {
				outcomes[p.i] = p.out
			}
			e.committed(ids)
			continue
		case ctx.Err() != nil:
			return outcomes, ctx.Err()
		case !errors.Is(err, bot.ErrVersionConflict) && !errors.Is(err, reminders.ErrAlreadyDone) && !errors.Is(err, reminders.ErrStale):
			return outcomes, err
		}
		for _, p := range part {
			alone = append(alone, p.i)
		}
	}
	for _, i := range alone {
		out, err := e.remindOne(ctx, rs, debtors[i], convs[i].conv)
		if err != nil {
			return outcomes, err
		}
		outcomes[i] = out
	}
	return outcomes, nil
}

type reminderConv struct {
	conv  bot.Conversation
	isNew bool
}

// reminderConversations finds each debtor's conversation in one query:
// on the first configured transport that has one, under any form of the
// number (the ninth digit), else a new one on the first transport.
func (e *Engine) reminderConversations(ctx context.Context, rs reminderStore, debtors []reminders.Debtor) ([]reminderConv, error) {
	var phones []string
	for _, d := range debtors {
		phones = append(phones, phone.Variants(d.Customer.Phone)...)
	}
	found, err := rs.ConversationsByPhones(ctx, e.cfg.Transports, phones)
	if err != nil {
		return nil, err
	}
	byPhone := map[string][]bot.Conversation{}
	for _, c := range found {
		byPhone[c.Phone] = append(byPhone[c.Phone], c)
	}
	now := e.cfg.Clock.Now().In(e.cfg.Location)
	out := make([]reminderConv, len(debtors))
	for i, d := range debtors {
		out[i] = e.pickConversation(d.Customer.Phone, byPhone, now)
	}
	return out, nil
}

func (e *Engine) pickConversation(number string, byPhone map[string][]bot.Conversation, now time.Time) reminderConv {
	for _, t := range e.cfg.Transports {
		for _, v := range append([]string{number}, phone.Variants(number)...) {
			for _, c := range byPhone[v] {
				if c.Transport == t {
					return reminderConv{conv: c}
				}
			}
		}
	}
	return reminderConv{isNew: true, conv: bot.Conversation{ID: e.cfg.IDs.New("cnv"), Phone: number, Transport: e.cfg.Transports[0],
		Status: bot.StatusOpen, State: flows.StateStart, CreatedAt: now, UpdatedAt: now}}
}

// remindOne is the careful path: the debtor's actor and conversation
// lock, fresh facts, planned again, committed alone.
func (e *Engine) remindOne(ctx context.Context, rs reminderStore, d reminders.Debtor, conv bot.Conversation) (reminders.Outcome, error) {
	key := conv.Transport + ":" + conv.Phone
	var out reminders.Outcome
	var stepErr error
	err := e.actors.do(ctx, key, func(ctx context.Context) {
		out, stepErr = e.remindLocked(ctx, rs, key, d, conv)
	})
	if errors.Is(err, errStopped) {
		return out, bot.Errorf(bot.CodeUnavailable, "the service is shutting down; try again shortly")
	}
	if err != nil {
		return out, err
	}
	return out, stepErr
}

func (e *Engine) remindLocked(ctx context.Context, rs reminderStore, key string, d reminders.Debtor, conv bot.Conversation) (reminders.Outcome, error) {
	lock, err := e.cfg.Coord.Lock(ctx, "conversation:"+key, 30*time.Second)
	if err != nil {
		return reminders.Outcome{}, fmt.Errorf("engine: lock conversation: %w", err)
	}
	defer lock.Release(context.WithoutCancel(ctx))
	for attempt := 0; ; attempt++ {
		now := e.cfg.Clock.Now().In(e.cfg.Location)
		current, isNew, err := e.loadConversation(ctx, conv.Transport, conv.Phone, now)
		if err != nil {
			return reminders.Outcome{}, err
		}
		fresh, held, err := e.replan(ctx, rs, d.Customer, policy.DateOf(now))
		if err != nil {
			return reminders.Outcome{}, err
		}
		if len(fresh.Due) == 0 {
			reason := "raced"
			if held > 0 {
				reason = "capped"
			}
			return reminders.Outcome{CustomerID: d.Customer.ID, Suppressed: reason}, nil
		}
		mt, out, err := e.reminderTurn(now, current, isNew, fresh)
		if err != nil || mt == nil {
			return out, err
		}
		err = commitReminders(ctx, rs, []reminders.MarkedTurn{*mt})
		switch {
		case err == nil:
			e.committed(messageIDs(mt.Turn))
			return out, nil
		case errors.Is(err, reminders.ErrAlreadyDone):
			return reminders.Outcome{CustomerID: d.Customer.ID, Suppressed: "duplicate"}, nil
		case (errors.Is(err, bot.ErrVersionConflict) || errors.Is(err, reminders.ErrStale)) && attempt < 5:
			continue
		case errors.Is(err, bot.ErrVersionConflict) || errors.Is(err, reminders.ErrStale):
			e.log.Warn("reminder kept conflicting; left for the next pass", "customer_id", d.Customer.ID)
			return reminders.Outcome{CustomerID: d.Customer.ID, Suppressed: "busy"}, nil
		}
		return reminders.Outcome{}, err
	}
}

// replan plans a debtor's work again from what the database says now.
func (e *Engine) replan(ctx context.Context, rs reminderStore, c bot.Customer, today policy.Date) (reminders.Debtor, int, error) {
	d := reminders.Debtor{Customer: c}
	invoices, err := e.cfg.Store.OpenInvoices(ctx, c.ID)
	if err != nil || len(invoices) == 0 {
		return d, 0, err
	}
	ids := make([]string, len(invoices))
	for i, inv := range invoices {
		ids[i] = inv.ID
	}
	cols, err := e.cfg.Store.Collections(ctx, ids)
	if err != nil {
		return d, 0, err
	}
	logs, err := rs.ReminderLog(ctx, ids)
	if err != nil {
		return d, 0, err
	}
	counts, err := rs.ReminderCounts(ctx, []string{c.ID}, today)
	if err != nil {
		return d, 0, err
	}
	d.Invoices, d.Collections = invoices, cols
	var due []reminders.Due
	for _, inv := range invoices {
		dec := reminders.Plan(e.cfg.Policy, reminders.Facts{Invoice: inv, Tags: c.Tags, Collection: cols[inv.ID], Log: logs[inv.ID]}, today)
		if dec.Due != nil {
			due = append(due, *dec.Due)
		}
	}
	var held int
	d.Due, held = reminders.Compose(e.cfg.Policy, due, counts[c.ID])
	return d, held, nil
}

// reminderTurn steps a debtor's conversation with their due work and
// returns the turn and its log rows, or nil with the reason nothing is to
// be written. A promise follow-up goes alone, as the negotiation flow's
// event; steps, a claim review (reminders.Compose never pairs it with
// steps) and escalations go together as one reminder event.
func (e *Engine) reminderTurn(now time.Time, conv bot.Conversation, isNew bool, d reminders.Debtor) (*reminders.MarkedTurn, reminders.Outcome, error) {
	out := reminders.Outcome{CustomerID: d.Customer.ID}
	customer := d.Customer
	if conv.Locale == "" && customer.Locale != "" {
		conv.Locale = locales.Resolve(customer.Locale)
	}
	tc := &turnContext{now: now, conv: conv, isNew: isNew, customer: &customer, locale: cmp.Or(conv.Locale, e.cfg.DefaultLocale)}
	if err := json.Unmarshal(conv.Memory, &tc.mem); len(conv.Memory) > 0 && err != nil {
		return e.skipped(out, fmt.Errorf("engine: memory of %s: %w", conv.ID, err))
	}
	tc.rebind(&customer)
	conv = tc.conv
	work := d.Due
	stop := flows.ProactiveStop(conv.State, tc.mem, e.cfg.Policy, policy.DateOf(now).String())
	if stop != "" && !flows.HandOverWhenStopped(stop) {
		// A person holds the conversation, or the debtor talked with us
		// today: everything waits for a later pass.
		out.Suppressed = stop
		return nil, out, nil
	}
	tc.env = e.env(now, &customer, d.Invoices)
	for id, c := range d.Collections {
		tc.env.Collections[id] = c
	}
	for _, due := range work {
		if due.Action == reminders.ActionPromiseMissed {
			work = []reminders.Due{due}
			break
		}
	}
	in, text := reminderInput(work, d.Invoices)
	if stop != "" {
		text += " (nothing sent: " + stop + ")"
	}
	res := flows.Step(conv.State, tc.mem, in, tc.env)
	if len(res.Actions) == 0 && in.Event == flows.EventReminder && stop == "" {
		// Nothing to log: the step stays due and is tried again next pass.
		e.log.Warn("reminder flow had nothing to say", "customer_id", customer.ID, "state", conv.State)
		out.Suppressed = "no_message"
		return nil, out, nil
	}
	first := bot.TranscriptEntry{At: now, Direction: bot.DirectionSystem, Author: bot.AuthorSystem, Text: text,
		StateFrom: conv.State, StateTo: res.State}
	turn, err := e.buildTurn(tc, res, first)
	if err != nil {
		return e.skipped(out, err)
	}
	outboxID := ""
	if msg := messageIDs(turn); len(msg) > 0 {
		outboxID, out.Messages = msg[0], 1
	}
	mt := &reminders.MarkedTurn{Turn: turn}
	today := policy.DateOf(now)
	dueDates := map[string]string{}
	for _, inv := range d.Invoices {
		dueDates[inv.ID] = inv.DueDate
	}
	mark := func(due reminders.Due, key, kind, outbox string) {
		mt.Marks = append(mt.Marks, reminders.Mark{InvoiceID: due.InvoiceID, Key: key, CustomerID: customer.ID, Kind: kind,
			OutboxID: outbox, Day: today, At: now, DueDate: dueDates[due.InvoiceID]})
	}
	for _, due := range work {
		switch due.Action {
		case reminders.ActionEscalate:
			mark(due, due.Key, reminders.LoggedEscalated, "")
		case reminders.ActionPromiseMissed:
			mark(due, due.Key, reminders.LoggedFollowUp, outboxID)
		case reminders.ActionClaimReview:
			mark(due, due.Key, reminders.LoggedClaimReview, outboxID)
		default:
			if stop != "" {
				// Not sent to a stopped number (opted out, wrong, deceased,
				// a relative this week, unanswered): logged as superseded,
				// so the cadence moves on and its end reaches a person
				// instead of this step being planned again every pass.
				mark(due, due.Key, reminders.LoggedSuperseded, "")
				break
			}
			mark(due, due.Key, reminders.LoggedSent, outboxID)
		}
		for _, old := range due.Superseded {
			mark(due, old, reminders.LoggedSuperseded, "")
		}
	}
	out.Done = len(work)
	if stop != "" {
		out.Suppressed = stop // nothing went to the debtor
	}
	return mt, out, nil
}

// skipped logs a debtor whose turn cannot be built (unreadable memory, a
// cadence key missing from a catalog) and reports it, so that one bad
// record never stops a pass for everybody.
func (e *Engine) skipped(out reminders.Outcome, err error) (*reminders.MarkedTurn, reminders.Outcome, error) {
	e.log.Error("reminder turn failed; debtor skipped", "customer_id", out.CustomerID, "err", err)
	out.Suppressed = "error"
	return nil, out, nil
}

// reminderInput is the flow input for work, and the transcript line that
// records it.
func reminderInput(work []reminders.Due, invoices []bot.Invoice) (flows.Input, string) {
	invoice := func(id string) *bot.Invoice {
		for i := range invoices {
			if invoices[i].ID == id {
				return &invoices[i]
			}
		}
		return &bot.Invoice{ID: id}
	}
	if work[0].Action == reminders.ActionPromiseMissed {
		return flows.Input{Event: flows.EventPromiseMissed, Invoice: invoice(work[0].InvoiceID)},
			flows.EventPromiseMissed + " " + work[0].InvoiceID + " (promised " + work[0].PromiseDate + ")"
	}
	items := make([]flows.ReminderItem, len(work))
	names := make([]string, len(work))
	for i, d := range work {
		it := flows.ReminderItem{Kind: flows.ReminderStep, InvoiceID: d.InvoiceID, Step: d.Key, Message: d.Step.Message,
			Tone: string(d.Step.Tone), Offset: d.Step.OffsetDays, Due: d.ShownDue, Anchor: d.Anchor.String()}
		switch d.Action {
		case reminders.ActionEscalate:
			it.Kind, it.Escalation = flows.ReminderEscalate, string(d.Escalation)
		case reminders.ActionClaimReview:
			// Not a cadence step: no message key, tone or offset.
			it = flows.ReminderItem{Kind: flows.ReminderClaimReview, InvoiceID: d.InvoiceID, Step: d.Key, Due: d.ShownDue, Anchor: d.Anchor.String()}
		}
		if in := d.Installment; in != nil {
			it.Installment = &flows.ReminderInstallment{Number: in.Number, Count: in.Count, AmountCents: in.AmountCents, Due: in.Due}
		}
		items[i], names[i] = it, d.Key+" "+d.InvoiceID
	}
	return flows.Input{Event: flows.EventReminder, Reminder: items, Invoice: invoice(work[0].InvoiceID)},
		flows.EventReminder + " " + strings.Join(names, ", ")
}

// buildTurn is commit without the write: the flow result as a Turn.
func (e *Engine) buildTurn(tc *turnContext, res flows.Result, first bot.TranscriptEntry) (bot.Turn, error) {
	conv := tc.conv
	conv.State, conv.UpdatedAt = res.State, tc.now
	var err error
	if conv.Memory, err = json.Marshal(res.Memory); err != nil {
		return bot.Turn{}, err
	}
	turn := bot.Turn{Conversation: conv, IsNew: tc.isNew, Entries: tc.entries(first)}
	var out Outcome
	// Reminder turns are built in a batch without a request context; the
	// context only reaches media storage, which reminders do not use.
	err = e.applyActions(context.Background(), &turn, &out, res.Actions, tc.locale, tc.customer, tc.now)
	return turn, err
}

// messageIDs returns the ids of the turn's messages to the debtor, in
// order; the first is the one log rows point at and caps count.
func messageIDs(t bot.Turn) []string {
	var ids []string
	for _, o := range t.Outbox {
		if o.Kind == bot.OutboxMessage {
			ids = append(ids, o.ID)
		}
	}
	return ids
}

// committed wakes the senders after reminder turns were written.
func (e *Engine) committed(ids []string) {
	if e.cfg.Committed != nil && len(ids) > 0 {
		e.cfg.Committed(ids)
	}
}

// live reports whether key has an actor now: a debtor mid-conversation.
func (a *actors) live(key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.boxes[key]
	return ok
}
