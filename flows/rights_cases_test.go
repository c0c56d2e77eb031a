package flows

import (
	"slices"
	"testing"

	"github.com/quitabot/quita/bot"
)

// Multi-step paths through the rights that the single-step table
// (TestRightsInEveryState) cannot see.

func topicIn(intent bot.Intent, text, topic string) Input {
	in := careIn(intent, text)
	in.Class.Entities.Topic = topic
	return in
}

// TestRightsCases walks the paths a review of the rights found unguarded.
func TestRightsCases(t *testing.T) {
	env := careEnv()
	confirmed := Memory{IdentityConfirmed: true}

	t.Run("a stop that names a deal is still a stop", func(t *testing.T) {
		in := topicIn(bot.IntentOptOut, "não quero acordo nenhum, cancela essas mensagens", bot.TopicPlanCancel)
		for _, mem := range []Memory{confirmed, {}} {
			res := Step(StateMenu, mem, in, env)
			if res.State != StateOptedOut || res.Memory.Care.OptedOutOn == "" || !slices.Contains(keys(res.Actions), "emit:contact.opted_out") {
				t.Errorf("confirmed=%v: %s %v", mem.IdentityConfirmed, res.State, keys(res.Actions))
			}
		}
	})

	t.Run("a wrong number an agent handled stays closed and unreminded", func(t *testing.T) {
		res := Step(StateConfirmIdentity, Memory{}, careIn(bot.IntentNegative, "não"), env)
		res = Step(res.State, res.Memory, careIn(bot.IntentHumanAgent, "quero falar com alguém"), env)
		if res.State != StateWithAgent {
			t.Fatalf("a person asked for: %s", res.State)
		}
		if back := ResumeState(res.State, res.Memory); back != StateClosed {
			t.Fatalf("handed back to %s", back)
		}
		if stop := ProactiveStop(StateMenu, res.Memory, env.Policy, env.Today); stop != "wrong_number" {
			t.Fatalf("proactive stop %q", stop)
		}
	})

	t.Run("after a relative wrote, the holder can still say it is them, and a receipt is kept", func(t *testing.T) {
		res := Step(StateConfirmIdentity, Memory{}, topicIn(bot.IntentWrongPerson, "aqui é o filho dela", bot.TopicThirdParty), env)
		if k := keys(Step(res.State, res.Memory, careIn(bot.IntentBalanceInquiry, "quanto ela deve?"), env).Actions); !slices.Equal(k, []string{"third_party.no_details"}) {
			t.Fatalf("a relative asking: %v", k)
		}
		self := Step(res.State, res.Memory, topicIn(bot.IntentAffirmative, "sou eu", bot.TopicSelf), env)
		if self.State != StateConfirmIdentity || !slices.Contains(keys(self.Actions), "identity.ask") {
			t.Fatalf(`"sou eu" the same day: %s %v`, self.State, keys(self.Actions))
		}
		receipt := Input{Class: bot.Classification{Intent: bot.IntentUnknown}, Media: &bot.Media{Type: "image", URL: "https://media.example/r.jpg"}}
		if r := Step(res.State, res.Memory, receipt, env); r.Memory.PendingMedia == nil {
			t.Fatalf("a receipt the same day: %v", keys(r.Actions))
		}
	})

	t.Run("a grieving debtor's promise is a promise, not a death", func(t *testing.T) {
		in := topicIn(bot.IntentPromiseToPay, "desculpa o atraso, meu pai faleceu, pago dia 10", bot.TopicDeceased)
		res := Step(StateConfirmIdentity, Memory{}, in, env)
		if res.Memory.Care.DeceasedOn != "" || slices.Contains(keys(res.Actions), "emit:contact.deceased") || res.Memory.PendingIntent != bot.IntentPromiseToPay {
			t.Fatalf("%s %v %+v", res.State, keys(res.Actions), res.Memory.Care)
		}
	})

	t.Run("a holder said to have died who writes 'sou eu' is believed", func(t *testing.T) {
		res := Step(StateConfirmIdentity, Memory{}, topicIn(bot.IntentWrongPerson, "ela faleceu", bot.TopicDeceased), env)
		res = Step(res.State, res.Memory, topicIn(bot.IntentAffirmative, "sou eu, tô viva!", bot.TopicSelf), env)
		if res.Memory.Care.DeceasedOn != "" || !res.Memory.IdentityConfirmed {
			t.Fatalf("%s %v %+v", res.State, keys(res.Actions), res.Memory.Care)
		}
	})

	t.Run("'sou eu, mas não devo' answers the dispute", func(t *testing.T) {
		in := topicIn(bot.IntentDisputeAmount, "sou eu mas não devo nada", bot.TopicSelf)
		res := Step(StateConfirmIdentity, Memory{}, in, env)
		if !res.Memory.IdentityConfirmed || res.State != StateDisputeInvoice {
			t.Fatalf("%s %v", res.State, keys(res.Actions))
		}
	})

	t.Run("'quem fala?' does not take a conversation from the agent", func(t *testing.T) {
		held := env
		held.Agent = "ana"
		res := Step(StateWithAgent, Memory{}, topicIn(bot.IntentUnknown, "quem fala?", bot.TopicWhoIsWriting), held)
		if res.State != StateWithAgent || !slices.Contains(keys(res.Actions), "who.creditor") && !slices.Contains(keys(res.Actions), "who.creditor_document") {
			t.Fatalf("%s %v", res.State, keys(res.Actions))
		}
	})

	t.Run("a stopped number still reaches a person when the cadence runs out or a receipt waits", func(t *testing.T) {
		optedOut := Memory{IdentityConfirmed: true, Care: CareMemory{OptedOutOn: "2026-11-01"}}
		review := ReminderItem{Kind: ReminderClaimReview, InvoiceID: "INV-1", Step: "claim-review@2026-11-20"}
		res := Step(StateOptedOut, optedOut, reminderIn(escalateINV1, review, ReminderItem{Kind: ReminderStep, InvoiceID: "INV-2",
			Step: "d-3@2026-11-25", Message: "reminder.upcoming", Tone: "friendly", Offset: -3, Due: "2026-11-25", Anchor: "2026-11-25"}), env)
		k := keys(res.Actions)
		for _, a := range res.Actions {
			if _, ok := a.(Reply); ok {
				t.Fatalf("a message went to an opted-out number: %v", k)
			}
		}
		if handoffs := emits(res.Actions)["conversation.handoff"]; len(handoffs) != 2 {
			t.Fatalf("handoffs %v (%v)", handoffs, k)
		}
	})
}
