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
	// ActionClaimReview hands a payment claim whose review window passed
	// unconfirmed to a person, and tells the debtor so; collection of the
	// invoice stays paused.
	ActionClaimReview Action = "claim_review"
)

// Kinds of reminder log entries.
const (
	LoggedSent       = "sent"       // went out in the message OutboxID
	LoggedSuperseded = "superseded" // never sent: a later step went out instead
	LoggedFollowUp   = "followup"   // the promise follow-up was handled (sent or, silently, not needed)
	LoggedEscalated  = "escalated"  // handed over after the last step
	// LoggedClaimReview: the claim went to a person after its review
	// window, in the message OutboxID.
	LoggedClaimReview = "claim_review"
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
	// "plan-2:d0@2027-01-23", "promise@2026-12-10", "escalation@2026-11-25",
	// "claim-review@2026-12-11" (the end of the review window).
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
//
// The cadence's rules, beyond "the latest step due and still true":
//   - a step before the due date that falls on a day without contact
//     windows is due on the latest contact day before it, while it is true;
//   - per invoice, the tone never falls below the highest tone already sent
//     (an extension or a new due date re-dates the cadence, not the
//     debtor's history): lower steps are skipped, then superseded;
//   - the final notice goes at most once per invoice, never as its first
//     message;
//   - an invoice first reminded after its due date starts with the first
//     friendly overdue step, and each later step waits the cadence's
//     spacing after the day the step before it actually went out, up to the
//     escalation: the tone climbs as it would have, only later;
//   - a claimed invoice ("já paguei") hears no step at all; once its review
//     window passed unconfirmed, one claim review hands it to a person.
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
		return claimed(p, f, today, due, until, active)
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

// claimed never sends a cadence step for an invoice the debtor says they
// paid, before or after the review deadline: a reminder, let alone the
// final notice, to someone whose receipt waits for a person is exactly what
// the pause is for. Once the deadline passed with no word from billing or
// an agent, one claim review hands the case to a person and tells the
// debtor; then nothing until the collection state changes (confirmed,
// rejected, paid). A claim without a deadline waits for a person.
func claimed(p policy.Policy, f Facts, today, due, until policy.Date, active func() *Due) Decision {
	if until.IsZero() || !today.After(until) {
		return held(active(), HeldClaimed)
	}
	key := "claim-review@" + until.String()
	if _, done := f.Log[key]; done {
		return held(active(), HeldClaimed)
	}
	return Decision{Due: &Due{InvoiceID: f.Invoice.ID, Action: ActionClaimReview, Key: key, Day: until.AddDays(1),
		Anchor: nextBusinessDay(p, due), ShownDue: due.String()}}
}

// cadence plans the invoice's cadence counted from base (its due date, or
// the new date of an extension), then the escalation after it.
func cadence(p policy.Policy, f Facts, today, base policy.Date) *Due {
	inv := f.Invoice
	steps := p.CadenceFor(inv.AmountCents, f.Tags)
	esc := p.EscalationFor(inv.AmountCents, f.Tags)
	anchor := nextBusinessDay(p, base)
	date := base.String()
	h := readHistory(steps, f.Log)
	late := h.firstBase == date && h.firstOffset > 0
	days := schedule(p, steps, esc.OffsetDays, anchor, f.Log, "", date, late)
	if d := nextStep(steps, days, anchor, today, f.Log, date, h); d != nil {
		d.InvoiceID, d.ShownDue = inv.ID, date
		return d
	}
	escDay := days[len(steps)]
	if esc.Action == policy.EscalateNone || esc.Action == "" || today.Before(escDay) {
		return nil
	}
	key := "escalation@" + date
	if _, done := f.Log[key]; done {
		return nil
	}
	// Every step is sent, superseded, stale or below the tone reached by
	// now (nextStep found nothing); never hand over on the day a reminder
	// went out.
	for _, s := range steps {
		if l, ok := f.Log[stepKey("", s.OffsetDays, date)]; ok && !l.Day.Before(today) {
			return nil
		}
	}
	return &Due{InvoiceID: inv.ID, Action: ActionEscalate, Key: key, Day: escDay,
		Anchor: anchor, ShownDue: date, Escalation: esc.Action}
}

// history is what an invoice's log says about its cadence over every date
// it counted from: the highest tone sent, whether the final notice went
// out, whether the debtor heard anything about it at all, and the first
// cadence step sent.
type history struct {
	top   int  // toneRank of the highest tone sent; -1 when none
	final bool // the final notice went out
	// messaged: a cadence step went out. A promise follow-up or a claim
	// review does not count: after one, the cadence still starts friendly
	// and climbs, never opening with the final notice.
	messaged    bool
	firstBase   string
	firstOffset int
	firstDay    policy.Date
}

// readHistory reads log against the invoice's cadence: a step's tone is
// the tone of the cadence step with its offset (the log keeps keys, not
// tones). Installment steps are a new agreement and count only as
// messages.
func readHistory(steps []policy.Step, log map[string]Logged) history {
	h := history{top: -1}
	for key, l := range log {
		if l.Kind != LoggedSent {
			continue
		}
		offset, date, ok := parseStepKey(key)
		if !ok {
			continue
		}
		h.messaged = true
		if h.firstBase == "" || l.Day.Before(h.firstDay) || l.Day == h.firstDay && key < stepKey("", h.firstOffset, h.firstBase) {
			h.firstBase, h.firstOffset, h.firstDay = date, offset, l.Day
		}
		for _, s := range steps {
			if s.OffsetDays == offset {
				h.top = max(h.top, toneRank(s.Tone))
				h.final = h.final || s.Tone == policy.ToneFinal
			}
		}
	}
	return h
}

// parseStepKey reads a cadence step key "d+7@2026-11-25"; installment
// ("plan-2:…") and other keys are not cadence steps.
func parseStepKey(key string) (offset int, date string, ok bool) {
	name, date, found := strings.Cut(key, "@")
	if !found || len(name) < 2 || name[0] != 'd' {
		return 0, "", false
	}
	n, err := strconv.Atoi(name[1:])
	return n, date, err == nil
}

// toneRank orders the tones from gentle to final; an unknown one ranks
// lowest.
func toneRank(t policy.Tone) int {
	switch t {
	case policy.ToneFirm:
		return 1
	case policy.ToneFormal:
		return 2
	case policy.ToneFinal:
		return 3
	}
	return 0
}

// schedule returns the day each step falls due, counted from anchor, and
// after them the escalation's (escOffset). A step before the due date on a
// day without contact windows is due on the latest contact day before it:
// it is only true before the due date, so waiting for the next contact day
// would lose it. In a late start (the invoice's first step went out after
// the due date), a step is due no earlier than the cadence's spacing after
// the day the step before it went out (or is due, if it has not), so the
// tone climbs at the cadence's pace rather than on consecutive days.
func schedule(p policy.Policy, steps []policy.Step, escOffset int, anchor policy.Date, log map[string]Logged, prefix, date string, late bool) []policy.Date {
	days := make([]policy.Date, len(steps)+1)
	for i := range days {
		offset := escOffset
		if i < len(steps) {
			offset = steps[i].OffsetDays
		}
		d := anchor.AddDays(offset)
		if offset < 0 {
			d = lastContactDay(p, d)
		}
		if late && i > 0 {
			prev, prevOffset := days[i-1], steps[i-1].OffsetDays
			if l, ok := log[stepKey(prefix, prevOffset, date)]; ok && l.Kind == LoggedSent {
				prev = l.Day
			}
			if spaced := prev.AddDays(offset - prevOffset); spaced.After(d) {
				d = spaced
			}
		}
		days[i] = d
	}
	return days
}

// lastContactDay returns d when it has contact windows, else the latest
// day before it that has, looking back at most two weeks (a valid policy
// has a window every week; past that, d is left as it is).
func lastContactDay(p policy.Policy, d policy.Date) policy.Date {
	for i := 0; i <= 14; i++ {
		if c := d.AddDays(-i); p.ContactDay(c) {
			return c
		}
	}
	return d
}

// pending returns the steps due by today after the last one logged (sent
// or superseded): the cadence only moves on.
func pending(steps []policy.Step, days []policy.Date, today policy.Date, log map[string]Logged, prefix, date string) []int {
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
	for i := last + 1; i < len(steps) && !days[i].After(today); i++ {
		cand = append(cand, i)
	}
	return cand
}

// latestStep returns the latest step due by today that was not logged and
// is still relevant, with the older unlogged due steps as superseded.
// Installment reminders use it as it is; the cadence adds its rules on tone
// (nextStep).
func latestStep(steps []policy.Step, days []policy.Date, anchor, today policy.Date, log map[string]Logged, prefix, date string) *Due {
	cand := pending(steps, days, today, log, prefix, date)
	if len(cand) == 0 || !relevant(steps[cand[len(cand)-1]].OffsetDays, anchor, today) {
		return nil
	}
	return stepDue(steps, days, cand, len(cand)-1, anchor, prefix, date)
}

// stepDue is the work of sending cand[k], superseding the candidates
// before it.
func stepDue(steps []policy.Step, days []policy.Date, cand []int, k int, anchor policy.Date, prefix, date string) *Due {
	j := cand[k]
	s := steps[j]
	d := &Due{Action: ActionStep, Key: stepKey(prefix, s.OffsetDays, date), Step: s, Day: days[j], Anchor: anchor}
	for _, i := range cand[:k] {
		d.Superseded = append(d.Superseded, stepKey(prefix, steps[i].OffsetDays, date))
	}
	return d
}

// nextStep is the cadence's step due today, if any: the latest due and
// relevant one, except that
//   - an invoice nobody was told about yet whose latest step is overdue
//     starts with the first friendly overdue step (the first overdue one
//     when the cadence has none friendly) — never with the final notice;
//     the later steps stay pending for the spaced schedule;
//   - a step below the highest tone already sent for the invoice is not
//     sent: it is superseded by the next step that reaches that tone;
//   - the final notice goes at most once.
func nextStep(steps []policy.Step, days []policy.Date, anchor, today policy.Date, log map[string]Logged, date string, h history) *Due {
	cand := pending(steps, days, today, log, "", date)
	if len(cand) == 0 {
		return nil
	}
	k := len(cand) - 1
	s := steps[cand[k]]
	if !relevant(s.OffsetDays, anchor, today) {
		return nil
	}
	if !h.messaged && s.OffsetDays > 0 {
		first := -1
		for i, j := range cand {
			if steps[j].OffsetDays <= 0 {
				continue
			}
			if steps[j].Tone == policy.ToneFriendly {
				first = i
				break
			}
			if first < 0 {
				first = i
			}
		}
		k, s = first, steps[cand[first]]
	}
	switch {
	case toneRank(s.Tone) < h.top:
		return nil
	case s.Tone == policy.ToneFinal && (h.final || !h.messaged):
		return nil
	}
	return stepDue(steps, days, cand, k, anchor, "", date)
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
