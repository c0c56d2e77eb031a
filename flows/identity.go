package flows

import "github.com/quitabot/quita/bot"

func init() {
	byIntent[bot.IntentWrongPerson] = func(_ string, mem Memory, _ Input, _ Env) Result { return wrongPerson(mem) }
}

// askIdentity confirms who is on the other end before anything about the
// debt is said, and remembers what they asked so it can be answered after.
func askIdentity(mem Memory, in Input, env Env) Result {
	if in.Class.Intent != bot.IntentGreeting && in.Class.Intent != bot.IntentUnknown || in.Media != nil {
		mem.PendingIntent, mem.PendingText, mem.PendingEntities = in.Class.Intent, in.Text, in.Class.Entities
		// A receipt sent before the identity check is kept, not lost.
		mem.PendingMedia = in.Media
	}
	return Result{State: StateConfirmIdentity, Memory: mem, Actions: []Action{
		reply(say("intro.unknown", nil)),
		Reply{Parts: []Part{say("identity.ask", nameArgs(env))}, Buttons: yesNo()},
	}}
}

// confirmIdentity handles the answer to "falo com …?".
func confirmIdentity(mem Memory, in Input, env Env) Result {
	switch in.Class.Intent {
	case bot.IntentAffirmative:
		mem.IdentityConfirmed = true
		pending := mem.PendingIntent
		next := Input{Text: mem.PendingText, Class: bot.Classification{Intent: pending, Entities: mem.PendingEntities}, Media: mem.PendingMedia}
		mem.PendingIntent, mem.PendingText, mem.PendingEntities, mem.PendingMedia = "", "", bot.Entities{}, nil
		if pending == "" && next.Media == nil {
			next.Class.Intent = bot.IntentGreeting
		}
		res := answer(StateMenu, mem, next, env)
		confirmed := reply(say("identity.confirmed", nameArgs(env)))
		res.Actions = append([]Action{confirmed}, res.Actions...)
		return res
	case bot.IntentNegative, bot.IntentWrongPerson:
		return wrongPerson(mem)
	}
	return Result{State: StateConfirmIdentity, Memory: mem, Actions: []Action{
		Reply{Parts: []Part{say("identity.retry", nameArgs(env))}, Buttons: yesNo()},
	}}
}

// wrongPerson ends contact with this number without disclosing anything.
func wrongPerson(mem Memory) Result {
	mem.PendingIntent, mem.PendingText, mem.PendingEntities, mem.PendingMedia = "", "", bot.Entities{}, nil
	return Result{State: StateClosed, Memory: mem, Actions: []Action{
		reply(say("identity.denied", nil)),
		SetStatus{Status: bot.StatusResolved},
		Emit{Type: "contact.wrong_number", Data: map[string]any{}},
	}}
}

// unknownNumber answers a number no customer has, without disclosing
// whether anybody owes anything.
func unknownNumber(state string, mem Memory, in Input) Result {
	if in.Class.Intent == bot.IntentThanks {
		return Result{State: stateOr(state, StateMenu), Memory: mem}
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

func yesNo() []Button {
	return []Button{{ID: "1", Key: "button.yes"}, {ID: "2", Key: "button.no"}}
}
