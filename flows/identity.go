package flows

import "github.com/quitabot/quita/bot"

// askIdentity confirms who is on the other end before anything about the
// debt is said, and remembers what they asked so it can be answered after.
func askIdentity(mem Memory, in Input, env Env) Result {
	keepPending(&mem, in)
	return Result{State: StateConfirmIdentity, Memory: mem, Actions: []Action{
		reply(say("intro.unknown", nil)),
		Reply{Parts: []Part{say("identity.ask", firstNameArgs(env))}, Buttons: yesNo()},
	}}
}

// keepPending remembers a request (or a receipt) made before the identity
// check, so it is answered in full once the person confirms. Greetings and
// words the bot did not understand leave an earlier request in place.
func keepPending(mem *Memory, in Input) {
	switch in.Class.Intent {
	case bot.IntentGreeting, bot.IntentUnknown, bot.IntentThanks, bot.IntentAffirmative, bot.IntentNegative:
		if in.Media == nil {
			return
		}
	}
	mem.PendingIntent, mem.PendingText, mem.PendingEntities = in.Class.Intent, in.Text, in.Class.Entities
	// A receipt sent before the identity check is kept, not lost.
	mem.PendingMedia = in.Media
}

// confirmIdentity handles the answer to "falo com …?". Only words it could
// not read get "não entendi"; a request or a receipt sent instead of an
// answer is kept for afterwards and the question asked again.
func confirmIdentity(mem Memory, in Input, env Env) Result {
	switch intent := in.Class.Intent; {
	case intent == bot.IntentAffirmative || in.Class.Entities.Topic == bot.TopicSelf:
		// "sou eu, mas não devo nada": the request in the same breath is
		// what gets answered.
		keepPending(&mem, in)
		mem.IdentityConfirmed = true
		pending := mem.PendingIntent
		next := Input{Text: mem.PendingText, Class: bot.Classification{Intent: pending, Entities: mem.PendingEntities}, Media: mem.PendingMedia}
		mem.PendingIntent, mem.PendingText, mem.PendingEntities, mem.PendingMedia = "", "", bot.Entities{}, nil
		var res Result
		if pending == "" && next.Media == nil {
			// Nothing asked yet: the menu, without greeting them twice.
			res = Result{State: StateMenuFull, Memory: mem, Actions: []Action{reply(say("care.menu.full", nil))}}
		} else {
			res = answer(StateMenu, mem, next, env)
		}
		confirmed := reply(say("identity.confirmed", nameArgs(env)))
		res.Actions = append([]Action{confirmed}, res.Actions...)
		return res
	case intent == bot.IntentNegative:
		return wrongPerson(mem, env.Today)
	case intent == bot.IntentUnknown && in.Media == nil:
		return Result{State: StateConfirmIdentity, Memory: mem, Actions: []Action{
			Reply{Parts: []Part{say("identity.retry", firstNameArgs(env))}, Buttons: yesNo()},
		}}
	}
	keepPending(&mem, in)
	key := "identity.ask_again"
	if payReceiptURL(in) != "" {
		key = "identity.receipt_kept"
	}
	return Result{State: StateConfirmIdentity, Memory: mem, Actions: []Action{
		Reply{Parts: []Part{say(key, firstNameArgs(env))}, Buttons: yesNo()},
	}}
}

// wrongPerson ends contact with this number without disclosing anything.
// The same conversation can still take it back ("sou eu sim"), and then
// what was asked before the "não" (kept in memory, never shown) is answered.
func wrongPerson(mem Memory, today string) Result {
	mem.IdentityConfirmed = false
	if mem.Care.WrongNumberOn == "" {
		mem.Care.WrongNumberOn = today
	}
	return Result{State: StateClosed, Memory: mem, Actions: []Action{
		reply(say("identity.denied", nil)),
		SetStatus{Status: bot.StatusResolved},
		Emit{Type: "contact.wrong_number", Data: map[string]any{}},
	}}
}

// unknownNumber answers a number no customer has, without disclosing
// whether anybody owes anything. A receipt from it goes to a person.
func unknownNumber(state string, mem Memory, in Input, env Env) Result {
	if in.Class.Intent == bot.IntentThanks {
		return Result{State: stateOr(state, StateMenu), Memory: mem}
	}
	if payReceiptURL(in) != "" {
		return receiptForAPerson(stateOr(state, StateMenu), mem, env, say("intro.unknown", nil))
	}
	return Result{State: stateOr(state, StateMenu), Memory: mem, Actions: []Action{
		reply(say("intro.unknown", nil), say("unknown_number", nil)),
	}}
}

// closed answers a number that said it is not the debtor: once more
// politely, never with debt details.
func closed(mem Memory, env Env) Result {
	return Result{State: StateClosed, Memory: mem, Actions: []Action{reply(say("closed", nil))}}
}

// closedAnswer answers a message on a closed number: a receipt still
// reaches a person (whoever paid deserves an answer), anything else hears
// that the number is out of the contacts and how to reach the creditor.
func closedAnswer(mem Memory, in Input, env Env) Result {
	if payReceiptURL(in) != "" {
		return receiptForAPerson(StateClosed, mem, env)
	}
	return closed(mem, env)
}

// receiptForAPerson passes a receipt from someone the bot may tell nothing
// to (an unknown or closed number) to a person at the creditor, who can
// check it without the bot disclosing anything.
func receiptForAPerson(state string, mem Memory, env Env, lead ...Part) Result {
	mem.Care.Handoff = "receipt_review"
	return Result{State: state, Memory: mem, Actions: []Action{
		reply(append(lead, say("receipt.forwarded", nil), careWhen(env))...),
		SetStatus{Status: bot.StatusNeedsAgent},
		Emit{Type: "conversation.handoff", Data: map[string]any{"reason": "receipt_review"}},
	}}
}

func yesNo() []Button {
	return []Button{{ID: "1", Key: "button.yes"}, {ID: "2", Key: "button.no"}}
}
