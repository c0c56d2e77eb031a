package flows

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/quitabot/quita/bot"
)

// everyState lists every state a conversation can be in: the core states
// and every state a topic registered.
func everyState() []string {
	states := []string{StateStart, StateConfirmIdentity, StateMenu, StateClosed, StateWithAgent, StateOptedOut}
	for s := range byState {
		if !slices.Contains(states, s) {
			states = append(states, s)
		}
	}
	sort.Strings(states[6:])
	return states
}

// notUnderstood are the keys that tell the person the bot did not understand.
var notUnderstood = []string{"unknown.reply", "identity.retry", "care.offer_human.retry", "care.dispute.which_retry",
	"pay.choose.retry", "pay.method.retry"}

// rightsInputs are one input per intent, the topics that change what a
// right means, and a receipt.
func rightsInputs() []Input {
	var ins []Input
	for _, intent := range bot.AllIntents {
		ins = append(ins, careIn(intent, "x"))
	}
	topic := func(intent bot.Intent, topic string) Input {
		in := careIn(intent, "x")
		in.Class.Entities.Topic = topic
		return in
	}
	ins = append(ins,
		topic(bot.IntentWrongPerson, bot.TopicThirdParty),
		topic(bot.IntentWrongPerson, bot.TopicDeceased),
		topic(bot.IntentUnknown, bot.TopicWhoIsWriting),
		topic(bot.IntentDisputeAmount, bot.TopicWhoIsWriting),
		topic(bot.IntentBalanceInquiry, bot.TopicWhoIsWriting),
		topic(bot.IntentAffirmative, bot.TopicSelf),
		topic(bot.IntentUnknown, bot.TopicOptIn),
		Input{Class: bot.Classification{Intent: bot.IntentUnknown}, Media: &bot.Media{Type: "image", URL: "https://media.example/receipt.jpg"}},
	)
	return ins
}

// TestRightsInEveryState walks every state × every input × identity
// confirmed or not, and holds the debtor's rights (README "Debtor
// rights"): a stop, a request for a person, a wrong, third or dead holder,
// "who is writing?" and a receipt are honoured whoever writes; nothing the
// bot understood is met with "não entendi"; nothing about the debt reaches
// a person whose identity is not confirmed.
func TestRightsInEveryState(t *testing.T) {
	env := careEnv()
	env.Policy.Company.Document = "11.222.333/0001-81"
	for _, state := range everyState() {
		for _, confirmed := range []bool{false, true} {
			for _, optedOut := range []bool{false, true} {
				mem := pendingQuestion(state, Memory{IdentityConfirmed: confirmed, InvoiceID: "INV-1"}, env)
				if optedOut {
					mem.Care.OptedOutOn = "2026-11-20"
				}
				for _, in := range rightsInputs() {
					name := fmt.Sprintf("%s/confirmed=%v/opted_out=%v/%s+%s", state, confirmed, optedOut, in.Class.Intent, in.Class.Entities.Topic)
					if in.Media != nil {
						name += "+receipt"
					}
					res := Step(state, mem, in, env)
					checkRight(t, name, state, mem, in, res)
					checkRenders(t, res.Actions)
				}
			}
		}
	}
}

// pendingQuestion fills the memory a state's question left, so each state
// is tested with its question really on the table.
func pendingQuestion(state string, mem Memory, env Env) Memory {
	ids := []string{"INV-1", "INV-2"}
	switch state {
	case StatePayChooseInvoice:
		mem.Pay = PayMemory{Next: payForPay, Choices: ids}
	case StatePayChooseMethod:
		mem.Pay = PayMemory{Methods: []string{payPix, payBoleto}}
	case StateAwaitingReceipt:
		mem.Pay = PayMemory{Claim: ids[:1]}
	case StateOfferEmail:
		mem.Pay = PayMemory{Resent: ids[:1]}
	case StateDisputeInvoice:
		mem.Care.DisputeOptions, mem.Care.DisputeReason = ids, "valor errado"
	case StateOfferHuman:
		mem.Unknowns = 2
	case StateDealPick:
		mem.Deal = DealMemory{Want: bot.IntentRequestInstallments, Choices: ids}
	case StatePlanOffer:
		mem.Deal = DealMemory{InvoiceIDs: ids[:1], Plans: env.Policy.PlanOptions(10296), OfferedOn: env.Today}
	case StateDiscountOffer:
		mem.Deal = DealMemory{InvoiceIDs: ids[:1], DiscountCents: 500}
	case StatePromiseConfirm:
		mem.Deal = DealMemory{InvoiceIDs: ids[:1], Date: "2026-11-30"}
	case StatePromiseDate, StateDealOptions, StateHardshipAsk:
		mem.Deal = DealMemory{InvoiceIDs: ids[:1]}
	}
	return mem
}

func checkRight(t *testing.T, name, state string, mem Memory, in Input, res Result) {
	t.Helper()
	got := keys(res.Actions)
	has := func(k string) bool { return slices.Contains(got, k) }
	intent, topic := in.Class.Intent, in.Class.Entities.Topic
	fail := func(format string, args ...any) {
		t.Errorf("%s: "+format+"\n  got %s %v", append(append([]any{name}, args...), res.State, got)...)
	}
	switch {
	case topic == bot.TopicDeceased:
		if res.State != StateWithAgent || res.Memory.Care.DeceasedOn == "" || !has("deceased.condolences") || !has("emit:contact.deceased") {
			fail("a death must be met with condolences, a person and contact.deceased")
		}
	case intent == bot.IntentWrongPerson && topic == bot.TopicThirdParty:
		if res.State == StateClosed || res.Memory.IdentityConfirmed || !has("emit:contact.third_party") || has("emit:contact.wrong_number") {
			fail("a third party keeps the number, hears nothing and is reported as such")
		}
	case intent == bot.IntentWrongPerson:
		if res.State != StateClosed || res.Memory.IdentityConfirmed || state != StateClosed && !has("emit:contact.wrong_number") {
			fail("a wrong number must close the contact and be reported")
		}
	case intent == bot.IntentOptOut:
		if res.State != StateOptedOut || res.Memory.Care.OptedOutOn == "" || !has("care.optout.confirm") ||
			has("emit:contact.opted_out") == (mem.Care.OptedOutOn != "") {
			fail("an opt-out must be confirmed at once and reported once")
		}
	case topic == bot.TopicWhoIsWriting:
		if !has("who.creditor_document") {
			fail("who is writing must be answered with the creditor and its document")
		}
	case intent == bot.IntentHumanAgent:
		if res.State != StateWithAgent || state != StateWithAgent && !has("emit:conversation.handoff") {
			fail("a request for a person must reach one")
		}
	case topic == bot.TopicOptIn && mem.Care.OptedOutOn != "":
		if res.Memory.Care.OptedOutOn != "" || !has("emit:contact.opted_in") {
			fail("VOLTAR must give consent back and be reported")
		}
	case state == StateClosed && topic == bot.TopicSelf:
		if !res.Memory.IdentityConfirmed || res.State == StateClosed || !has("emit:contact.identity_corrected") {
			fail(`"sou eu sim" after a "não" must be believed`)
		}
	case state == StateWithAgent:
		if len(res.Actions) != 0 {
			fail("a person is in charge: the bot stays quiet")
		}
	default:
		if len(res.Actions) == 0 {
			fail("every message gets an answer")
		}
	}
	if intent != bot.IntentOptOut && mem.Care.OptedOutOn != "" && topic != bot.TopicOptIn && res.Memory.Care.OptedOutOn == "" {
		fail("an opt-out outlives every other answer")
	}
	if intent != bot.IntentUnknown || in.Media != nil {
		for _, k := range notUnderstood {
			if has(k) {
				fail("understood %s answered with %s", intent, k)
			}
		}
	}
	if !mem.IdentityConfirmed && !res.Memory.IdentityConfirmed {
		for _, a := range res.Actions {
			r, ok := a.(Reply)
			if !ok {
				continue
			}
			for _, p := range r.Parts {
				for k, v := range p.Args {
					if _, money := v.(Money); money || k == "description" || k == "name" {
						fail("part %s discloses %s=%v before identity", p.Key, k, v)
					}
				}
			}
		}
	}
	if in.Media != nil && state != StateWithAgent && len(res.Actions) == 0 {
		fail("a receipt must never meet silence")
	}
}
