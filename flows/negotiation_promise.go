package flows

import (
	"strings"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// This file holds the negotiation's questions — hardship, the discount,
// payment dates — with promises to pay, extensions and the follow-up of a
// missed promise. Plans, acceptance and shared helpers are in negotiation.go.

// hardship answers "I can't pay" with empathy first, then a gentle yes/no
// question; a debtor who already named a count gets the plan straight away.
func hardship(_ string, mem Memory, in Input, env Env) Result {
	empathy := say("deal.hardship.empathy", nameArgs(env))
	switch {
	case !env.Policy.Installments.Enabled:
		return dealPrepend(dealGo(bot.IntentPromiseToPay, mem, in, env), empathy)
	case in.Class.Entities.Installments >= 2 || len(dealEligible(env)) == 0:
		return dealPrepend(dealGo(bot.IntentRequestInstallments, mem, in, env), empathy)
	}
	mem.Unknowns, mem.Deal = 0, dealReset(mem.Deal)
	// A hard moment often comes with "vocês ficam mandando mensagem todo
	// dia": the way to stop them is said plainly, never assumed.
	parts := []Part{empathy, say("deal.hardship.ask_plan", nil), say("deal.hardship.how_to_stop", nil)}
	return Result{State: StateHardshipAsk, Memory: mem, Actions: []Action{Reply{Parts: parts, Buttons: yesNo()}}}
}

// dealQuestionState handles the answers to the negotiation's questions:
// hardship_ask (a plan?), discount_offer (take it?), promise_ask_date,
// promise_confirm (this date?) and deal_options (a date or a plan?). Past
// hardship_ask, a date or an installment request is understood in each.
func dealQuestionState(state string, mem Memory, in Input, env Env) Result {
	subject, total := dealSubject(mem, env)
	n, intent, date := dealOption(in), in.Class.Intent, in.Class.Entities.Date
	yes := n == 1 || n == 0 && (intent == bot.IntentAffirmative || intent == bot.IntentPromiseToPay && date == "")
	no := n == 2 || intent == bot.IntentNegative
	noPressure := dealSay(StateMenu, mem, say("deal.no_pressure", nameArgs(env)))
	noPressure.Memory.Deal = dealReset(mem.Deal)
	switch {
	case state == StateHardshipAsk && yes:
		return dealGo(bot.IntentRequestInstallments, mem, in, env)
	case state == StateHardshipAsk && no:
		return noPressure
	case len(subject) == 0 || state == StateHardshipAsk: // not expected here: dealLeave below
	case state == StateDiscountOffer && mem.Deal.DiscountCents > 0 && (yes || intent == bot.IntentPayNow):
		cents := total - mem.Deal.DiscountCents
		full := policy.PlanOption{Count: 1, InstallmentCents: cents, LastInstallmentCents: cents, TotalCents: cents}
		return dealAccept(mem, subject, full, mem.Deal.DiscountCents, env)
	case state == StateDiscountOffer && no:
		return dealAskDate(mem, env, "deal.alternatives")
	case state == StateDiscountOffer && date == "" && intent != bot.IntentRequestInstallments: // dealLeave
	case date != "" && !no: // a date answers any of the remaining questions
		return promiseAnswer(mem, date, env)
	case intent == bot.IntentRequestInstallments || state == StateDealOptions && n == 2:
		return planAnswer(mem, in.Class.Entities.Installments, env)
	case state == StatePromiseConfirm && yes:
		return promiseAnswer(mem, mem.Deal.Date, env)
	case state == StatePromiseConfirm && no && len(env.Policy.PlanOptions(total)) > 0:
		return planAnswer(mem, 0, env)
	case state == StatePromiseConfirm && no:
		return dealAskDate(mem, env, "deal.promise.ask_other")
	case state == StatePromiseDate && no:
		noPressure.Actions = []Action{reply(say("deal.promise.no_date", nameArgs(env)))}
		return noPressure
	case no:
		return noPressure
	case state == StateDealOptions && (yes || intent == bot.IntentRequestExtension):
		return promiseAnswer(mem, "", env)
	case yes || intent == bot.IntentPromiseToPay || intent == bot.IntentRequestExtension:
		return dealAskDate(mem, env, "deal.promise.ask_again")
	}
	return dealLeave(state, mem, in, env)
}

// promiseAnswer records a promise for date — from today up to
// promises.max_days ahead — or asks for a usable one.
func promiseAnswer(mem Memory, date string, env Env) Result {
	subject, total := dealSubject(mem, env)
	today, _ := policy.ParseDate(env.Today)
	latest := env.Policy.LatestPromiseDate(today).String()
	switch {
	case date == "":
		return dealPrepend(dealAskDate(mem, env, "deal.promise.ask_date"), append([]Part{say("deal.promise.intro", Args{"amount": Money(total)})}, dealLines(subject)...)...)
	case date < env.Today:
		return dealAskDate(mem, env, "deal.promise.past_date")
	case date > latest:
		args := nameArgs(env)
		args["date"], args["latest"] = Date(date), Date(latest)
		return dealPrepend(promisePropose(mem, latest, env), say("deal.promise.too_far", args))
	}
	key, hint := "deal.promise.confirmed", "deal.promise.paused"
	if date == env.Today {
		key, hint = "deal.promise.confirmed_today", "deal.promise.pay_hint"
	}
	promised, _ := policy.ParseDate(date)
	var actions []Action
	var sum int64
	for _, inv := range subject {
		amount := dealDue(inv, env)
		if due, err := policy.ParseDate(inv.DueDate); err == nil {
			_, _, amount = env.Policy.LateCharges(inv.AmountCents, due, promised) // what it will cost on that day
		}
		sum += amount
		actions = append(actions, SetCollection{InvoiceID: inv.ID, Status: bot.CollectionPromised, Until: date},
			Emit{Type: "promise.created", Data: map[string]any{"invoice_id": inv.ID, "date": date, "amount_cents": amount}})
	}
	args := nameArgs(env)
	args["amount"], args["date"] = Money(sum), Date(date)
	mem.Deal = dealReset(mem.Deal)
	res := dealSay(StateMenu, mem, append(append([]Part{say(key, args)}, dealLines(subject)...), say(hint, nil))...)
	res.Actions = append(res.Actions, actions...)
	return res
}

// promisePropose asks to confirm date as the promise, with plans as the
// alternative when there are any.
func promisePropose(mem Memory, date string, env Env) Result {
	ask, buttons := "deal.promise.confirm_ask_only", yesNo()
	if _, total := dealSubject(mem, env); len(env.Policy.PlanOptions(total)) > 0 {
		ask, buttons = "deal.promise.confirm_ask", nil
	}
	mem.Deal.Date = date
	return Result{State: StatePromiseConfirm, Memory: mem, Actions: []Action{Reply{Parts: []Part{say(ask, Args{"date": Date(date)})}, Buttons: buttons}}}
}

// extensionAnswer lets policy decide on more time, counted from the due
// date while it is ahead, else from today. Granted: the new date. Refused:
// never a flat no — the date asked for as a promise, or a date or a plan.
func extensionAnswer(mem Memory, date string, env Env) Result {
	subject, total := dealSubject(mem, env)
	today, _ := policy.ParseDate(env.Today)
	base := today
	for i, inv := range subject {
		if due, err := policy.ParseDate(inv.DueDate); err == nil && (i == 0 || due.Before(base)) {
			base = due
		}
	}
	if base.Before(today) {
		base = today
	}
	args, requested := nameArgs(env), 0
	args["date"], args["amount"] = Date(date), Money(total)
	if wanted, err := policy.ParseDate(date); err == nil {
		switch {
		case !wanted.After(base) && base.After(today) && !wanted.Before(today):
			return dealEnd(mem, append([]Part{say("deal.extension.not_needed", args)}, dealLines(subject)...))
		case !wanted.After(base):
			return promiseAnswer(mem, date, env)
		}
		requested = base.DaysUntil(wanted)
	}
	if days := env.Policy.ExtensionDays(requested, dealGoodHistory(mem, env)); days > 0 {
		until := base.AddDays(days).String()
		args["date"] = Date(until)
		parts := []Part{say("deal.extension.granted", args)}
		if requested > days {
			parts = append([]Part{say("deal.extension.max", Args{"days": days})}, parts...)
		}
		res := dealEnd(mem, append(append(parts, dealLines(subject)...), say("deal.extension.granted_note", args)))
		for _, inv := range subject {
			res.Actions = append(res.Actions, SetCollection{InvoiceID: inv.ID, Status: bot.CollectionExtended, Until: until})
		}
		return res
	}
	latest := env.Policy.LatestPromiseDate(today).String()
	switch {
	case date != "" && date <= latest:
		return dealPrepend(promisePropose(mem, date, env), say("deal.extension.offer_promise", args))
	case len(env.Policy.PlanOptions(total)) == 0:
		return dealAskDate(mem, env, "deal.extension.ask_date")
	}
	return dealSay(StateDealOptions, mem, say("deal.extension.options", args), say("deal.options", Args{"latest": Date(latest)}))
}

// dealGoodHistory is the "pays on time" signal extensions may require: a
// customer tag from the billing system, lost after a broken promise.
func dealGoodHistory(mem Memory, env Env) bool {
	for _, t := range env.Customer.Tags {
		if t = strings.ToLower(strings.TrimSpace(t)); (t == "good_payer" || t == "bom_pagador") && mem.Deal.BrokenPromises == 0 {
			return true
		}
	}
	return false
}

// promiseMissed follows up a promise date that passed unpaid: politely,
// allowing that the payment may be on its way, offering a new date or a
// plan; at promises.broken_before_escalation broken promises a person
// takes over instead. Collection of the invoice resumes either way.
func promiseMissed(state string, mem Memory, in Input, env Env) Result {
	var inv []bot.Invoice
	if in.Invoice != nil {
		inv = dealFind([]string{in.Invoice.ID}, dealEligible(env)) // nil once paid, or under a plan, claim or dispute
	}
	if state == StateClosed || state == StateOptedOut || state == StateWithAgent || env.Customer == nil || !mem.IdentityConfirmed || inv == nil {
		return Result{State: state, Memory: mem}
	}
	mem.Deal = dealReset(mem.Deal)
	mem.Deal.BrokenPromises++
	mem.InvoiceID, mem.Deal.InvoiceIDs = inv[0].ID, []string{inv[0].ID}
	args := nameArgs(env)
	args["amount"] = Money(dealDue(inv[0], env))
	parts := append([]Part{say("deal.promise.missed", args)}, dealLines(inv)...)
	resume := SetCollection{InvoiceID: inv[0].ID, Status: bot.CollectionActive}
	limit := env.Policy.Promises.BrokenBeforeEscalation
	if limit < 1 {
		limit = 2 // unset: the second broken promise goes to a person, as by default
	}
	if mem.Deal.BrokenPromises >= limit {
		mem.Deal.InvoiceIDs = nil
		handoff := Emit{Type: "conversation.handoff", Data: map[string]any{"reason": "broken_promise", "invoice_id": inv[0].ID, "broken_promises": mem.Deal.BrokenPromises}}
		return Result{State: StateMenu, Memory: mem, Actions: []Action{reply(append(parts, say("deal.promise.missed_handoff", nil))...), resume, SetStatus{Status: bot.StatusNeedsAgent}, handoff}}
	}
	today, _ := policy.ParseDate(env.Today)
	parts = append(parts, say("deal.promise.missed_ask", nil), say("deal.options", Args{"latest": Date(env.Policy.LatestPromiseDate(today).String())}))
	return Result{State: StateDealOptions, Memory: mem, Actions: []Action{reply(parts...), resume}}
}

// dealAskDate asks for a payment date with key (which may use first_name
// and latest) and waits in promise_ask_date, keeping the subject.
func dealAskDate(mem Memory, env Env, key string) Result {
	today, _ := policy.ParseDate(env.Today)
	args := nameArgs(env)
	args["latest"] = Date(env.Policy.LatestPromiseDate(today).String())
	ids := mem.Deal.InvoiceIDs
	mem.Deal = dealReset(mem.Deal)
	mem.Deal.InvoiceIDs = ids
	return dealSay(StatePromiseDate, mem, say(key, args))
}
