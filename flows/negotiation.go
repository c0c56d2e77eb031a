package flows

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// Negotiation states: each is a question asked or an offer on the table.
const (
	StatePlanOffer      = "plan_offer"        // plan options (or one answering a requested count) shown
	StateHardshipAsk    = "hardship_ask"      // after empathy: "would a plan help?"
	StateDiscountOffer  = "discount_offer"    // last resort: a one-off discount for paying in full
	StatePromiseDate    = "promise_ask_date"  // asked on which date the debtor can pay
	StatePromiseConfirm = "promise_confirm"   // proposed DealMemory.Date as the promise date
	StateDealOptions    = "deal_options"      // "1 - a payment date / 2 - installments"
	StateDealPick       = "deal_pick_invoice" // asked which open invoice the deal is about
)

// EventPromiseMissed reaches a conversation when a promised date passed
// unpaid (sent by the reminders); Input.Invoice is the invoice.
const EventPromiseMissed = "promise.missed"

// DealMemory is what the negotiation topic remembers. The subject and
// offer live while a negotiation state is pending; DiscountOffered and
// BrokenPromises outlive it, since both limit what may be offered later.
type DealMemory struct {
	// InvoiceIDs are the invoices negotiated: one, or all open ones ("tudo").
	InvoiceIDs []string `json:"invoice_ids,omitempty"`
	// Plans are the options on the table exactly as shown, so an acceptance
	// records what the debtor read; Single marks one answering a count.
	Plans  []policy.PlanOption `json:"plans,omitempty"`
	Single bool                `json:"single,omitempty"`
	// OfferedOn is the day Plans were computed: charges grow daily, so an
	// older offer is recomputed before it is accepted.
	OfferedOn string `json:"offered_on,omitempty"`
	// DiscountCents is the discount on the table in discount_offer.
	DiscountCents int64 `json:"discount_cents,omitempty"`
	// Date is the promise date proposed in promise_confirm.
	Date string `json:"date,omitempty"`
	// Want, Count and WantDate keep a request while the debtor picks one of
	// Choices (invoice ids, in the order listed).
	Want     bot.Intent `json:"want,omitempty"`
	Count    int        `json:"count,omitempty"`
	WantDate string     `json:"want_date,omitempty"`
	Choices  []string   `json:"choices,omitempty"`
	// DiscountOffered lists invoices ever offered a discount: once per
	// invoice, or debtors learn to wait for it (seed 004).
	DiscountOffered []string `json:"discount_offered,omitempty"`
	// BrokenPromises counts missed promise dates.
	BrokenPromises int `json:"broken_promises,omitempty"`
}

func init() {
	for _, want := range []bot.Intent{bot.IntentRequestInstallments, bot.IntentPromiseToPay, bot.IntentRequestExtension} {
		byIntent[want] = func(_ string, mem Memory, in Input, env Env) Result { return dealGo(want, mem, in, env) }
	}
	byIntent[bot.IntentFinancialHardship] = hardship
	byState[StatePlanOffer] = planOfferState
	byState[StateDealPick] = dealPickState
	for _, s := range []string{StateHardshipAsk, StateDiscountOffer, StatePromiseDate, StatePromiseConfirm, StateDealOptions} {
		byState[s] = dealQuestionState
	}
}

// dealGo answers a negotiation request once it knows which invoices it is
// about: the only open one, all of them ("tudo"), the one already under
// negotiation or discussion; otherwise it asks with a numbered list.
func dealGo(want bot.Intent, mem Memory, in Input, env Env) Result {
	mem.Unknowns = 0
	open := dealEligible(env)
	subject := dealFind(mem.Deal.InvoiceIDs, open)
	switch named := dealNamed(in.Text, open); {
	case len(open) == 0:
		mem.Deal = dealReset(mem.Deal)
		if len(env.Invoices) == 0 {
			return Result{State: StateMenu, Memory: mem, Actions: []Action{balance(env)}}
		}
		return dealSay(StateMenu, mem, say("deal.nothing_open", nil))
	case len(open) == 1 || dealWantsAll(in.Text):
		subject = open
	case named != nil:
		subject = named
	case subject == nil:
		subject = dealFind([]string{mem.InvoiceID}, open)
	}
	mem.Deal = dealReset(mem.Deal)
	if subject == nil {
		d := &mem.Deal
		d.Want, d.Count, d.WantDate = want, in.Class.Entities.Installments, in.Class.Entities.Date
		parts := []Part{say("deal.which", nil)}
		for i, inv := range open {
			d.Choices = append(d.Choices, inv.ID)
			parts = append(parts, say("deal.choice", Args{"option": i + 1, "description": dealName(inv), "due": Date(inv.DueDate), "amount": Money(dealDue(inv, env))}))
		}
		return dealSay(StateDealPick, mem, append(parts, say("deal.choice_all", Args{"option": len(open) + 1, "amount": Money(dealTotal(open, env))}))...)
	}
	for _, inv := range subject {
		mem.Deal.InvoiceIDs = append(mem.Deal.InvoiceIDs, inv.ID)
	}
	if len(subject) == 1 {
		mem.InvoiceID = subject[0].ID
	}
	switch want {
	case bot.IntentPromiseToPay:
		return promiseAnswer(mem, in.Class.Entities.Date, env)
	case bot.IntentRequestExtension:
		return extensionAnswer(mem, in.Class.Entities.Date, env)
	}
	return planAnswer(mem, in.Class.Entities.Installments, env)
}

// dealPickState handles the answer to "which invoice?".
func dealPickState(state string, mem Memory, in Input, env Env) Result {
	d := mem.Deal
	switch n := dealOption(in); {
	case n >= 1 && n <= len(d.Choices):
		mem.Deal.InvoiceIDs = d.Choices[n-1 : n]
	case n == len(d.Choices)+1 || dealWantsAll(in.Text):
		mem.Deal.InvoiceIDs = d.Choices
	case dealNamed(in.Text, dealFind(d.Choices, env.Invoices)) != nil: // "a de novembro"
		mem.Deal.InvoiceIDs = []string{dealNamed(in.Text, dealFind(d.Choices, env.Invoices))[0].ID}
	default:
		return dealLeave(state, mem, in, env)
	}
	next := Input{Class: bot.Classification{Intent: d.Want, Entities: bot.Entities{Installments: d.Count, Date: d.WantDate}}}
	return dealGo(d.Want, mem, next, env)
}

// planAnswer offers plans for the subject: the count asked for when policy
// allows it, else the closest allowed with the reason, else the menu with
// paying in full last. No plan possible: a payment date instead.
func planAnswer(mem Memory, count int, env Env) Result {
	subject, total := dealSubject(mem, env)
	p := env.Policy
	opts := p.PlanOptions(total)
	if len(opts) == 0 {
		why := say("deal.plan.too_small", Args{"min": Money(p.Installments.MinInstallmentCents), "amount": Money(total)})
		if !p.Installments.Enabled {
			why = say("deal.plan.unavailable", nil)
		}
		return dealPrepend(dealAskDate(mem, env, "deal.ask_date"), why)
	}
	mem.Deal.OfferedOn, mem.Deal.Single = env.Today, count >= 2
	if count < 2 {
		parts := append([]Part{say("deal.plan.header", Args{"amount": Money(total)})}, dealLines(subject)...)
		for i, o := range opts {
			parts = append(parts, say(planKey("deal.plan.option", o), planArgs(o, Args{"option": i + 1})))
		}
		parts = append(parts, say("deal.plan.option_full", Args{"option": len(opts) + 1, "amount": Money(total)}), planInterest(opts[0]), say("deal.plan.choose", nil))
		mem.Deal.Plans = opts
		return dealSay(StatePlanOffer, mem, parts...)
	}
	var parts []Part
	o, err := p.Plan(total, count)
	if err != nil {
		limit := p.MaxInstallments(total)
		why := say("deal.plan.min_installment", Args{"min": Money(p.Installments.MinInstallmentCents), "max": limit})
		if limit == p.Installments.MaxCount {
			why = say("deal.plan.max_count", Args{"max": limit})
		}
		parts = append(parts, why)
		o, _ = p.Plan(total, limit)
	}
	ask, buttons := "deal.plan.single_ask", []Button(nil)
	if len(opts) == 1 && opts[0].Count == o.Count {
		ask, buttons = "deal.plan.single_ask_only", yesNo()
	}
	parts = append(parts, say(planKey("deal.plan.single", o), planArgs(o, Args{"amount": Money(total)})))
	parts = append(append(parts, dealLines(subject)...), planInterest(o), say(ask, nil))
	mem.Deal.Plans = []policy.PlanOption{o}
	return Result{State: StatePlanOffer, Memory: mem, Actions: []Action{Reply{Parts: parts, Buttons: buttons}}}
}

// planKey picks the variant of a plan line with an entrada when it has one.
func planKey(key string, o policy.PlanOption) string {
	if o.DownPaymentCents > 0 {
		return key + "_down"
	}
	return key
}

func planArgs(o policy.PlanOption, args Args) Args {
	args["count"], args["installment"], args["total"] = o.Count, Money(o.InstallmentCents), Money(o.TotalCents)
	if o.DownPaymentCents > 0 {
		args["down"] = Money(o.DownPaymentCents)
	}
	return args
}

// planInterest states the plan's rate, as CDC art. 52 asks of any credit
// offer; whole and hundredths go apart so each locale picks its separator.
func planInterest(o policy.PlanOption) Part {
	if o.MonthlyInterestPercent <= 0 {
		return say("deal.plan.no_interest", nil)
	}
	h := int64(o.MonthlyInterestPercent*100 + 0.5)
	return say("deal.plan.interest", Args{"rate_whole": int(h / 100), "rate_cents": fmt.Sprintf("%02d", h%100)})
}

// planOfferState handles the answer to a plan offer: an option number, a
// count ("pode ser a de 3x"), yes to a single offer, paying in full, or no
// (more options, then the last resort).
func planOfferState(state string, mem Memory, in Input, env Env) Result {
	d := mem.Deal
	subject, total := dealSubject(mem, env)
	intent, n, count := in.Class.Intent, dealOption(in), in.Class.Entities.Installments
	chosen := -1
	switch {
	case len(subject) == 0 || len(d.Plans) == 0:
		return dealLeave(state, mem, in, env)
	case intent == bot.IntentPayNow || (!d.Single && n == len(d.Plans)+1):
		mem.Deal = dealReset(mem.Deal)
		return answerIntent(StateMenu, mem, Input{Class: bot.Classification{Intent: bot.IntentPayNow}}, env)
	case !d.Single && n >= 1 && n <= len(d.Plans):
		chosen = n - 1
	case d.Single && (n == 1 || (n == 0 && count == 0 && intent == bot.IntentAffirmative)):
		chosen = 0
	case count >= 2 && intent != bot.IntentNegative:
		for i, o := range d.Plans {
			if o.Count == count && !strings.Contains(in.Text, "?") { // "e em 3x?" asks, it does not accept
				chosen = i
			}
		}
		if chosen < 0 {
			return planAnswer(mem, count, env)
		}
	case d.Single && (n == 2 || intent == bot.IntentNegative) && len(env.Policy.PlanOptions(total)) > 1,
		intent == bot.IntentRequestInstallments:
		return planAnswer(mem, 0, env)
	case n == 2 || intent == bot.IntentNegative:
		return dealLastResort(mem, subject, env)
	case n > 0 || intent == bot.IntentAffirmative:
		return dealSay(state, mem, say("deal.plan.which", nil))
	case in.Class.Entities.Date != "": // "dia 15": a payment date instead of a plan
		return promiseAnswer(mem, in.Class.Entities.Date, env)
	default:
		return dealLeave(state, mem, in, env)
	}
	if d.OfferedOn != env.Today {
		again := 0
		if d.Single {
			again = d.Plans[0].Count
		}
		return dealPrepend(planAnswer(mem, again, env), say("deal.plan.updated", nil))
	}
	return dealAccept(mem, subject, d.Plans[chosen], 0, env)
}

// dealLastResort answers a debtor who turned the plans down: a discount
// for paying in full when policy allows it and it was never offered for
// these invoices (seed 004: last resort, once), else a date, no pressure.
func dealLastResort(mem Memory, subject []bot.Invoice, env Env) Result {
	today, _ := policy.ParseDate(env.Today)
	var discount int64
	for _, inv := range subject {
		if due, err := policy.ParseDate(inv.DueDate); err == nil && !slices.Contains(mem.Deal.DiscountOffered, inv.ID) {
			discount += env.Policy.Discount(dealDue(inv, env), due, today, false)
		}
	}
	if discount <= 0 {
		return dealAskDate(mem, env, "deal.alternatives")
	}
	total, ids := dealTotal(subject, env), mem.Deal.InvoiceIDs
	mem.Deal = dealReset(mem.Deal)
	mem.Deal.InvoiceIDs, mem.Deal.DiscountCents = ids, discount
	mem.Deal.DiscountOffered = append(mem.Deal.DiscountOffered, ids...)
	args := nameArgs(env)
	args["total"], args["discount"], args["discounted"], args["today"] = Money(total), Money(discount), Money(total-discount), Date(env.Today)
	parts := append(append([]Part{say("deal.discount.offer", args)}, dealLines(subject)...), say("deal.discount.ask", nil))
	return Result{State: StateDiscountOffer, Memory: mem, Actions: []Action{Reply{Parts: parts, Buttons: yesNo()}}}
}

// dealAccept records an accepted plan (or a discounted payment in full, a
// one-installment agreement) and says how its payments are made. The
// invoice's own means are for its full amount and cannot pay a part: with
// a Pix key, a code for the exact amount of the first payment goes out now
// and each later one comes with its reminder; without one, the billing
// system issues each payment's boleto or Pix from the schedule in
// plan.accepted, and the debtor is told exactly that — never promised a
// code the bot cannot build.
func dealAccept(mem Memory, subject []bot.Invoice, o policy.PlanOption, discount int64, env Env) Result {
	sched, ids := env.Policy.PlanSchedule(o, payToday(env)), mem.Deal.InvoiceIDs
	withKey := env.Policy.Pix.Key != ""
	rows := make([]planRow, len(sched))
	args := nameArgs(env)
	args["amount"] = Money(o.TotalCents)
	parts := append([]Part{say("deal.plan.accepted", args)}, dealLines(subject)...)
	for i, s := range sched {
		rows[i] = planRow{Number: s.Number, DueDate: s.Due.String(), AmountCents: s.AmountCents}
		if withKey {
			rows[i].PixTxID = planTxID(ids[0], s.Number)
		}
		line := Args{"number": s.Number, "count": o.Count, "amount": Money(s.AmountCents), "due": Date(s.Due.String())}
		if s.Number == 0 {
			parts = append(parts, say("deal.plan.line_down", Args{"amount": line["amount"], "due": line["due"]}))
		} else {
			parts = append(parts, say("deal.plan.line", line))
		}
	}
	parts = append(parts, say("deal.plan.total", Args{"total": Money(o.TotalCents)}))
	// The billing system issues the means when Quita cannot: it is told
	// which, with every row of the schedule (number, due date, amount and,
	// with a key, the txid of the code Quita sends).
	means := "billing"
	if withKey {
		means = "quita_pix"
	}
	data := map[string]any{"invoice_ids": ids, "installments": o.Count, "installment_cents": o.InstallmentCents,
		"last_installment_cents": o.LastInstallmentCents, "down_payment_cents": o.DownPaymentCents,
		"total_cents": o.TotalCents, "monthly_interest_percent": o.MonthlyInterestPercent,
		"accepted_on": env.Today, "first_due_date": sched[0].Due.String(), "last_due_date": sched[len(sched)-1].Due.String(),
		"payment_means": means, "schedule": rows}
	if len(ids) == 1 {
		data["invoice_id"] = ids[0]
	}
	if discount > 0 {
		data["discount_cents"] = discount
		parts = append([]Part{say("deal.discount.accepted", args)}, dealLines(subject)...)
	}
	detail, _ := json.Marshal(data)
	actions := []Action{reply(parts...)}
	for _, id := range ids {
		actions = append(actions, SetCollection{InvoiceID: id, Status: bot.CollectionPlan, Until: sched[len(sched)-1].Due.String(), Detail: detail})
	}
	actions = append(actions, Emit{Type: "plan.accepted", Data: data})
	first := Args{"amount": Money(sched[0].AmountCents), "due": Date(sched[0].Due.String())}
	if code := dealPix(env, sched[0].AmountCents, planTxID(ids[0], sched[0].Number)); code != "" {
		actions = append(actions, Reply{Parts: []Part{say("deal.plan.first_pix", first)}, PixQR: code}, reply(say("deal.plan.pix_code", Args{"code": code})))
	} else {
		key := "deal.plan.by_billing"
		if len(sched) == 1 {
			key = "deal.plan.by_billing_one"
		}
		actions = append(actions, reply(say(key, first)))
	}
	mem.Deal = dealReset(mem.Deal)
	return Result{State: StateMenu, Memory: mem, Actions: actions}
}

func dealSay(state string, mem Memory, parts ...Part) Result {
	return Result{State: state, Memory: mem, Actions: []Action{reply(parts...)}}
}

// dealEnd replies and closes the negotiation.
func dealEnd(mem Memory, parts []Part) Result {
	mem.Deal = dealReset(mem.Deal)
	return dealSay(StateMenu, mem, parts...)
}

// dealLeave hands an input the state did not expect to the intent's own
// answer; thanks keeps the offer on the table, anything else leaves it.
func dealLeave(state string, mem Memory, in Input, env Env) Result {
	if in.Class.Intent == bot.IntentThanks {
		return answerIntent(state, mem, in, env)
	}
	mem.Deal = dealReset(mem.Deal)
	return answerIntent(StateMenu, mem, in, env)
}

// dealPrepend puts parts at the start of the result's first reply.
func dealPrepend(res Result, parts ...Part) Result {
	for i, a := range res.Actions {
		if r, ok := a.(Reply); ok {
			r.Parts = append(append([]Part{}, parts...), r.Parts...)
			res.Actions[i] = r
			return res
		}
	}
	res.Actions = append([]Action{reply(parts...)}, res.Actions...)
	return res
}

// dealReset forgets the negotiation in progress, keeping what outlives it.
func dealReset(d DealMemory) DealMemory {
	return DealMemory{DiscountOffered: d.DiscountOffered, BrokenPromises: d.BrokenPromises}
}

// dealEligible lists the open invoices a deal may cover: not already under
// a plan, a payment claim or a dispute.
func dealEligible(env Env) []bot.Invoice {
	var out []bot.Invoice
	for _, inv := range env.Invoices {
		switch env.Collections[inv.ID].Status {
		case bot.CollectionPlan, bot.CollectionClaimed, bot.CollectionDisputed:
		default:
			out = append(out, inv)
		}
	}
	return out
}

// dealFind returns the invoices of ids among invs, or nil unless all are there.
func dealFind(ids []string, invs []bot.Invoice) []bot.Invoice {
	var out []bot.Invoice
	for _, id := range ids {
		for _, inv := range invs {
			if inv.ID == id {
				out = append(out, inv)
			}
		}
	}
	if len(out) == 0 || len(out) != len(ids) {
		return nil
	}
	return out
}

// dealSubject returns the invoices under negotiation and what they cost today.
func dealSubject(mem Memory, env Env) ([]bot.Invoice, int64) {
	s := dealFind(mem.Deal.InvoiceIDs, dealEligible(env))
	return s, dealTotal(s, env)
}

func dealTotal(invs []bot.Invoice, env Env) (total int64) {
	for _, inv := range invs {
		total += dealDue(inv, env)
	}
	return total
}

// dealDue is what an invoice costs today, late charges included.
func dealDue(inv bot.Invoice, env Env) int64 {
	if ch, ok := env.Charges[inv.ID]; ok && ch.TotalCents > 0 {
		return ch.TotalCents
	}
	return inv.AmountCents
}

// dealLines names each invoice a message is about, with its due date.
func dealLines(invs []bot.Invoice) []Part {
	parts := make([]Part, len(invs))
	for i, inv := range invs {
		parts[i] = say("deal.subject", Args{"description": dealName(inv), "due": Date(inv.DueDate)})
	}
	return parts
}

func dealName(inv bot.Invoice) string {
	if inv.Description != "" {
		return inv.Description
	}
	return inv.ID
}

// dealOption is the menu number the input selects, 0 when none.
func dealOption(in Input) int {
	n, _ := strconv.Atoi(in.option())
	return n
}

// dealWantsAll reports whether the debtor speaks of all invoices at once.
func dealWantsAll(text string) bool {
	w := dealWords(text)
	return w["tudo"] || w["todas"] || w["todos"] || w["all"] || w["everything"] || w["both"] || w["ambas"] || w["ambos"]
}

// dealNamed returns the one invoice a word of text names that no other
// invoice's description has ("a de novembro"), else nil.
func dealNamed(text string, invs []bot.Invoice) []bot.Invoice {
	words, seen := dealWords(text), map[string]int{}
	for _, inv := range invs {
		for w := range dealWords(inv.Description) {
			seen[w]++
		}
	}
	var found []bot.Invoice
	for _, inv := range invs {
		for w := range dealWords(inv.Description) {
			if words[w] && seen[w] == 1 && len(w) >= 4 {
				found = append(found, inv)
				break
			}
		}
	}
	if len(found) != 1 {
		return nil
	}
	return found
}

func dealWords(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out[w] = true
	}
	return out
}
