package flows

import (
	"encoding/json"
	"strings"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// The reminders topic renders the proactive cadence (bot/reminders plans
// it): one message per debtor listing every invoice with a step due, in the
// tone of the most advanced step, always naming the creditor and never
// threatening (CDC art. 42, 42-A, 71). An unconfirmed number first hears
// only who writes and for whom — no amount, no invoice (LGPD) — and the
// reminder itself once the person confirms.

// EventReminder reaches a conversation when reminders are due.
// Input.Reminder carries the items (or, when nil, Input.Text as JSON:
// EncodeReminder) and Input.Invoice the first item's invoice, so the
// engine's transcript entry can name it.
const EventReminder = "reminder"

// Kinds of reminder items.
const (
	ReminderStep     = "step"     // a cadence (or installment) step to send
	ReminderEscalate = "escalate" // the cadence is over: hand over per policy
	// ReminderClaimReview: a payment claim's review window passed with no
	// word from billing or an agent; a person takes the case and the
	// debtor is told so. Collection of the invoice stays paused.
	ReminderClaimReview = "claim_review"
)

// intentReminder is not a debtor intent: it is what a reminder sent to an
// unconfirmed number leaves pending, so "sim" is answered with it.
const intentReminder bot.Intent = "reminder"

// handoffEscalation is the conversation.handoff reason after the cadence.
const handoffEscalation = "escalation"

// ReminderItem is one invoice's part of a reminder.
type ReminderItem struct {
	Kind      string `json:"kind"`
	InvoiceID string `json:"invoice_id"`
	// Step is the reminder log key ("d+7@2026-11-25"); the event shows the
	// part before "@".
	Step    string `json:"step"`
	Message string `json:"message,omitempty"` // catalog key of the step's lead sentence
	Tone    string `json:"tone,omitempty"`
	Offset  int    `json:"offset,omitempty"`
	// Due is the due date the debtor knows; Anchor the business day the
	// steps count from (a Sunday due date is payable on Monday).
	Due         string               `json:"due,omitempty"`
	Anchor      string               `json:"anchor,omitempty"`
	Installment *ReminderInstallment `json:"installment,omitempty"`
	AfterClaim  bool                 `json:"after_claim,omitempty"`
	Escalation  string               `json:"escalation,omitempty"` // agent or external
}

// ReminderInstallment is the plan installment an item reminds of.
type ReminderInstallment struct {
	Number      int    `json:"number"`
	Count       int    `json:"count"`
	AmountCents int64  `json:"amount_cents"`
	Due         string `json:"due"`
}

// EncodeReminder writes items as an EventReminder's Input.Text.
func EncodeReminder(items []ReminderItem) string {
	b, _ := json.Marshal(items)
	return string(b)
}

// DecodeReminder reads an EventReminder's Input.Text; text it cannot read
// yields no items, so nothing is sent rather than garbage.
func DecodeReminder(text string) []ReminderItem {
	var items []ReminderItem
	if json.Unmarshal([]byte(text), &items) != nil {
		return nil
	}
	return items
}

func init() {
	byIntent[intentReminder] = reminderPending
}

// reminder sends the due steps as one message and records escalations.
// The engine checks the stops before calling; this checks them again so a
// reminder can never reach someone who asked for no more messages.
func reminder(state string, mem Memory, in Input, env Env) Result {
	stop := ProactiveStop(state, mem, env.Policy, env.Today)
	if stop != "" && !HandOverWhenStopped(stop) || env.Customer == nil {
		return Result{State: state, Memory: mem}
	}
	items := in.Reminder
	if items == nil {
		items = DecodeReminder(in.Text)
	}
	var steps, escalations, reviews []ReminderItem
	for _, it := range items {
		if _, open := reminderInvoice(env, it.InvoiceID); !open {
			continue // paid or cancelled since it was planned
		}
		switch it.Kind {
		case ReminderEscalate:
			escalations = append(escalations, it)
		case ReminderClaimReview:
			reviews = append(reviews, it)
		default:
			steps = append(steps, it)
		}
	}
	var actions []Action
	next := state
	if stop != "" {
		// Nothing may be sent; a case that must reach a person (a cadence
		// run out, a receipt nobody checked) still does, silently.
		steps = nil
	}
	if len(steps) > 0 {
		var msg []Action
		msg, next = reminderFor(state, &mem, steps, env)
		actions = append(actions, reminderAbout(msg, steps)...)
		actions = append(actions, Emit{Type: "reminder.sent", Data: reminderEvent(steps, !mem.IdentityConfirmed)})
	}
	if len(reviews) > 0 {
		var review []Action
		review, next = claimReview(next, &mem, reviews, env)
		if stop != "" {
			review, next = review[1:], state // the handoff, not the message
		}
		actions = append(actions, review...)
	}
	if len(escalations) > 0 {
		actions = append(actions, reminderEscalate(&mem, escalations)...)
	}
	return Result{State: next, Memory: mem, Actions: actions}
}

// reminderFor is the message of steps for this person, and the state it
// leaves: the whole reminder for a confirmed debtor (or under
// reminders.first_contact full), else the first-contact message the policy
// chooses, which waits for "sim" to tell more.
func reminderFor(state string, mem *Memory, steps []ReminderItem, env Env) ([]Action, string) {
	mode := env.Policy.Reminders.FirstContact
	if mem.IdentityConfirmed || mode == policy.FirstContactFull {
		// A new exchange starts: a numbered question left on screen
		// earlier must not catch the answer to this message.
		msg := reminderMessage(steps, env, mem, true)
		mem.Introduced = mem.Introduced || env.Policy.Company.Document != ""
		return msg, StateMenu
	}
	// The debtor's own unanswered request goes first; else the reminder
	// waits for "sim".
	if mem.PendingIntent == "" || mem.PendingIntent == intentReminder {
		mem.PendingIntent, mem.PendingText, mem.PendingEntities, mem.PendingMedia = intentReminder, EncodeReminder(steps), bot.Entities{}, nil
	}
	mem.IdentityPrompts++
	parts := []Part{reminderHello(mem, env, "reminder.hello")}
	if mode == policy.FirstContactIdentity {
		parts = append(parts, say(reminderVariant(mem, "reminder.identity.ask", "reminder.identity.again"), firstNameArgs(env)))
	} else {
		parts = append(parts, say(reminderVariant(mem, reminderDiscreetKeys(steps, env)...), reminderDiscreetArgs(steps, env)),
			say("reminder.discreet.confirm", firstNameArgs(env)))
	}
	parts = append(parts, say("reminder.stop", nil))
	return []Action{Reply{Parts: parts, Buttons: yesNo()}}, StateConfirmIdentity
}

// reminderHello greets by first name and names the creditor; the first
// contact also carries the creditor's document (CDC art. 42-A).
func reminderHello(mem *Memory, env Env, key string) Part {
	if !mem.Introduced && env.Policy.Company.Document != "" {
		mem.Introduced = true
		return say(key+"_document", firstNameArgs(env))
	}
	return say(key, firstNameArgs(env))
}

// reminderVariant picks the first of keys that did not lead the last
// proactive message, so a person never gets the same text twice in a row,
// and remembers it.
func reminderVariant(mem *Memory, keys ...string) string {
	key := keys[0]
	if key == mem.LastProactive && len(keys) > 1 {
		key = keys[1]
	}
	mem.LastProactive = key
	return key
}

// reminderDiscreetKeys are the discreet lines that fit the steps (the
// earliest due date decides: upcoming, due today or past), each with a
// second wording for a repeat.
func reminderDiscreetKeys(steps []ReminderItem, env Env) []string {
	it := reminderEarliest(steps)
	kind := "overdue"
	switch {
	case env.Today < it.Anchor:
		kind = "upcoming"
	case env.Today == it.Anchor && (it.Due == "" || it.Due == it.Anchor):
		// A due date on a holiday is payable on the next business day;
		// "vence hoje (25/12)" on the 28th would be wrong, so the neutral
		// wording names the date the debtor knows.
		kind = "due_today"
	}
	if len(steps) > 1 {
		kind += "_many"
	}
	return []string{"reminder.discreet." + kind, "reminder.discreet." + kind + "_again"}
}

func reminderDiscreetArgs(steps []ReminderItem, env Env) Args {
	it := reminderEarliest(steps)
	due := it.Due
	if due == "" {
		inv, _ := reminderInvoice(env, it.InvoiceID)
		due = inv.DueDate
	}
	args := firstNameArgs(env)
	args["due"], args["count"] = Date(due), len(steps)
	return args
}

// reminderEarliest is the step whose due date comes first.
func reminderEarliest(steps []ReminderItem) ReminderItem {
	first := steps[0]
	for _, it := range steps[1:] {
		if it.Anchor < first.Anchor {
			first = it
		}
	}
	return first
}

// reminderAbout marks the replies with the invoices they are about: paid or
// cancelled before the message goes out, it is not sent.
func reminderAbout(actions []Action, steps []ReminderItem) []Action {
	about := make([]string, len(steps))
	for i, it := range steps {
		about[i] = it.InvoiceID
	}
	for i, a := range actions {
		if r, ok := a.(Reply); ok {
			r.About = about
			actions[i] = r
		}
	}
	return actions
}

// reminderPending answers the "sim" to a reminder's identity check with
// the reminder itself, as things stand now.
func reminderPending(_ string, mem Memory, in Input, env Env) Result {
	var steps []ReminderItem
	for _, it := range DecodeReminder(in.Text) {
		if _, open := reminderInvoice(env, it.InvoiceID); open && it.Kind == ReminderStep {
			steps = append(steps, it)
		}
	}
	if len(steps) == 0 {
		return Result{State: StateMenu, Memory: mem, Actions: []Action{balance(env)}}
	}
	return Result{State: StateMenu, Memory: mem, Actions: reminderMessage(steps, env, &mem, false)}
}

// ProactiveStop is why nothing proactive may reach this conversation
// today, or "": the number is not the debtor's, they opted out (even if an
// agent moved the conversation on since), the holder died, a person holds
// the conversation, the debtor already talked with us today (a reminder
// minutes after they got a payment code reads as if nobody listened; the
// step waits for the next pass, or is superseded), or — under
// reminders.first_contact identity — two identity questions went
// unanswered and the person has not written since.
func ProactiveStop(state string, mem Memory, p policy.Policy, today string) string {
	switch {
	case state == StateOptedOut || mem.Care.OptedOutOn != "":
		return "opted_out"
	case state == StateClosed || mem.Care.WrongNumberOn != "":
		return "wrong_number"
	case mem.Care.DeceasedOn != "":
		return "deceased"
	case state == StateWithAgent:
		return "with_agent"
	case mem.WroteOn != "" && mem.WroteOn == today:
		return "talked_today"
	case !mem.IdentityConfirmed && thirdPartyPause(mem.Care.ThirdPartyOn, today):
		return "third_party"
	case !mem.IdentityConfirmed && p.Reminders.FirstContact == policy.FirstContactIdentity && mem.IdentityPrompts >= maxIdentityPrompts:
		return "unanswered"
	}
	return ""
}

// HandOverWhenStopped reports whether, under the ProactiveStop reason stop,
// escalations and claim reviews still hand the case to a person (without a
// message): yes for a stopped number, no while a person holds the
// conversation or on a day the debtor talked with us (they go tomorrow).
func HandOverWhenStopped(stop string) bool {
	return stop != "with_agent" && stop != "talked_today"
}

// thirdPartyDays is how long reminders to a number wait after someone
// wrote for the holder ("aqui é o filho dela, ela tá internada"): the
// next person to read them is known not to be the holder.
const thirdPartyDays = 7

func thirdPartyPause(on, today string) bool {
	since, err1 := policy.ParseDate(on)
	now, err2 := policy.ParseDate(today)
	return err1 == nil && err2 == nil && now.Before(since.AddDays(thirdPartyDays))
}

// maxIdentityPrompts is how many "falo com …?" reminders go unanswered
// before the identity mode waits for the person to write.
const maxIdentityPrompts = 2

// reminderMessage is the reminder: who writes (when intro), the lead of the
// mildest step, one line per invoice, how to pay and the way out.
func reminderMessage(steps []ReminderItem, env Env, mem *Memory, intro bool) []Action {
	lead := reminderLead(steps)
	// The creditor is named first (CDC art. 42-A): by the greeting of a
	// proactive message, or right after the identity check. The same lead
	// as last time gets another greeting, so no text repeats.
	parts := []Part{say("reminder.from", nil)}
	if intro {
		greeting := "intro.known"
		if mem.LastProactive == lead.Message {
			greeting = "reminder.hello_again"
		}
		parts = []Part{reminderHello(mem, env, greeting)}
	}
	mem.LastProactive = lead.Message
	for _, it := range steps {
		if it.AfterClaim {
			parts = append(parts, say("reminder.claim_unconfirmed", nil))
			break
		}
	}
	args := nameArgs(env)
	args["count"] = len(steps)
	parts = append(parts, say(reminderLeadKey(lead, steps, env, mem), args))
	var installments []ReminderItem
	for _, it := range steps {
		parts = append(parts, reminderLine(it, env))
		if it.Installment != nil {
			installments = append(installments, it)
		}
	}
	var more []Action
	switch inv, _ := reminderInvoice(env, steps[0].InvoiceID); {
	case len(installments) > 0:
		parts, more = reminderInstallmentMeans(parts, installments[0], env)
	case len(steps) == 1 && inv.Payment.Link != "":
		parts = append(parts, say("reminder.pay_link", Args{"link": inv.Payment.Link}))
	default:
		parts = append(parts, say("reminder.pay_hint", nil))
	}
	if toneRank(lead.Tone) > 0 {
		parts = append(parts, say("reminder.help", nil))
	}
	parts = append(parts, say("reminder.footer", nil))
	return append([]Action{reply(parts...)}, more...)
}

// reminderLeadKey is the catalog key of the message's lead sentence: the
// lead step's own, except that
//   - a due-date step whose due date fell on a day off says "pay today
//     without charges", not "hoje é dia de vencimento" with another date;
//   - the first detailed reminder a person ever reads (say, right after
//     confirming who they are) is never a formal or final notice: it
//     takes the cadence's first overdue lead, so "Último aviso" never
//     opens a conversation.
func reminderLeadKey(lead ReminderItem, steps []ReminderItem, env Env, mem *Memory) string {
	key := lead.Message
	if lead.Offset == 0 && lead.Due != "" && lead.Due < lead.Anchor && env.Today == lead.Anchor {
		key = "reminder.payable_today"
	}
	if !mem.Detailed && toneRank(lead.Tone) >= toneRank(string(policy.ToneFormal)) {
		for _, s := range env.Policy.Reminders.Cadence {
			if s.OffsetDays > 0 {
				key = s.Message
				break
			}
		}
	}
	mem.Detailed = true
	return key
}

// claimReview hands to a person the payment claims whose review window
// passed with no word from billing or an agent, and tells the debtor so:
// collection of those invoices stays paused meanwhile.
func claimReview(state string, mem *Memory, items []ReminderItem, env Env) ([]Action, string) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.InvoiceID
	}
	var part Part
	switch inv, _ := reminderInvoice(env, ids[0]); {
	case !mem.IdentityConfirmed:
		part = say("reminder.claim_review.private", nil)
	case len(ids) == 1:
		part = say("reminder.claim_review.one", Args{"first_name": nameArgs(env)["first_name"], "description": careDescription(inv)})
	default:
		part = say("reminder.claim_review.many", Args{"first_name": nameArgs(env)["first_name"], "count": len(ids)})
	}
	data := map[string]any{"reason": "claim_review", "invoice_ids": ids}
	if len(ids) == 1 {
		data["invoice_id"] = ids[0]
	}
	mem.Care.Handoff, mem.Care.HandoffOn = "claim_review", env.Today
	r := Reply{Parts: []Part{part, careWhen(env)}, About: ids}
	next := StateWithAgent
	if state == StateConfirmIdentity {
		next = state // the identity question just sent still waits for its answer
	}
	return []Action{r, SetStatus{Status: bot.StatusNeedsAgent}, Emit{Type: "conversation.handoff", Data: data}}, next
}

// reminderLine states one invoice's facts as of today: upcoming, due
// today, or overdue with what it costs today under the policy.
func reminderLine(it ReminderItem, env Env) Part {
	inv, _ := reminderInvoice(env, it.InvoiceID)
	desc := careDescription(inv)
	if in := it.Installment; in != nil {
		args := Args{"number": in.Number, "count": in.Count, "amount": Money(in.AmountCents), "due": Date(in.Due), "description": desc}
		if env.Today == it.Anchor && in.Due >= it.Anchor {
			return say("reminder.line.installment_today", args)
		}
		return say("reminder.line.installment", args)
	}
	due := it.Due
	if due == "" {
		due = inv.DueDate
	}
	args := Args{"description": desc, "amount": Money(inv.AmountCents), "due": Date(due)}
	switch {
	case env.Today < it.Anchor:
		return say("reminder.line.upcoming", args)
	case env.Today == it.Anchor && due != it.Anchor && due < it.Anchor:
		// Due on a weekend or holiday: payable today without charges (CC
		// art. 132), but "vence hoje" with another day's date is false.
		return say("reminder.line.payable_today", args)
	case env.Today == it.Anchor:
		return say("reminder.line.due_today", args)
	}
	if ch, ok := env.Charges[inv.ID]; ok && ch.TotalCents > inv.AmountCents {
		args["total"] = Money(ch.TotalCents)
		return say("reminder.line.overdue_charges", args)
	}
	return say("reminder.line.overdue", args)
}

// reminderInstallmentMeans adds how to pay an installment: a Pix code for
// its exact amount in a message of its own (the same reference as every
// code for that payment, planTxID), or — without a Pix key — word that the
// creditor's billing sends it: the invoice's own means are for the full
// amount, and billing has the plan's schedule (plan.accepted) to issue
// each payment. No handoff: a person could only ask billing for the same.
func reminderInstallmentMeans(parts []Part, it ReminderItem, env Env) ([]Part, []Action) {
	in := it.Installment
	if code := dealPix(env, in.AmountCents, planTxID(it.InvoiceID, in.Number)); code != "" {
		return append(parts, say("reminder.installment_pix", Args{"amount": Money(in.AmountCents)})),
			[]Action{reply(say("reminder.code", Args{"code": code}))}
	}
	return append(parts, say("reminder.installment_by_billing", nil)), nil
}

// reminderEscalate hands the debt over once the cadence is exhausted: to
// a person (the console queue) or, for external collection, only to the
// billing system. The debtor is not messaged — a person will be — and the
// bot keeps answering whoever writes until an agent takes over.
func reminderEscalate(mem *Memory, items []ReminderItem) []Action {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.InvoiceID
	}
	data := map[string]any{"reason": handoffEscalation, "escalation": items[0].Escalation, "invoice_ids": ids}
	if len(ids) == 1 {
		data["invoice_id"] = ids[0]
	}
	actions := []Action{Emit{Type: "conversation.handoff", Data: data}}
	if items[0].Escalation != "external" {
		mem.Care.Handoff = handoffEscalation
		actions = append([]Action{SetStatus{Status: bot.StatusNeedsAgent}}, actions...)
	}
	return actions
}

// reminderEvent is reminder.sent's data: the invoices, the lead step and
// its tone, each invoice's step when there are several.
func reminderEvent(steps []ReminderItem, identity bool) map[string]any {
	ids := make([]string, len(steps))
	perInvoice := map[string]string{}
	lead := reminderLead(steps)
	for i, it := range steps {
		ids[i] = it.InvoiceID
		perInvoice[it.InvoiceID] = stepName(it.Step)
	}
	data := map[string]any{"invoice_ids": ids, "step": stepName(lead.Step), "tone": lead.Tone}
	if len(ids) == 1 {
		data["invoice_id"] = ids[0]
	} else {
		data["steps"] = perInvoice
	}
	if identity {
		data["identity_check"] = true
	}
	return data
}

// stepName drops the date from a log key: "d+7@2026-11-25" → "d+7".
func stepName(key string) string {
	name, _, _ := strings.Cut(key, "@")
	return name
}

// toneRank orders tones from gentle to formal; unknown ones rank lowest.
func toneRank(tone string) int {
	return map[string]int{"firm": 1, "formal": 2, "final": 3}[tone]
}

// reminderInvoice finds an open invoice by id.
func reminderInvoice(env Env, id string) (bot.Invoice, bool) {
	for _, inv := range env.Invoices {
		if inv.ID == id {
			return inv, true
		}
	}
	return bot.Invoice{}, false
}

// reminderLead is the item whose step sets the message's lead and tone:
// the mildest tone among the invoices (one firm invoice never makes a
// friendly one's message harsh), then the latest step.
func reminderLead(steps []ReminderItem) ReminderItem {
	lead := steps[0]
	for _, it := range steps[1:] {
		if r, l := toneRank(it.Tone), toneRank(lead.Tone); r < l || r == l && it.Offset > lead.Offset {
			lead = it
		}
	}
	return lead
}
