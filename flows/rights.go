package flows

import "github.com/quitabot/quita/bot"

// The rights topic: what a person may always do, in every state, before or
// after the identity check, whoever they are (README "Debtor rights"):
//
//   - stop the messages (opt_out) — honoured at once, never "não entendi";
//   - ask for a person (human_agent);
//   - say the number is not the holder's (wrong_person), or that they are
//     someone else answering for the holder (a relative: the number stays),
//     or that the holder died (condolences, collection stops, a person
//     takes over);
//   - take back a "não" ("sou eu sim") in the same conversation;
//   - ask who is writing, which company, whether it is a scam, or the
//     creditor's CNPJ (CDC art. 42-A);
//   - ask to receive reminders again after opting out ("VOLTAR").
//
// Receipts are the payments topic's; Step keeps one from ever meeting "não
// entendi" (see askIdentity and confirmIdentity).

// Reasons carried by conversation.handoff for the rights topic.
const handoffDeceased = "deceased"

func init() {
	// Step sends these through rights before any state handler; the intent
	// handlers cover a request replayed after the identity check.
	byIntent[bot.IntentOptOut] = careOptOut
	byIntent[bot.IntentHumanAgent] = func(_ string, mem Memory, _ Input, env Env) Result {
		return careHandoff(mem, env, handoffRequested)
	}
	byIntent[bot.IntentWrongPerson] = func(_ string, mem Memory, _ Input, env Env) Result { return wrongPerson(mem, env.Today) }
}

// rights answers an input that exercises a right, whatever the state; ok is
// false when the input is no such thing. A person in charge (with_agent)
// keeps the conversation: only a stop, a wrong or dead holder and "who is
// this?" still get the bot's answer there.
func rights(state string, mem Memory, in Input, env Env) (Result, bool) {
	intent, topic := in.Class.Intent, in.Class.Entities.Topic
	switch {
	case topic == bot.TopicDeceased && deathOfTheHolder(intent):
		return holderDeceased(state, mem, env), true
	case intent == bot.IntentWrongPerson && topic == bot.TopicThirdParty:
		return thirdParty(state, mem, env), true
	case intent == bot.IntentWrongPerson:
		if state == StateClosed {
			mem.IdentityConfirmed = false
			return closed(mem, env), true
		}
		return wrongPerson(mem, env.Today), true
	case intent == bot.IntentOptOut:
		res := careOptOut(state, mem, in, env)
		if planCancelAsked(in) && mem.IdentityConfirmed && len(plans(env)) > 0 {
			// "PARE, e quero cancelar o acordo": both are heard.
			cancel := planCancel(res.Memory, env)
			res.State, res.Memory, res.Actions = cancel.State, cancel.Memory, append(res.Actions, cancel.Actions...)
		}
		return res, true
	case topic == bot.TopicSelf && mem.Care.DeceasedOn != "" && env.Customer != nil:
		// "sou eu" from a holder someone said had died: believed, and a
		// person who holds the case sees it in the transcript.
		mem.Care.DeceasedOn = ""
		return identityCorrected(mem, in, env), true
	case topic == bot.TopicWhoIsWriting && !(state == StateConfirmIdentity && intent == bot.IntentAffirmative):
		return whoIsWriting(state, mem, env), true
	case topic == bot.TopicOptIn && mem.Care.OptedOutOn != "":
		return optIn(state, mem, env), true
	case state == StateWithAgent:
		return Result{}, false
	case planCancelAsked(in) && env.Customer != nil && state != StateClosed && (topic == bot.TopicPlanCancel || len(plans(env)) > 0):
		// "cancela o acordo" may read as a request for a person; it is a
		// plan to undo (negotiation.go, planCancel). A stranger is asked
		// who they are first, the request kept for afterwards.
		if mem.IdentityConfirmed {
			return planCancel(mem, env), true
		}
		in.Class.Intent = bot.IntentRequestInstallments
		if state == StateConfirmIdentity {
			return confirmIdentity(mem, in, env), true
		}
		return askIdentity(mem, in, env), true
	case intent == bot.IntentHumanAgent:
		return careHandoff(mem, env, handoffRequested), true
	case state == StateClosed && topic == bot.TopicSelf:
		return identityCorrected(mem, in, env), true
	}
	return Result{}, false
}

// deathOfTheHolder reports whether a message that speaks of a death (topic
// deceased) says the holder died, rather than being the holder's own
// request told through a loss ("meu pai faleceu, pago dia 10" is a promise
// from a grieving debtor, answered as one).
func deathOfTheHolder(intent bot.Intent) bool {
	switch intent {
	case bot.IntentWrongPerson, bot.IntentUnknown, bot.IntentNegative, bot.IntentGreeting, bot.IntentThanks:
		return true
	}
	return false
}

// whoIsWriting answers "quem fala? / é golpe? / qual o CNPJ?": the
// creditor's name, document and official contact, and what the message is
// about without any detail a stranger may not hear. A pending identity
// question is asked again, so the person can answer it now they know.
func whoIsWriting(state string, mem Memory, env Env) Result {
	parts := []Part{creditorPart(env)}
	mem.Introduced = mem.Introduced || env.Policy.Company.Document != ""
	var buttons []Button
	switch {
	case env.Customer == nil || state == StateClosed:
		parts = append(parts, say("who.no_account", nil))
	case state == StateWithAgent:
		// A person holds the conversation: answered, not taken back.
		parts = append(parts, say(withContact(env, "who.about_private"), nil))
	case !mem.IdentityConfirmed:
		parts = append(parts, say(withContact(env, "who.about_private"), nil), say("identity.ask_plain", firstNameArgs(env)))
		buttons = yesNo()
		state = StateConfirmIdentity
	default:
		parts = append(parts, say(withContact(env, "who.about"), firstNameArgs(env)))
	}
	return Result{State: stateOr(state, StateMenu), Memory: mem, Actions: []Action{Reply{Parts: parts, Buttons: buttons}}}
}

// creditorPart names the creditor with its document when the policy has one.
func creditorPart(env Env) Part {
	if env.Policy.Company.Document == "" {
		return say("who.creditor", nil)
	}
	return say("who.creditor_document", nil)
}

// thirdParty answers someone writing for the holder ("aqui é o filho dela"):
// nothing about the debt is disclosed, the holder is asked to get in touch,
// and the number is kept — it is still the holder's. Identity is asked
// again next time: whoever holds the phone now is not the holder.
func thirdParty(state string, mem Memory, env Env) Result {
	mem.IdentityConfirmed = false
	mem.PendingIntent, mem.PendingText, mem.PendingEntities, mem.PendingMedia = "", "", bot.Entities{}, nil
	mem.Pay, mem.Deal, mem.InvoiceID = PayMemory{}, dealReset(mem.Deal), ""
	mem.Care.ThirdPartyOn = env.Today
	// Someone of the holder's household: not a wrong number after all.
	mem.Care.WrongNumberOn = ""
	next := StateStart
	if state == StateWithAgent {
		next = state
	}
	parts := []Part{say("third_party.ack", nil)}
	if env.Customer != nil {
		parts = append(parts, say("third_party.ask_holder", firstNameArgs(env)))
	}
	return Result{State: next, Memory: mem, Actions: []Action{
		reply(parts...),
		Emit{Type: "contact.third_party", Data: map[string]any{}},
	}}
}

// holderDeceased answers "ela faleceu": condolences, no collection ever
// again on this number, and a person at the creditor takes the case (the
// estate is theirs to handle, never the bot's).
func holderDeceased(state string, mem Memory, env Env) Result {
	mem.IdentityConfirmed = false
	mem.PendingIntent, mem.PendingText, mem.PendingEntities, mem.PendingMedia = "", "", bot.Entities{}, nil
	mem.Pay, mem.Deal, mem.InvoiceID = PayMemory{}, dealReset(mem.Deal), ""
	if mem.Care.DeceasedOn == "" {
		mem.Care.DeceasedOn = env.Today
	}
	r := reply(say("deceased.condolences", nil), careWhen(env))
	return careHandOver(mem, env, handoffDeceased, "", r, Emit{Type: "contact.deceased", Data: map[string]any{}})
}

// optIn records a person's wish to receive reminders again after an
// opt-out: consent given back is recorded and reported like its withdrawal.
func optIn(state string, mem Memory, env Env) Result {
	mem.Care.OptedOutOn = ""
	next := state
	if state == StateOptedOut || state == StateStart {
		next = StateMenu
	}
	return Result{State: next, Memory: mem, Actions: []Action{
		reply(say("care.optin.confirm", nil)),
		Emit{Type: "contact.opted_in", Data: map[string]any{}},
	}}
}

// identityCorrected believes "não… brincadeira, sou eu sim" after a "não"
// closed the number in this same conversation: the number is the holder's
// again, and the billing system hears it, since it was told otherwise.
func identityCorrected(mem Memory, in Input, env Env) Result {
	if env.Customer == nil {
		return closed(mem, env)
	}
	mem.IdentityConfirmed, mem.Care.WrongNumberOn = true, ""
	// What they asked before the "não" is answered now; else the menu.
	pending := Input{Text: mem.PendingText, Class: bot.Classification{Intent: mem.PendingIntent, Entities: mem.PendingEntities}, Media: mem.PendingMedia}
	mem.PendingIntent, mem.PendingText, mem.PendingEntities, mem.PendingMedia = "", "", bot.Entities{}, nil
	var res Result
	if pending.Class.Intent == "" && pending.Media == nil {
		res = Result{State: StateMenuFull, Memory: mem, Actions: []Action{reply(say("care.menu.full", nil))}}
	} else {
		res = answer(StateMenu, mem, pending, env)
	}
	lead := reply(say("identity.corrected", firstNameArgs(env)))
	res.Actions = append([]Action{lead, SetStatus{Status: bot.StatusOpen},
		Emit{Type: "contact.identity_corrected", Data: map[string]any{}}}, res.Actions...)
	return res
}

// thirdPartyAsks answers a request about the debt from someone who said
// today they write for the holder: the details are the holder's alone, and
// the holder, should they be the one writing now, can say so.
func thirdPartyAsks(mem Memory, env Env) Result {
	return Result{State: StateStart, Memory: mem, Actions: []Action{reply(say("third_party.no_details", firstNameArgs(env)))}}
}

// firstNameArgs carries only the first name: what a message may show a
// person whose identity is not confirmed.
func firstNameArgs(env Env) Args {
	if env.Customer == nil {
		return Args{"first_name": ""}
	}
	return Args{"first_name": nameArgs(env)["first_name"]}
}
