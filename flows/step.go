package flows

import (
	"strings"

	"github.com/quitabot/quita/bot"
)

// Step advances a conversation by one input. Every intent has an answer in
// every state: unexpected ones fall back to the menu rather than silence.
func Step(state string, mem Memory, in Input, env Env) Result {
	if state == "" {
		state = StateStart
	}
	if in.Event != "" {
		return event(state, mem, in, env)
	}
	// The person wrote: unanswered proactive questions no longer count.
	// (The engine records the day in WroteOn.)
	mem.IdentityPrompts = 0
	return step(state, mem, in, env)
}

// OneMenu keeps the full numbered menu from appearing twice in a row: the
// second time a short pointer to it stands in (the numbers still work).
// shownLast is the memory's MenuShown before the step; the engine applies
// it to every answer to a debtor's message and keeps res.Memory.MenuShown.
func OneMenu(shownLast bool, res Result) Result {
	shown := false
	for i, a := range res.Actions {
		r, ok := a.(Reply)
		if !ok {
			continue
		}
		for j, p := range r.Parts {
			if p.Key != "care.menu.full" {
				continue
			}
			shown = true
			if shownLast {
				parts := append([]Part{}, r.Parts...)
				parts[j] = say("care.menu.again", nil)
				r.Parts = parts
				res.Actions[i] = r
			}
		}
	}
	res.Memory.MenuShown = shown
	return res
}

// step answers one debtor message (Step without the menu bookkeeping).
func step(state string, mem Memory, in Input, env Env) Result {
	if res, ok := rights(state, mem, in, env); ok {
		return res
	}
	switch {
	case state == StateClosed:
		return closedAnswer(mem, in, env)
	case state == StateWithAgent:
		return careWithAgent(state, mem, in, env)
	case env.Customer == nil:
		return unknownNumber(state, mem, in, env)
	case state == StateOptedOut:
		return optedOutAnswer(mem, in, env)
	case state == StateConfirmIdentity:
		return confirmIdentity(mem, in, env)
	case !mem.IdentityConfirmed && needsIdentity(in.Class.Intent) && mem.Care.ThirdPartyOn == env.Today && asksForDetails(in):
		return thirdPartyAsks(mem, env)
	case !mem.IdentityConfirmed && needsIdentity(in.Class.Intent):
		return askIdentity(mem, in, env)
	}
	return answer(state, mem, in, env)
}

// optedOutAnswer answers a person who opted out and now writes first:
// opting out stops proactive messages, not their right to ask or pay. The
// answer is the usual one (identity first, nothing disclosed before it),
// with a reminder of how to receive messages again.
func optedOutAnswer(mem Memory, in Input, env Env) Result {
	start := StateStart
	if mem.IdentityConfirmed {
		start = StateMenu
	}
	res := step(start, mem, in, env)
	if res.State != StateOptedOut && res.State != StateWithAgent {
		res.Actions = append(res.Actions, SetStatus{Status: bot.StatusOpen})
	}
	// The hint joins the first message, so codes sent alone stay alone.
	hint := say("care.optout.hint", nil)
	for i, a := range res.Actions {
		if r, ok := a.(Reply); ok {
			r.Parts = append(append([]Part{}, r.Parts...), hint)
			res.Actions[i] = r
			return res
		}
	}
	res.Actions = append(res.Actions, reply(hint))
	return res
}

// asksForDetails reports whether a message from someone who said today
// they write for the holder asks about the debt: not a "sim"/"sou eu" (the
// holder may have taken the phone: the identity question decides), not a
// greeting, and not a receipt or "ela já pagou" (kept for the check).
func asksForDetails(in Input) bool {
	switch in.Class.Intent {
	case bot.IntentAffirmative, bot.IntentGreeting, bot.IntentAlreadyPaid:
		return false
	}
	return in.Class.Entities.Topic != bot.TopicSelf && in.Media == nil
}

// needsIdentity reports whether answering intent would reveal debt
// details, which LGPD and CDC art. 42 forbid before the person is known.
func needsIdentity(intent bot.Intent) bool {
	switch intent {
	case bot.IntentThanks, bot.IntentOptOut, bot.IntentWrongPerson, bot.IntentHumanAgent:
		// Honoured at once for whoever is writing: none of them reveals the debt.
		return false
	}
	return true
}

// Handler answers one input in a given state.
type Handler func(state string, mem Memory, in Input, env Env) Result

// byState routes inputs in states owned by a topic (a pending question,
// an offer on the table) to that topic's handler; byIntent answers an
// intent in any other state. Topic files register themselves in init, so
// adding a topic never edits the dispatcher.
var (
	byState  = map[string]Handler{}
	byIntent = map[bot.Intent]Handler{}
	// onAttachment looks at an image or document that came without words
	// (classified unknown) before the unknown handler does; ok=false
	// passes it on.
	onAttachment func(state string, mem Memory, in Input, env Env) (Result, bool)
)

// answer handles an input from a confirmed debtor: the state's owner
// first, then the intent's handler, then the core intents below.
func answer(state string, mem Memory, in Input, env Env) Result {
	if h, ok := byState[state]; ok {
		return h(state, mem, in, env)
	}
	return answerIntent(state, mem, in, env)
}

// answerIntent answers by intent alone; state handlers fall back to it for
// anything they do not expect, so no input ever meets silence.
func answerIntent(state string, mem Memory, in Input, env Env) Result {
	intent := in.Class.Intent
	if planCancelAsked(in) {
		return planCancel(mem, env) // a request kept across the identity check
	}
	switch intent {
	case bot.IntentAlreadyPaid, bot.IntentDisputeAmount, bot.IntentPromiseToPay, bot.IntentRequestExtension:
		// "paguei a parcela", "a parcela está errada", "pago a parcela
		// dia 10": claims, disputes and dates have their own answers.
	default:
		// "parcela 2", "o boleto da parcela": the plan's payment, whatever
		// the intent ("parcela" reads as a request to split).
		if in.Class.Entities.Topic == bot.TopicInstallment {
			if res, ok := payInstallment(nil, mem, in, env); ok {
				return res
			}
		}
	}
	if intent == bot.IntentUnknown && in.Media != nil && onAttachment != nil {
		if res, ok := onAttachment(state, mem, in, env); ok {
			return res
		}
	}
	if h, ok := byIntent[intent]; ok {
		return h(state, mem, in, env)
	}
	switch intent {
	case bot.IntentBalanceInquiry:
		mem.Unknowns = 0
		return Result{State: StateMenu, Memory: mem, Actions: []Action{balance(env)}}
	case bot.IntentGreeting:
		mem.Unknowns = 0
		return Result{State: StateMenuFull, Memory: mem, Actions: []Action{
			reply(say("intro.known", nameArgs(env))),
			reply(say("care.menu.full", nil)),
		}}
	case bot.IntentThanks:
		if !mem.IdentityConfirmed {
			// Whoever holds the phone may not be the debtor: no name.
			return Result{State: state, Memory: mem, Actions: []Action{reply(say("thanks.reply_private", nil))}}
		}
		return Result{State: stateOr(state, StateMenu), Memory: mem, Actions: []Action{reply(say("thanks.reply", firstNameArgs(env)))}}
	}
	mem.Unknowns++
	return Result{State: StateMenuFull, Memory: mem, Actions: []Action{
		reply(say("unknown.reply", nil), say("care.menu.full", nil)),
	}}
}

func stateOr(state, fallback string) string {
	if state == StateStart {
		return fallback
	}
	return state
}

// nameArgs carries the debtor's full and first name.
func nameArgs(env Env) Args {
	name := strings.TrimSpace(env.Customer.Name)
	first, _, _ := strings.Cut(name, " ")
	return Args{"name": name, "first_name": first}
}
