package flows

import "github.com/quitabot/quita/bot"

// What an agent does to a conversation. The engine handles taking over and
// handing back; the flows decide what the debtor hears and what the
// billing system is told.

// ResumeState is where the bot picks a conversation up when an agent hands
// it back: the menu once the debtor's identity is settled, else the start.
// Opted-out and wrong-number conversations stay as they are: an agent
// handing back never reopens a number that asked to be left alone.
func ResumeState(state string, mem Memory) string {
	switch {
	case state == StateOptedOut || state == StateClosed:
		return state
	case mem.Care.WrongNumberOn != "":
		return StateClosed // a wrong number an agent handled stays closed
	case mem.IdentityConfirmed:
		return StateMenu
	default:
		return StateStart
	}
}

// CustomerChanged is what a conversation keeps when the number it is on
// now belongs to another customer (README "Debtor rights"): the identity
// confirmed for the previous customer does not carry over, nor what was
// under discussion or asked before the check, nor what was said about the
// previous holder (a wrong number, a relative, a death). An opt-out stays:
// it was the phone's owner who asked for no more messages.
func CustomerChanged(state string, mem Memory) (string, Memory) {
	fresh := Memory{Care: CareMemory{OptedOutOn: mem.Care.OptedOutOn}}
	switch state {
	case StateOptedOut, StateWithAgent:
		return state, fresh
	}
	return StateStart, fresh
}

// Silenced reports whether nothing more may be sent in a conversation in
// state: the debtor opted out, or the number is not the debtor's.
func Silenced(state string) bool { return state == StateOptedOut || state == StateClosed }

// ReceiptConfirmed is an agent's confirmation that the debtor's receipt
// proves payment of invs: the debtor is thanked (without detail when their
// identity is not confirmed) and the billing system hears the claim
// confirmed, with who confirmed it.
func ReceiptConfirmed(state string, mem Memory, invs []bot.Invoice, agent string, env Env) Result {
	actions := make([]Action, 0, len(invs)+2)
	for _, inv := range invs {
		ev := payClaimEvent(inv, "", "", env)
		ev.Data["confirmed"] = true
		ev.Data["confirmed_by"] = agent
		actions = append(actions, ev)
		if mem.InvoiceID == inv.ID {
			mem.InvoiceID = ""
		}
	}
	if Silenced(state) || len(invs) == 0 || env.Customer == nil {
		return Result{State: state, Memory: mem, Actions: actions}
	}
	var part Part
	switch {
	case !mem.IdentityConfirmed:
		part = say("care.agent.receipt_confirmed_private", nil)
	case len(invs) == 1:
		part = say("care.agent.receipt_confirmed", Args{"first_name": nameArgs(env)["first_name"], "description": payDescribe(invs[0])})
	default:
		part = say("care.agent.receipt_confirmed_many", Args{"first_name": nameArgs(env)["first_name"], "count": len(invs)})
	}
	return Result{State: state, Memory: mem, Actions: append([]Action{reply(part)}, actions...)}
}

// ReceiptRejected is an agent's finding that a receipt does not prove
// payment of inv: collection resumes and the debtor is told politely,
// without accusing anyone, how to sort it out.
func ReceiptRejected(state string, mem Memory, inv bot.Invoice, env Env) Result {
	actions := []Action{SetCollection{InvoiceID: inv.ID, Status: bot.CollectionActive}}
	if Silenced(state) || env.Customer == nil {
		return Result{State: state, Memory: mem, Actions: actions}
	}
	part := say("care.agent.receipt_rejected_private", nil)
	if mem.IdentityConfirmed {
		args := payInvoiceArgs(inv, env)
		args["first_name"] = nameArgs(env)["first_name"]
		part = say("care.agent.receipt_rejected", args)
	}
	return Result{State: state, Memory: mem, Actions: append([]Action{reply(part)}, actions...)}
}

// AgentText is an agent's own words to the debtor, signed with the agent's
// name when the policy says so.
func AgentText(text, agent string, env Env) Reply {
	if env.Policy.Handoff.AgentSignature {
		return reply(say("care.agent.signed", Args{"text": text, "agent": agent}))
	}
	return reply(say("care.agent.plain", Args{"text": text}))
}
