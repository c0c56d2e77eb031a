package flows

import "github.com/quitabot/quita/bot"

// ProactiveKeys are the catalog keys of the messages the flows send
// without the debtor having just written (besides the reminder cadence's
// own messages): where only pre-approved templates may start a
// conversation (the WhatsApp Cloud API outside its 24-hour window), each
// needs one.
var ProactiveKeys = []string{"reminder.payable_today", "reminder.hello", "reminder.hello_document", "reminder.claim_review.private", "reminder.claim_review.one", "reminder.claim_review.many", "reminder.code", "deal.promise.missed", "paid.thanks", "paid.thanks_private"}

// event handles what happens to a conversation without a debtor message.
func event(state string, mem Memory, in Input, env Env) Result {
	if in.Event == EventInvoicePaid && in.Invoice != nil {
		return paymentConfirmed(state, mem, *in.Invoice, env)
	}
	if in.Event == EventPromiseMissed {
		return promiseMissed(state, mem, in, env)
	}
	if in.Event == EventReminder {
		return reminder(state, mem, in, env)
	}
	return Result{State: state, Memory: mem}
}

// paymentConfirmed thanks the debtor once the billing system confirms a
// payment. A closed number (wrong person) hears nothing; a person not yet
// confirmed hears a thanks without any detail of the debt.
func paymentConfirmed(state string, mem Memory, inv bot.Invoice, env Env) Result {
	if stop := ProactiveStop(state, mem, env.Policy, env.Today); stop != "" && stop != "unanswered" && stop != "talked_today" || env.Customer == nil {
		// Closed and opted-out numbers hear nothing more; a person holding
		// the conversation sees the payment in the transcript and speaks.
		return Result{State: state, Memory: mem}
	}
	if mem.InvoiceID == inv.ID {
		mem.InvoiceID = ""
	}
	if !mem.IdentityConfirmed {
		return Result{State: stateOr(state, StateStart), Memory: mem, Actions: []Action{
			reply(say("intro.unknown", nil), say("paid.thanks_private", nil)),
		}}
	}
	desc := inv.Description
	if desc == "" {
		desc = inv.ID
	}
	parts := []Part{say("paid.thanks", Args{"first_name": nameArgs(env)["first_name"], "description": desc, "amount": Money(inv.AmountCents)})}
	actions := []Action{}
	if len(env.Invoices) == 0 {
		parts = append(parts, say("paid.all_settled", nil))
		actions = append(actions, SetStatus{Status: bot.StatusResolved})
	} else {
		parts = append(parts, say("paid.others_open", Args{"count": len(env.Invoices)}))
	}
	return Result{State: StateMenu, Memory: mem, Actions: append([]Action{reply(parts...)}, actions...)}
}
