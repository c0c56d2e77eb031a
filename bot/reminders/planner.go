package reminders

import (
	"strconv"
	"strings"
	"sync"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// Action is what the planner asks for on an invoice.
type Action string

// The actions.
const (
	ActionStep          Action = "step"           // send a cadence step (or an installment's)
	ActionPromiseMissed Action = "promise_missed" // follow up a promise date that passed unpaid
	ActionEscalate      Action = "escalate"       // the cadence is over: hand over as policy says
)

// Kinds of reminder log entries.
const (
	LoggedSent       = "sent"       // went out in the message OutboxID
	LoggedSuperseded = "superseded" // never sent: a later step went out instead
	LoggedFollowUp   = "followup"   // the promise follow-up was handled (sent or, silently, not needed)
	LoggedEscalated  = "escalated"  // handed over after the last step
)

// Reasons a step that would be due is held back.
const (
	HeldTimeBarred = "time_barred"
	HeldDisputed   = "disputed"
	HeldClaimed    = "claimed"
	HeldPromised   = "promised"
)

// Logged is one reminder log entry of an invoice, as the planner needs it.
type Logged struct {
	Kind string
	Day  policy.Date // the business day it was written
}

// Facts are what the planner knows about one invoice.
type Facts struct {
	Invoice bot.Invoice
	// Tags are the customer's, for segment cadences.
	Tags []string
	// Collection is the invoice's collection state; zero means active.
	Collection bot.Collection
	// Log holds the invoice's reminder log by key.
	Log map[string]Logged
}

// Installment is the plan installment a step reminds of.
type Installment struct {
	Number      int    `json:"number"` // 1…Count; 0 is the entrada
	Count       int    `json:"count"`
	AmountCents int64  `json:"amount_cents"`
	Due         string `json:"due"` // ISO date
}

// Due is one piece of reminder work on an invoice today.
type Due struct {
	InvoiceID string
	Action    Action
	// Key is the reminder log key, unique per invoice: "d+7@2026-11-25",
	// "plan-2:d0@2027-01-23", "promise@2026-12-10", "escalation@2026-11-25".
	// The date is the one the step counts from, so a new due date (billing
	// re-dated the invoice, an extension) starts a fresh cadence.
	Key  string
	Step policy.Step // the cadence step, for ActionStep
	// Day is the day it fell due, before contact windows and caps.
	Day policy.Date
	// Anchor is the date steps count from: the due date moved to a
	// business day, since a boleto due on a Sunday is payable on Monday
	// without charges (CC art. 132) and is not late before then.
	Anchor policy.Date
	// ShownDue is the due date the debtor knows (ISO), shown in messages.
	ShownDue    string
	Installment *Installment
	// Superseded are earlier keys never sent, logged with this one so a
	// pass after an outage sends the latest step, not a burst of old ones.
	Superseded []string
	Escalation policy.EscalationAction
	// AfterClaim marks the first reminder after an unconfirmed "já paguei".
	AfterClaim bool
	// PromiseDate is the date promised, for ActionPromiseMissed.
	PromiseDate string
}

// Decision is the planner's answer for one invoice: work to do, or why a
// step that would be due is held back, or neither.
type Decision struct {
	Due  *Due
	Held string
}

// StepKey names cadence step offset counted from date, with an optional
// prefix for installments ("plan-2:").
func StepKey(prefix string, offset int, date policy.Date) string {
	return stepKey(prefix, offset, date.String())
}

func stepKey(prefix string, offset int, date string) string {
	sign := ""
	if offset > 0 {
		sign = "+"
	}
	return prefix + "d" + sign + strconv.Itoa(offset) + "@" + date
}

// Plan returns what is due on one invoice today. It is pure: the same facts
// and day give the same answer, which is what lets several instances plan
// alike and the unique log key decide who sends.
func Plan(p policy.Policy, f Facts, today policy.Date) Decision {
	inv := f.Invoice
	if inv.Status != bot.InvoiceOpen {
		return Decision{}
	}
	due, err := policy.ParseDate(inv.DueDate)
	if err != nil {
		return Decision{}
	}
	active := func() *Due { return cadence(p, f, today, due) }
	if p.TimeBarred(due, today) {
		return held(active(), HeldTimeBarred)
	}
	c := f.Collection
	until, _ := policy.ParseDate(c.Until) // zero when unset
	switch c.Status {
	case bot.CollectionDisputed:
		// A dispute waits for a person, unless it was given an end.
		if until.IsZero() || !today.After(until) {
			return held(active(), HeldDisputed)
		}
	case bot.CollectionClaimed:
		if until.IsZero() || !today.After(until) {
			return held(active(), HeldClaimed)
		}
		d := active()
		if d != nil && d.Action == ActionStep {
			d.AfterClaim = !loggedAfter(f.Log, until)
		}
		return Decision{Due: d}
	case bot.CollectionPromised:
		if !until.IsZero() {
			return promised(p, f, today, due, until)
		}
	case bot.CollectionExtended:
		if !until.IsZero() {
			return Decision{Due: cadence(p, f, today, until)}
		}
	case bot.CollectionPlan:
		return Decision{Due: planned(p, f, today)}
	}
	return Decision{Due: active()}
}

func held(d *Due, reason string) Decision {
	if d == nil {
		return Decision{}
	}
	return Decision{Held: reason}
}

// cadence plans the invoice's cadence counted from base (its due date, or
// the new date of an extension), then the escalation after it.
func cadence(p policy.Policy, f Facts, today, base policy.Date) *Due {
	inv := f.Invoice
	steps := p.CadenceFor(inv.AmountCents, f.Tags)
	anchor := nextBusinessDay(p, base)
	if d := latestStep(steps, anchor, base, today, f.Log, ""); d != nil {
		d.InvoiceID, d.ShownDue = inv.ID, base.String()
		return d
	}
	esc := p.EscalationFor(inv.AmountCents, f.Tags)
	if esc.Action == policy.EscalateNone || esc.Action == "" || today.Before(anchor.AddDays(esc.OffsetDays)) {
		return nil
	}
	key := "escalation@" + base.String()
	if _, done := f.Log[key]; done {
		return nil
	}
	// Every step is sent, superseded or stale by now (latestStep found
	// nothing); never hand over on the day a reminder went out.
	for _, s := range steps {
		if l, ok := f.Log[StepKey("", s.OffsetDays, base)]; ok && !l.Day.Before(today) {
			return nil
		}
	}
	return &Due{InvoiceID: inv.ID, Action: ActionEscalate, Key: key, Day: anchor.AddDays(esc.OffsetDays),
		Anchor: anchor, ShownDue: base.String(), Escalation: esc.Action}
}

// latestStep returns the latest step due by today that was not logged and
// is still relevant, with the older unlogged due steps as superseded. A
// step before the last logged one is never sent: the cadence only moves on.
func latestStep(steps []policy.Step, anchor, base, today policy.Date, log map[string]Logged, prefix string) *Due {
	date := base.String()
	last := -1
	for i, s := range steps {
		if len(log) == 0 {
			break
		}
		if _, ok := log[stepKey(prefix, s.OffsetDays, date)]; ok {
			last = i
		}
	}
	var cand []int
	for i := last + 1; i < len(steps) && !anchor.AddDays(steps[i].OffsetDays).After(today); i++ {
		cand = append(cand, i)
	}
	if len(cand) == 0 {
		return nil
	}
	j := cand[len(cand)-1]
	s := steps[j]
	if !relevant(s.OffsetDays, anchor, today) {
		return nil
	}
	d := &Due{Action: ActionStep, Key: stepKey(prefix, s.OffsetDays, date), Step: s, Day: anchor.AddDays(s.OffsetDays), Anchor: anchor}
	for _, i := range cand[:len(cand)-1] {
		d.Superseded = append(d.Superseded, stepKey(prefix, steps[i].OffsetDays, date))
	}
	return d
}

// relevant reports whether a step is still true today: "vence em 25/11"
// only before the due date, "vence hoje" only on it; overdue steps stay
// true until a later step replaces them.
func relevant(offset int, anchor, today policy.Date) bool {
	switch {
	case offset < 0:
		return today.Before(anchor)
	case offset == 0:
		return today == anchor
	}
	return true
}

// promised holds the cadence until the promised date; the day after it
// (promises.follow_up_days) an invoice still open gets one polite follow-up
// instead of a step — the steps that fell due meanwhile are superseded, not
// sent in a row — and then the cadence resumes.
func promised(p policy.Policy, f Facts, today, due, promise policy.Date) Decision {
	active := cadence(p, f, today, due)
	follow := promise.AddDays(max(1, p.Promises.FollowUpDays))
	if today.Before(follow) {
		return held(active, HeldPromised)
	}
	key := "promise@" + promise.String()
	if _, done := f.Log[key]; done {
		return Decision{Due: active}
	}
	d := &Due{InvoiceID: f.Invoice.ID, Action: ActionPromiseMissed, Key: key, Day: follow, Anchor: nextBusinessDay(p, due),
		ShownDue: due.String(), PromiseDate: promise.String()}
	if active != nil && active.Action == ActionStep {
		d.Superseded = append(append(d.Superseded, active.Superseded...), active.Key)
	}
	return Decision{Due: d}
}

func loggedAfter(log map[string]Logged, day policy.Date) bool {
	for _, l := range log {
		if l.Day.After(day) {
			return true
		}
	}
	return false
}

// businessDays memoises policy.NextBusinessDay, which recomputes the
// year's holidays on every call; a pass asks it about the same few due
// dates thousands of times. The key holds the only policy input besides
// the national calendar: holidays.extra.
var businessDays sync.Map // businessDay → policy.Date

type businessDay struct {
	day   policy.Date
	extra string
}

func nextBusinessDay(p policy.Policy, d policy.Date) policy.Date {
	k := businessDay{d, strings.Join(p.ContactWindows.Holidays.Extra, "\x00")}
	if v, ok := businessDays.Load(k); ok {
		return v.(policy.Date)
	}
	next := p.NextBusinessDay(d)
	businessDays.Store(k, next)
	return next
}
