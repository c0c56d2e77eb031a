package flows

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// The care topic is the conversational glue around the debt: disputes,
// passing the debtor to a person, consent (opt-out), and what to say when
// the bot did not understand or the debtor just said "ok".
//
// Care states. with_agent and opted_out are silent: the debtor's messages
// are recorded (the engine writes every inbound to the transcript) but the
// bot sends nothing, because a person is in charge or the debtor asked for
// no more messages.
const (
	StateWithAgent      = "with_agent"      // handed to a person until an agent releases it
	StateOptedOut       = "opted_out"       // asked for no more messages: final and silent
	StateMenuFull       = "menu_full"       // the numbered menu of what the bot can do is on screen
	StateOfferHuman     = "offer_human"     // asked "quer falar com uma pessoa?" after misunderstandings
	StateDisputeInvoice = "dispute_invoice" // asked which open invoice a dispute is about
)

// CareMemory is what the care topic remembers: opt-out, handoff and dispute progress.
type CareMemory struct {
	// DisputeReason holds the debtor's own words while they pick which
	// invoice they dispute, so the dispute event carries them.
	DisputeReason string `json:"dispute_reason,omitempty"`
	// DisputeOptions are the invoice ids in the order they were listed: a
	// number answers the list the debtor saw even if invoices change meanwhile.
	DisputeOptions []string `json:"dispute_options,omitempty"`
	// Handoff is why the conversation was last handed to a person
	// (requested, dispute, not_understood), for the agent console.
	Handoff string `json:"handoff,omitempty"`
	// OptedOutOn is the day the debtor asked for no more messages. It
	// outlives the state, so proactive senders can refuse this contact
	// even after an agent moves the conversation elsewhere.
	OptedOutOn string `json:"opted_out_on,omitempty"`
	// DeceasedOn is the day someone said the holder died: collection stops
	// for good and a person takes the case.
	DeceasedOn string `json:"deceased_on,omitempty"`
	// HandoffOn is the day the conversation was last handed to a person;
	// WaitingAckOn the last day a debtor writing while nobody took it over
	// was told their message waits (at most once a day).
	HandoffOn    string `json:"handoff_on,omitempty"`
	WaitingAckOn string `json:"waiting_ack_on,omitempty"`
	// WrongNumberOn is the day the number was said not to be the holder's.
	// Like OptedOutOn it outlives the state (a person may take the
	// conversation and hand it back), so nothing proactive goes to it;
	// only "sou eu sim" or a relative of the holder clears it.
	WrongNumberOn string `json:"wrong_number_on,omitempty"`
	// ThirdPartyOn is the day someone wrote for the holder ("aqui é o filho
	// dela"): that day, questions about the debt get "only the holder".
	ThirdPartyOn string `json:"third_party_on,omitempty"`
}

// Reasons carried by conversation.handoff.
const (
	handoffRequested     = "requested"      // the debtor asked for a person
	handoffDispute       = "dispute"        // a disputed amount needs a person's review
	handoffNotUnderstood = "not_understood" // the bot failed and the debtor accepted a person
)

// maxReasonRunes bounds the debtor's text copied into a dispute event.
const maxReasonRunes = 500

// careMenu maps the options of care.menu.full to what they ask for.
var careMenu = map[string]bot.Intent{
	"1": bot.IntentBalanceInquiry,
	"2": bot.IntentPayNow,
	"3": bot.IntentAlreadyPaid,
	"4": bot.IntentRequestInstallments,
	"5": bot.IntentHumanAgent,
}

func init() {
	byIntent[bot.IntentDisputeAmount] = careDispute
	byIntent[bot.IntentUnknown] = careUnknown
	byIntent[bot.IntentAffirmative] = careAcknowledge
	byIntent[bot.IntentNegative] = careAcknowledge
	byState[StateMenuFull] = careMenuChoice
	byState[StateOfferHuman] = careOfferHuman
	byState[StateDisputeInvoice] = careDisputeChoice
}

// careHandoff passes the conversation to a person at the debtor's request
// and tells them when one will answer; from then on the bot stays silent.
func careHandoff(mem Memory, env Env, reason string) Result {
	return careHandOver(mem, env, reason, mem.InvoiceID, reply(say("care.handoff.ack", nil), careWhen(env)))
}

// careHandOver sends r (which must say when a person will answer), marks
// the conversation for an agent and tells the billing system why.
func careHandOver(mem Memory, env Env, reason, invoiceID string, r Reply, before ...Action) Result {
	mem.Unknowns = 0
	mem.Care.Handoff, mem.Care.HandoffOn = reason, env.Today
	data := map[string]any{"reason": reason}
	if invoiceID != "" {
		data["invoice_id"] = invoiceID
	}
	actions := append(before, r, SetStatus{Status: bot.StatusNeedsAgent}, Emit{Type: "conversation.handoff", Data: data})
	return Result{State: StateWithAgent, Memory: mem, Actions: actions}
}

// careWhen says when a person will answer: at once inside the contact
// windows, else at the next opening ("segunda-feira às 09:00"). The
// weekday is part of the key because message arguments carry no weekdays
// and languages inflect them differently ("na segunda", "no sábado").
func careWhen(env Env) Part {
	p := env.Policy
	if p.Allowed(env.Now) {
		return say("care.when.soon", nil)
	}
	next := p.NextAllowed(env.Now)
	if next.IsZero() {
		return say("care.when.unknown", nil)
	}
	day := policy.DateOf(next)
	args := Args{"date": Date(day.String()), "time": next.Format("15:04")}
	switch policy.DateOf(env.Now).DaysUntil(day) {
	case 0:
		return say("care.when.today", Args{"time": args["time"]})
	case 1:
		return say("care.when.tomorrow", args)
	}
	return say("care.when."+strings.ToLower(day.Weekday().String()), args)
}

// careOptOut honours "pare de me mandar mensagem" at once, for whoever
// writes and in any state: one kind confirmation, then no proactive
// message ever again. The person may still write and is answered; "VOLTAR"
// gives consent back (rights.go).
func careOptOut(_ string, mem Memory, _ Input, env Env) Result {
	mem.Unknowns = 0
	mem.PendingIntent, mem.PendingText, mem.PendingEntities, mem.PendingMedia = "", "", bot.Entities{}, nil
	mem.Care.DisputeReason, mem.Care.DisputeOptions = "", nil
	actions := []Action{reply(say("care.optout.confirm", nil)), SetStatus{Status: bot.StatusResolved}}
	if mem.Care.OptedOutOn == "" {
		mem.Care.OptedOutOn = env.Today
		actions = append(actions, Emit{Type: "contact.opted_out", Data: map[string]any{}})
	}
	return Result{State: StateOptedOut, Memory: mem, Actions: actions}
}

// careWithAgent keeps the bot quiet while a person handles the
// conversation; the rights (rights.go) were honoured before this. While
// nobody has taken it over, a debtor still waiting on a later day is told,
// once a day, that their message waits and when a person will answer:
// "alguém vai te responder em instantes" must not be the last word for days.
func careWithAgent(_ string, mem Memory, _ Input, env Env) Result {
	if env.Agent != "" || mem.Care.HandoffOn == "" || mem.Care.HandoffOn >= env.Today || mem.Care.WaitingAckOn == env.Today {
		return Result{State: StateWithAgent, Memory: mem}
	}
	mem.Care.WaitingAckOn = env.Today
	parts := []Part{say(withContact(env, "care.handoff.waiting"), nil)}
	if !env.Policy.Allowed(env.Now) {
		parts = append(parts, careWhen(env)) // when the team is back; never "em instantes" again
	}
	return Result{State: StateWithAgent, Memory: mem, Actions: []Action{
		reply(parts...),
		SetStatus{Status: bot.StatusNeedsAgent},
	}}
}

// withContact picks key, which points to the creditor's own channel
// (phone, e-mail or site), or key+"_here" when the policy has none: "fale
// com a gente por este WhatsApp" would send the person back where they are.
func withContact(env Env, key string) string {
	c := env.Policy.Company
	if c.ContactPhone == "" && c.Email == "" && c.Website == "" {
		return key + "_here"
	}
	return key
}

// careUnknown answers what the bot did not understand: an apology and the
// numbered menu, and after repeated misses the offer of a person. Audio and
// stickers get their own answer — the debtor did say something, the bot
// just cannot read it — and keep a pending question open.
func careUnknown(state string, mem Memory, in Input, env Env) Result {
	mem.Unknowns++
	media := careMediaPart(in)
	first := say("unknown.reply", nil)
	if mem.Unknowns > 1 {
		first = say("unknown.reply_again", nil) // never the same "não entendi" twice in a row
	}
	if media != nil {
		first = *media
	}
	if mem.Unknowns >= careUnknownLimit(env) {
		return Result{State: StateOfferHuman, Memory: mem, Actions: []Action{
			Reply{Parts: []Part{first, say("care.offer_human.ask", nil)}, Buttons: yesNo()},
		}}
	}
	if media != nil {
		return Result{State: stateOr(state, StateMenu), Memory: mem, Actions: []Action{reply(first)}}
	}
	return Result{State: StateMenuFull, Memory: mem, Actions: []Action{reply(first, say("care.menu.full", nil))}}
}

// careUnknownLimit is how many misses in a row lead to offering a person;
// a policy without the setting (tests build one by hand) gets the default.
func careUnknownLimit(env Env) int {
	if n := env.Policy.Handoff.UnknownBeforeOfferHuman; n > 0 {
		return n
	}
	return policy.Default().Handoff.UnknownBeforeOfferHuman
}

// careMediaPart is the answer to a message the bot cannot read, or nil.
// Images and documents are receipts or invoices: the payments topic's.
func careMediaPart(in Input) *Part {
	if in.Media == nil {
		return nil
	}
	switch in.Media.Type {
	case "audio", "sticker":
		p := say("care.media."+in.Media.Type, nil)
		return &p
	}
	return nil
}

// careAcknowledge answers a "sim"/"ok"/👍 or "não" that no question was
// waiting for: a short acknowledgement, never "não entendi" and never the
// whole menu again — a person who says "ok" is not asking for anything.
func careAcknowledge(_ string, mem Memory, in Input, env Env) Result {
	mem.Unknowns = 0
	key := "care.ack.affirmative"
	if in.Class.Intent == bot.IntentNegative {
		key = "care.ack.negative"
	}
	return Result{State: StateMenu, Memory: mem, Actions: []Action{reply(say(key, firstNameArgs(env)))}}
}

// careMenuChoice answers the numbered menu. A number becomes the request
// it names, passed on as a fresh input so the topic answering it does not
// mistake the digit for a choice in a list of its own.
func careMenuChoice(state string, mem Memory, in Input, env Env) Result {
	intent, ok := careMenu[in.option()]
	if !ok {
		return answerIntent(state, mem, in, env)
	}
	mem.Unknowns = 0
	if intent == bot.IntentHumanAgent {
		return careHandoff(mem, env, handoffRequested)
	}
	return answerIntent(state, mem, Input{Class: bot.Classification{Intent: intent}}, env)
}

// careOfferHuman answers "quer falar com uma pessoa?".
func careOfferHuman(state string, mem Memory, in Input, env Env) Result {
	opt := in.option()
	switch {
	case opt == "1" || (opt == "" && in.Class.Intent == bot.IntentAffirmative):
		return careHandoff(mem, env, handoffNotUnderstood)
	case opt == "2" || (opt == "" && in.Class.Intent == bot.IntentNegative):
		mem.Unknowns = 0
		return Result{State: StateMenuFull, Memory: mem, Actions: []Action{
			reply(say("care.offer_human.declined", nil), say("care.menu.full", nil)),
		}}
	case in.Class.Intent == bot.IntentUnknown && payReceiptURL(in) == "":
		parts := []Part{say("care.offer_human.retry", nil)}
		if media := careMediaPart(in); media != nil {
			parts = append([]Part{*media}, parts...)
		}
		return Result{State: StateOfferHuman, Memory: mem, Actions: []Action{Reply{Parts: parts, Buttons: yesNo()}}}
	}
	return answerIntent(state, mem, in, env)
}

// careDispute answers "não devo", "valor errado", "isso é golpe?": no
// argument, the itemised calculation, collection of the invoice paused, a
// person to review it. With several open invoices and none under
// discussion, it first asks which one.
func careDispute(_ string, mem Memory, in Input, env Env) Result {
	mem.Unknowns = 0
	reason := careReason(in.Text)
	if len(env.Invoices) == 0 {
		return careDisputeNothingOpen(mem, env, reason)
	}
	if inv, ok := careDiscussed(mem, env); ok {
		return careOpenDispute(mem, env, []bot.Invoice{inv}, reason)
	}
	mem.Care.DisputeReason = reason
	mem.Care.DisputeOptions = make([]string, len(env.Invoices))
	for i, inv := range env.Invoices {
		mem.Care.DisputeOptions[i] = inv.ID
	}
	return Result{State: StateDisputeInvoice, Memory: mem, Actions: []Action{
		careDisputeQuestion(say("care.dispute.which", nameArgs(env)), mem, env),
	}}
}

// careDisputeChoice answers "qual fatura você quer contestar?".
func careDisputeChoice(state string, mem Memory, in Input, env Env) Result {
	opts := mem.Care.DisputeOptions
	if n, err := strconv.Atoi(in.option()); err == nil && n >= 1 && n <= len(opts)+1 {
		var chosen []bot.Invoice
		for i, id := range opts {
			if inv, ok := careInvoice(env, id); ok && (n == len(opts)+1 || n == i+1) {
				chosen = append(chosen, inv)
			}
		}
		if len(chosen) > 0 {
			reason := mem.Care.DisputeReason
			mem.Care.DisputeReason, mem.Care.DisputeOptions = "", nil
			return careOpenDispute(mem, env, chosen, reason)
		}
	}
	switch {
	case len(opts) == 0 || payReceiptURL(in) != "":
	case in.Class.Intent == bot.IntentUnknown, in.Class.Intent == bot.IntentAffirmative:
		// A number off the list (or an invoice paid meanwhile), "sim", an
		// audio: ask again — "não entendi" only for what was not understood.
		first := say("care.dispute.which_retry", nil)
		if in.Class.Intent == bot.IntentAffirmative {
			first = say("care.dispute.which_number", nil)
		}
		if media := careMediaPart(in); media != nil {
			first = *media
		}
		return Result{State: StateDisputeInvoice, Memory: mem, Actions: []Action{careDisputeQuestion(first, mem, env)}}
	}
	// Changed subject (a "não" drops the dispute); a new dispute message asks afresh.
	mem.Care.DisputeReason, mem.Care.DisputeOptions = "", nil
	return answerIntent(state, mem, in, env)
}

// careDisputeQuestion lists the open invoices by number, plus "all".
func careDisputeQuestion(first Part, mem Memory, env Env) Reply {
	parts := []Part{first}
	n := 0
	for _, id := range mem.Care.DisputeOptions {
		n++
		if inv, ok := careInvoice(env, id); ok {
			parts = append(parts, say("care.dispute.option", Args{"option": n, "description": careDescription(inv), "due": Date(inv.DueDate)}))
		}
	}
	parts = append(parts, say("care.dispute.option_all", Args{"option": n + 1}))
	return Reply{Parts: parts}
}

// careOpenDispute shows how each invoice's amount was reached, pauses its
// collection, records the dispute and hands the conversation to a person.
// An invoice already under dispute is not disputed twice.
func careOpenDispute(mem Memory, env Env, invs []bot.Invoice, reason string) Result {
	var actions []Action
	for i, inv := range invs {
		parts := careItemised(inv, env)
		if i == 0 {
			parts = append([]Part{say("care.dispute.ack", nameArgs(env))}, parts...)
		}
		actions = append(actions, reply(parts...))
	}
	detail, _ := json.Marshal(map[string]string{"reason": reason})
	fresh := 0
	for _, inv := range invs {
		if env.Collections[inv.ID].Status == bot.CollectionDisputed {
			continue
		}
		fresh++
		actions = append(actions,
			SetCollection{InvoiceID: inv.ID, Status: bot.CollectionDisputed, Detail: detail},
			Emit{Type: "dispute.opened", Data: map[string]any{"invoice_id": inv.ID, "reason": reason}})
	}
	closing := say("care.dispute.paused_many", Args{"count": len(invs)})
	mem.InvoiceID = ""
	if len(invs) == 1 {
		mem.InvoiceID = invs[0].ID
		key := "care.dispute.paused"
		if fresh == 0 {
			key = "care.dispute.already"
		}
		closing = say(key, Args{"description": careDescription(invs[0])})
	}
	return careHandOver(mem, env, handoffDispute, mem.InvoiceID,
		reply(closing, careWhen(env), say("care.dispute.official", nil)), actions...)
}

// careDisputeNothingOpen answers a dispute from a debtor with no open
// invoice (paid or cancelled meanwhile, or a charge the billing system
// never sent): still recorded and reviewed by a person.
func careDisputeNothingOpen(mem Memory, env Env, reason string) Result {
	return careHandOver(mem, env, handoffDispute, "",
		reply(say("care.dispute.no_invoice", nameArgs(env)), careWhen(env), say("care.dispute.official", nil)),
		Emit{Type: "dispute.opened", Data: map[string]any{"reason": reason}})
}

// careItemised is the calculation of one invoice, in balance.go's terms:
// its items, the billed amount, late fee and interest per policy, the
// total today.
func careItemised(inv bot.Invoice, env Env) []Part {
	parts := []Part{say("care.dispute.header", Args{"description": careDescription(inv), "due": Date(inv.DueDate)})}
	for _, it := range inv.Items {
		parts = append(parts, say("care.dispute.item", Args{"description": it.Description, "amount": Money(it.AmountCents)}))
	}
	parts = append(parts, say("care.dispute.amount", Args{"amount": Money(inv.AmountCents)}))
	total := inv.AmountCents
	if inv.DueDate >= env.Today {
		parts = append(parts, say("care.dispute.no_charges", nil))
	} else if ch, ok := env.Charges[inv.ID]; ok {
		if ch.LateFeeCents > 0 {
			parts = append(parts, say("care.dispute.late_fee", Args{"fee": Money(ch.LateFeeCents)}))
		}
		if ch.InterestCents > 0 {
			parts = append(parts, say("care.dispute.interest", Args{"interest": Money(ch.InterestCents), "due": Date(inv.DueDate)}))
		}
		total = ch.TotalCents
	}
	return append(parts, say("care.dispute.total", Args{"total": Money(total)}))
}

// careDiscussed is the invoice a dispute is about when that is clear: the
// one under discussion, or the only one open.
func careDiscussed(mem Memory, env Env) (bot.Invoice, bool) {
	if inv, ok := careInvoice(env, mem.InvoiceID); ok {
		return inv, true
	}
	if len(env.Invoices) == 1 {
		return env.Invoices[0], true
	}
	return bot.Invoice{}, false
}

// careInvoice finds an open invoice by id.
func careInvoice(env Env, id string) (bot.Invoice, bool) {
	for _, inv := range env.Invoices {
		if id != "" && inv.ID == id {
			return inv, true
		}
	}
	return bot.Invoice{}, false
}

func careDescription(inv bot.Invoice) string {
	if inv.Description != "" {
		return inv.Description
	}
	return inv.ID
}

// careReason is the debtor's text as sent to the billing system, bounded
// so one pasted essay cannot bloat every retry of the event.
func careReason(text string) string {
	t := strings.TrimSpace(text)
	if utf8.RuneCountInString(t) <= maxReasonRunes {
		return t
	}
	return strings.TrimSpace(string([]rune(t)[:maxReasonRunes]))
}
