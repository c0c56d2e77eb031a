package flows

import (
	"reflect"
	"testing"

	"github.com/quitabot/quita/bot"
)

var dealConfirmed = []string{"deal.promise.confirmed", "deal.subject", "deal.promise.paused", "emit:promise.created"}

func TestPromises(t *testing.T) {
	one, two := dealEnv(nil, dealOct), dealEnv(nil, dealOct, dealNov)
	promise := func(text, date string) Input {
		return dmsg(bot.IntentPromiseToPay, text, bot.Entities{Date: date})
	}
	runDealCases(t, []dealCase{
		{"a date within the limit is recorded", StateMenu, dealYes, promise("pago dia 10", "2026-12-10"), one, StateMenu, dealConfirmed, func(t *testing.T, r Result) {
			// What it will cost on 10/12: R$ 300,00 + R$ 6,00 multa + R$ 4,60 juros (46 days).
			if ev := dealEmits(r, "promise.created")[0]; ev["invoice_id"] != "INV-1" || ev["date"] != "2026-12-10" || ev["amount_cents"] != int64(31060) {
				t.Errorf("event %v", ev)
			}
			if got := dealCollections(r); !reflect.DeepEqual(got, []string{"INV-1 promised 2026-12-10"}) {
				t.Errorf("collections %v", got)
			}
			if a := dealArgs(t, r, "deal.promise.confirmed"); a["amount"] != Money(31060) || a["date"] != Date("2026-12-10") || a["first_name"] != "Maria" {
				t.Errorf("reply %v", a)
			}
			if !reflect.DeepEqual(r.Memory, Memory{IdentityConfirmed: true, InvoiceID: "INV-1"}) {
				t.Errorf("memory %+v", r.Memory)
			}
		}},
		{"today is fine", StateMenu, dealYes, promise("pago hoje", "2026-11-23"), one, StateMenu,
			[]string{"deal.promise.confirmed_today", "deal.subject", "deal.promise.pay_hint", "emit:promise.created"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.promise.confirmed_today"); a["amount"] != Money(30890) {
					t.Errorf("reply %v", a)
				}
			}},
		{"no date: ask for it", StateMenu, dealYes, promise("vou pagar", ""), one, StatePromiseDate,
			[]string{"deal.promise.intro", "deal.subject", "deal.promise.ask_date"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.promise.ask_date"); a["latest"] != Date("2026-12-23") {
					t.Errorf("latest %v", a)
				}
			}},
		{"a past date asks again", StateMenu, dealYes, promise("paguei dia 1", "2026-11-01"), one, StatePromiseDate, []string{"deal.promise.past_date"}, nil},
		{"beyond the limit: the latest date is proposed, or a plan", StateMenu, dealYes, promise("pago em janeiro", "2027-01-15"), one, StatePromiseConfirm,
			[]string{"deal.promise.too_far", "deal.promise.confirm_ask"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.promise.too_far"); a["date"] != Date("2027-01-15") || a["latest"] != Date("2026-12-23") {
					t.Errorf("reply %v", a)
				}
				if r.Memory.Deal.Date != "2026-12-23" {
					t.Errorf("memory %+v", r.Memory.Deal)
				}
			}},
		{"beyond the limit without plans", StateMenu, dealYes, promise("pago em janeiro", "2027-01-15"), dealEnv(nil, dealSmall), StatePromiseConfirm,
			[]string{"deal.promise.too_far", "deal.promise.confirm_ask_only"}, nil},
		{"tudo promises every open invoice", StateMenu, dealYes, promise("pago tudo dia 10", "2026-12-10"), two, StateMenu,
			[]string{"deal.promise.confirmed", "deal.subject", "deal.subject", "deal.promise.paused", "emit:promise.created", "emit:promise.created"},
			func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.promise.confirmed"); a["amount"] != Money(31060+16390) {
					t.Errorf("reply %v", a)
				}
				if got := dealCollections(r); len(got) != 2 {
					t.Errorf("collections %v", got)
				}
			}},
		{"several invoices: which one, keeping the date", StateMenu, dealYes, promise("pago dia 10", "2026-12-10"), two, StateDealPick, nil, func(t *testing.T, r Result) {
			if r.Memory.Deal.WantDate != "2026-12-10" || r.Memory.Deal.Want != bot.IntentPromiseToPay {
				t.Errorf("memory %+v", r.Memory.Deal)
			}
		}},
	})
}

func TestPromiseQuestions(t *testing.T) {
	one := dealEnv(nil, dealOct)
	asking := dealMem("INV-1")
	proposed := dealMem("INV-1")
	proposed.Deal.Date = "2026-12-23"
	runDealCases(t, []dealCase{
		{"a bare date answers", StatePromiseDate, asking, dmsg(bot.IntentUnknown, "dia 10", bot.Entities{Date: "2026-12-10"}), one, StateMenu, dealConfirmed, nil},
		{"not sure yet", StatePromiseDate, asking, msg(bot.IntentNegative, "nao sei ainda"), one, StateMenu, []string{"deal.promise.no_date"}, nil},
		{"yes without a date asks again", StatePromiseDate, asking, msg(bot.IntentAffirmative, "pode ser"), one, StatePromiseDate, []string{"deal.promise.ask_again"}, nil},
		{"installments instead", StatePromiseDate, asking, dmsg(bot.IntentRequestInstallments, "parcela em 3x", bot.Entities{Installments: 3}), one,
			StatePlanOffer, []string{"deal.plan.single", "deal.subject", "deal.plan.interest", "deal.plan.single_ask"}, nil},
		{"unrelated leaves", StatePromiseDate, asking, msg(bot.IntentBalanceInquiry, "quanto e"), one, "", nil, func(t *testing.T, r Result) {
			if r.Memory.Deal.InvoiceIDs != nil {
				t.Errorf("memory %+v", r.Memory.Deal)
			}
		}},
		{"yes to the proposed date", StatePromiseConfirm, proposed, msg(bot.IntentAffirmative, "1"), one, StateMenu, dealConfirmed, func(t *testing.T, r Result) {
			if got := dealCollections(r); !reflect.DeepEqual(got, []string{"INV-1 promised 2026-12-23"}) {
				t.Errorf("collections %v", got)
			}
		}},
		{"another date instead", StatePromiseConfirm, proposed, dmsg(bot.IntentPromiseToPay, "melhor dia 20", bot.Entities{Date: "2026-12-20"}), one, StateMenu, dealConfirmed,
			func(t *testing.T, r Result) {
				if got := dealCollections(r); !reflect.DeepEqual(got, []string{"INV-1 promised 2026-12-20"}) {
					t.Errorf("collections %v", got)
				}
			}},
		{"no: the plans", StatePromiseConfirm, proposed, msg(bot.IntentNegative, "2"), one, StatePlanOffer, dealMenuKeys, nil},
		{"no without plans asks for another date", StatePromiseConfirm, Memory{IdentityConfirmed: true, Deal: DealMemory{InvoiceIDs: []string{"INV-3"}, Date: "2026-12-23"}},
			msg(bot.IntentNegative, "2"), dealEnv(nil, dealSmall), StatePromiseDate, []string{"deal.promise.ask_other"}, nil},
		{"something else leaves", StatePromiseConfirm, proposed, msg(bot.IntentGreeting, "oi"), one, "", nil, func(t *testing.T, r Result) {
			if r.Memory.Deal.Date != "" {
				t.Errorf("memory %+v", r.Memory.Deal)
			}
		}},
	})
}

func TestExtensions(t *testing.T) {
	one := dealEnv(nil, dealOct)
	good := dealEnv(func(e *Env) {
		e.Customer = &bot.Customer{ID: "cus_1", Name: "Maria Souza", Tags: []string{"Good_Payer"}}
	}, dealOct)
	goodNov := dealEnv(func(e *Env) {
		e.Customer = &bot.Customer{ID: "cus_1", Name: "Maria Souza", Tags: []string{"bom_pagador"}}
	}, dealNov)
	broken := dealYes
	broken.Deal.BrokenPromises = 1
	more := func(text, date string) Input { return dmsg(bot.IntentRequestExtension, text, bot.Entities{Date: date}) }
	granted := []string{"deal.extension.granted", "deal.subject", "deal.extension.granted_note"}
	runDealCases(t, []dealCase{
		{"refused without a date: a date or a plan", StateMenu, dealYes, more("preciso de mais prazo", ""), one, StateDealOptions,
			[]string{"deal.extension.options", "deal.options"}, nil},
		{"refused with a date in reach: offered as a promise", StateMenu, dealYes, more("posso pagar dia 10?", "2026-12-10"), one, StatePromiseConfirm,
			[]string{"deal.extension.offer_promise", "deal.promise.confirm_ask"}, func(t *testing.T, r Result) {
				if r.Memory.Deal.Date != "2026-12-10" || dealArgs(t, r, "deal.extension.offer_promise")["date"] != Date("2026-12-10") {
					t.Errorf("memory %+v", r.Memory.Deal)
				}
			}},
		{"refused and nothing to split: a date", StateMenu, dealYes, more("preciso de mais prazo", ""), dealEnv(nil, dealSmall), StatePromiseDate,
			[]string{"deal.extension.ask_date"}, nil},
		{"good history: granted from today when late", StateMenu, dealYes, more("preciso de mais prazo", ""), good, StateMenu, granted, func(t *testing.T, r Result) {
			if got := dealCollections(r); !reflect.DeepEqual(got, []string{"INV-1 extended 2026-11-30"}) {
				t.Errorf("collections %v", got)
			}
		}},
		{"good history: at most the maximum", StateMenu, dealYes, more("pode ser dia 10?", "2026-12-10"), good, StateMenu,
			append([]string{"deal.extension.max"}, granted...), func(t *testing.T, r Result) {
				if dealArgs(t, r, "deal.extension.max")["days"] != 7 || dealArgs(t, r, "deal.extension.granted")["date"] != Date("2026-11-30") {
					t.Errorf("reply wrong")
				}
			}},
		{"good history: counted from a due date ahead", StateMenu, dealYes, more("preciso de uns dias", ""), goodNov, StateMenu, granted, func(t *testing.T, r Result) {
			if got := dealCollections(r); !reflect.DeepEqual(got, []string{"INV-2 extended 2026-12-02"}) {
				t.Errorf("collections %v", got)
			}
		}},
		{"a broken promise loses the good history", StateMenu, broken, more("preciso de mais prazo", ""), good, StateDealOptions, nil, nil},
		{"a date before the due date needs nothing", StateMenu, dealYes, more("posso pagar amanha?", "2026-11-24"), dealEnv(nil, dealNov), StateMenu,
			[]string{"deal.extension.not_needed", "deal.subject"}, nil},
		{"asking for today when late is a promise for today", StateMenu, dealYes, more("posso pagar hoje a noite?", "2026-11-23"), one, StateMenu,
			[]string{"deal.promise.confirmed_today", "deal.subject", "deal.promise.pay_hint", "emit:promise.created"}, nil},
		{"option 1: a date", StateDealOptions, dealMem("INV-1"), msg(bot.IntentAffirmative, "1"), one, StatePromiseDate,
			[]string{"deal.promise.intro", "deal.subject", "deal.promise.ask_date"}, nil},
		{"option 2: plans", StateDealOptions, dealMem("INV-1"), msg(bot.IntentNegative, "2"), one, StatePlanOffer, dealMenuKeys, nil},
		{"a date straight away", StateDealOptions, dealMem("INV-1"), dmsg(bot.IntentUnknown, "sexta", bot.Entities{Date: "2026-11-27"}), one, StateMenu, dealConfirmed, nil},
		{"no is respected", StateDealOptions, dealMem("INV-1"), msg(bot.IntentNegative, "nao"), one, StateMenu, []string{"deal.no_pressure"}, nil},
		{"hardship there gets empathy", StateDealOptions, dealMem("INV-1"), msg(bot.IntentFinancialHardship, "to sem dinheiro"), one, StateHardshipAsk, nil, nil},
	})
}

func TestPromiseMissed(t *testing.T) {
	one := dealEnv(func(e *Env) {
		e.Collections["INV-1"] = bot.Collection{Status: bot.CollectionPromised, Until: "2026-11-20"}
	}, dealOct)
	missed := Input{Event: EventPromiseMissed, Invoice: &dealOct}
	first := promiseMissed(StateMenu, dealYes, missed, one)
	if got := keys(first.Actions); !reflect.DeepEqual(got, []string{"deal.promise.missed", "deal.subject", "deal.promise.missed_ask", "deal.options"}) {
		t.Fatalf("first follow-up %v", got)
	}
	if first.State != StateDealOptions || first.Memory.Deal.BrokenPromises != 1 || !reflect.DeepEqual(dealCollections(first), []string{"INV-1 active "}) {
		t.Fatalf("first follow-up %+v %v", first, dealCollections(first))
	}
	if a := dealArgs(t, first, "deal.promise.missed"); a["amount"] != Money(30890) || a["first_name"] != "Maria" {
		t.Fatalf("args %v", a)
	}
	// The debtor answers with a new date; it is recorded and the count stays.
	again := Step(first.State, first.Memory, dmsg(bot.IntentUnknown, "dia 30", bot.Entities{Date: "2026-11-30"}), one)
	if again.Memory.Deal.BrokenPromises != 1 || len(dealEmits(again, "promise.created")) != 1 {
		t.Fatalf("new promise %+v", again)
	}
	second := promiseMissed(StateMenu, again.Memory, missed, one)
	if got := keys(second.Actions); !reflect.DeepEqual(got, []string{"deal.promise.missed", "deal.subject", "deal.promise.missed_handoff",
		"status:needs_agent", "emit:conversation.handoff"}) || second.State != StateMenu {
		t.Fatalf("second follow-up %v %s", got, second.State)
	}
	if h := dealEmits(second, "conversation.handoff")[0]; h["reason"] != "broken_promise" || h["invoice_id"] != "INV-1" || h["broken_promises"] != 2 {
		t.Fatalf("handoff %v", h)
	}
	quiet := []struct {
		name  string
		state string
		mem   Memory
		env   Env
	}{
		{"not yet confirmed", StateMenu, Memory{}, one},
		{"closed number", StateClosed, dealYes, one},
		{"opted out", StateOptedOut, dealYes, one},
		{"a person holds the conversation", StateWithAgent, dealYes, one},
		{"paid meanwhile", StateMenu, dealYes, dealEnv(nil, dealNov)},
		{"under a plan meanwhile", StateMenu, dealYes, dealEnv(func(e *Env) { e.Collections["INV-1"] = bot.Collection{Status: bot.CollectionPlan} }, dealOct)},
	}
	for _, q := range quiet {
		if r := promiseMissed(q.state, q.mem, missed, q.env); len(r.Actions) != 0 || r.State != q.state {
			t.Errorf("%s: %v", q.name, keys(r.Actions))
		}
	}
	limit3 := one
	limit3.Policy.Promises.BrokenBeforeEscalation = 3
	if r := promiseMissed(StateMenu, again.Memory, missed, limit3); r.State != StateDealOptions {
		t.Errorf("with broken_before_escalation 3 the second miss went to a person: %s", r.State)
	}
}

// TestEveryIntentInEveryNegotiationState: whatever the debtor says while a
// negotiation question is pending gets an answer, never silence or a panic.
func TestEveryIntentInEveryNegotiationState(t *testing.T) {
	e := dealEnv(func(e *Env) { e.Policy.Discounts.Enabled = true }, dealOct, dealNov)
	menu := Step(StateMenu, Memory{IdentityConfirmed: true, InvoiceID: "INV-1"}, msg(bot.IntentRequestInstallments, "parcelar"), e).Memory
	withDate := dealMem("INV-1")
	withDate.Deal.Date = "2026-12-10"
	withDiscount := dealMem("INV-1")
	withDiscount.Deal.DiscountCents = 3089
	pick := Memory{IdentityConfirmed: true, Deal: DealMemory{Want: bot.IntentPromiseToPay, Choices: []string{"INV-1", "INV-2"}}}
	states := map[string]Memory{StatePlanOffer: menu, StateHardshipAsk: dealYes, StateDiscountOffer: withDiscount, StatePromiseDate: dealMem("INV-1"),
		StatePromiseConfirm: withDate, StateDealOptions: dealMem("INV-1"), StateDealPick: pick}
	for state, mem := range states {
		for _, intent := range bot.AllIntents {
			for _, text := range []string{"texto", "1", "2", "7"} {
				r := Step(state, mem, msg(intent, text), e)
				if len(r.Actions) == 0 || r.State == "" {
					t.Errorf("%s / %s %q: no answer (%s)", state, intent, text, r.State)
				}
			}
		}
	}
}
