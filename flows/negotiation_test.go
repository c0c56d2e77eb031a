package flows

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/pix"
	"github.com/quitabot/quita/bot/policy"
)

// Fixtures: on 2026-11-23 "Internet outubro" (R$ 300,00, due 25/10) costs
// R$ 308,90 with the default policy (2 % multa, 1 % a month for 29 days);
// "Internet novembro" (R$ 159,90, due 25/11) is not late yet.
var (
	dealOct   = bot.Invoice{ID: "INV-1", Description: "Internet outubro", AmountCents: 30000, DueDate: "2026-10-25"}
	dealNov   = bot.Invoice{ID: "INV-2", Description: "Internet novembro", AmountCents: 15990, DueDate: "2026-11-25"}
	dealSmall = bot.Invoice{ID: "INV-3", Description: "Taxa", AmountCents: 6000, DueDate: "2026-10-25"}
	dealNext  = bot.Invoice{ID: "INV-9", Description: "Internet dezembro", AmountCents: 10000, DueDate: "2026-11-30"} // only 2x fits
	dealYes   = Memory{IdentityConfirmed: true}
)

// dealEnv is an env with the default policy and charges computed by it, as
// the engine does; change may adjust it.
func dealEnv(change func(*Env), invs ...bot.Invoice) Env {
	p := policy.Default()
	p.Company.Name = "Loja Exemplo"
	e := Env{Now: env.Now, Today: "2026-11-23", Customer: maria, Invoices: invs, Charges: map[string]Charge{},
		Collections: map[string]bot.Collection{}, Policy: p}
	today, _ := policy.ParseDate(e.Today)
	for _, inv := range invs {
		due, _ := policy.ParseDate(inv.DueDate)
		fee, interest, total := p.LateCharges(inv.AmountCents, due, today)
		e.Charges[inv.ID] = Charge{LateFeeCents: fee, InterestCents: interest, TotalCents: total}
	}
	if change != nil {
		change(&e)
	}
	return e
}

func dmsg(intent bot.Intent, text string, ent bot.Entities) Input {
	return Input{Text: text, Class: bot.Classification{Intent: intent, Entities: ent}}
}

func dealMem(ids ...string) Memory {
	return Memory{IdentityConfirmed: true, Deal: DealMemory{InvoiceIDs: ids}}
}

// dealArgs returns the arguments of the first part with key.
func dealArgs(t *testing.T, r Result, key string) Args {
	t.Helper()
	for _, a := range r.Actions {
		if rep, ok := a.(Reply); ok {
			for _, p := range rep.Parts {
				if p.Key == key {
					return p.Args
				}
			}
		}
	}
	t.Fatalf("no part %s in %v", key, keys(r.Actions))
	return nil
}

func dealEmits(r Result, typ string) []map[string]any {
	var out []map[string]any
	for _, a := range r.Actions {
		if e, ok := a.(Emit); ok && e.Type == typ {
			out = append(out, e.Data)
		}
	}
	return out
}

// dealCollections lists the collection changes as "id status until".
func dealCollections(r Result) []string {
	var out []string
	for _, a := range r.Actions {
		if c, ok := a.(SetCollection); ok {
			out = append(out, c.InvoiceID+" "+string(c.Status)+" "+c.Until)
		}
	}
	return out
}

type dealCase struct {
	name      string
	state     string
	mem       Memory
	in        Input
	env       Env
	wantState string
	wantKeys  []string
	check     func(t *testing.T, r Result)
}

func runDealCases(t *testing.T, cases []dealCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Step(tc.state, tc.mem, tc.in, tc.env)
			if tc.wantState != "" && r.State != tc.wantState { // "" when another topic answers
				t.Errorf("state = %s, want %s", r.State, tc.wantState)
			}
			if k := keys(r.Actions); tc.wantKeys != nil && !reflect.DeepEqual(k, tc.wantKeys) {
				t.Errorf("keys = %v\nwant   %v", k, tc.wantKeys)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

var dealMenuKeys = []string{"deal.plan.header", "deal.subject", "deal.plan.option", "deal.plan.option", "deal.plan.option",
	"deal.plan.option_full", "deal.plan.interest", "deal.plan.choose"}

func TestPlans(t *testing.T) {
	one, two := dealEnv(nil, dealOct), dealEnv(nil, dealOct, dealNov)
	off := dealEnv(func(e *Env) { e.Policy.Installments.Enabled = false }, dealOct)
	down := dealEnv(func(e *Env) { e.Policy.Installments.DownPaymentPercent = 20 }, dealOct)
	ask := func(n int) Input {
		return dmsg(bot.IntentRequestInstallments, "da pra fazer em vezes?", bot.Entities{Installments: n})
	}
	runDealCases(t, []dealCase{
		{"menu of every allowed count, paying in full last", StateMenu, dealYes, msg(bot.IntentRequestInstallments, "quero parcelar"), one,
			StatePlanOffer, dealMenuKeys, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.plan.option"); a["option"] != 1 || a["count"] != 2 || a["installment"] != Money(15522) || a["total"] != Money(31044) {
					t.Errorf("first option %v", a)
				}
				if a := dealArgs(t, r, "deal.plan.option_full"); a["option"] != 4 || a["amount"] != Money(30890) {
					t.Errorf("in full %v", a)
				}
				if a := dealArgs(t, r, "deal.plan.interest"); a["rate_whole"] != 1 || a["rate_cents"] != "00" {
					t.Errorf("rate %v", a)
				}
				if a := dealArgs(t, r, "deal.subject"); a["description"] != "Internet outubro" || a["due"] != Date("2026-10-25") {
					t.Errorf("subject %v", a)
				}
				d := r.Memory.Deal
				if len(d.Plans) != 3 || d.Plans[2].Count != 6 || d.Single || d.OfferedOn != "2026-11-23" || r.Memory.InvoiceID != "INV-1" {
					t.Errorf("memory %+v", r.Memory)
				}
			}},
		{"several invoices: which one?", StateMenu, dealYes, ask(3), two,
			StateDealPick, []string{"deal.which", "deal.choice", "deal.choice", "deal.choice_all"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.choice_all"); a["option"] != 3 || a["amount"] != Money(30890+15990) {
					t.Errorf("all %v", a)
				}
				d := r.Memory.Deal
				if d.Want != bot.IntentRequestInstallments || d.Count != 3 || !reflect.DeepEqual(d.Choices, []string{"INV-1", "INV-2"}) {
					t.Errorf("memory %+v", d)
				}
			}},
		{"the invoice under discussion needs no question", StateMenu, Memory{IdentityConfirmed: true, InvoiceID: "INV-2"}, msg(bot.IntentRequestInstallments, "parcela?"), two,
			StatePlanOffer, []string{"deal.plan.header", "deal.subject", "deal.plan.option", "deal.plan.option", "deal.plan.option_full", "deal.plan.interest", "deal.plan.choose"}, nil},
		{"an invoice named by its description", StateMenu, dealYes, msg(bot.IntentRequestInstallments, "quero parcelar a de novembro"), two, StatePlanOffer, nil,
			func(t *testing.T, r Result) {
				if !reflect.DeepEqual(r.Memory.Deal.InvoiceIDs, []string{"INV-2"}) {
					t.Errorf("subject %v", r.Memory.Deal.InvoiceIDs)
				}
			}},
		{"tudo puts every open invoice in one plan", StateMenu, dealYes, msg(bot.IntentRequestInstallments, "quero parcelar tudo em 3x"), two,
			StatePlanOffer, nil, func(t *testing.T, r Result) {
				if ids := r.Memory.Deal.InvoiceIDs; !reflect.DeepEqual(ids, []string{"INV-1", "INV-2"}) || r.Memory.InvoiceID != "" {
					t.Errorf("subject %v", ids)
				}
				if a := dealArgs(t, r, "deal.plan.header"); a["amount"] != Money(46880) {
					t.Errorf("header %v", a)
				}
			}},
		{"a count policy allows is answered directly", StateMenu, dealYes, ask(3), one,
			StatePlanOffer, []string{"deal.plan.single", "deal.subject", "deal.plan.interest", "deal.plan.single_ask"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.plan.single"); a["count"] != 3 || a["installment"] != Money(10399) || a["total"] != Money(31198) || a["amount"] != Money(30890) {
					t.Errorf("single %v", a)
				}
				if d := r.Memory.Deal; !d.Single || len(d.Plans) != 1 || d.Plans[0].Count != 3 {
					t.Errorf("memory %+v", d)
				}
			}},
		{"more than the maximum: the maximum, with the reason", StateMenu, dealYes, ask(12), one,
			StatePlanOffer, []string{"deal.plan.max_count", "deal.plan.single", "deal.subject", "deal.plan.interest", "deal.plan.single_ask"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.plan.max_count"); a["max"] != 6 {
					t.Errorf("max %v", a)
				}
			}},
		{"below the minimum installment: the closest allowed count", StateMenu, Memory{IdentityConfirmed: true, InvoiceID: "INV-2"}, ask(6), two,
			StatePlanOffer, []string{"deal.plan.min_installment", "deal.plan.single", "deal.subject", "deal.plan.interest", "deal.plan.single_ask"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.plan.min_installment"); a["max"] != 3 || a["min"] != Money(5000) {
					t.Errorf("reason %v", a)
				}
			}},
		{"the only possible plan asks yes or no", StateMenu, dealYes, ask(2), dealEnv(nil, dealNext),
			StatePlanOffer, []string{"deal.plan.single", "deal.subject", "deal.plan.interest", "deal.plan.single_ask_only"}, func(t *testing.T, r Result) {
				if rep := r.Actions[0].(Reply); len(rep.Buttons) != 2 {
					t.Errorf("buttons %v", rep.Buttons)
				}
			}},
		{"entrada variant", StateMenu, dealYes, msg(bot.IntentRequestInstallments, "parcelar"), down,
			StatePlanOffer, []string{"deal.plan.header", "deal.subject", "deal.plan.option_down", "deal.plan.option_down", "deal.plan.option_down",
				"deal.plan.option_full", "deal.plan.interest", "deal.plan.choose"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.plan.option_down"); a["down"] != Money(6178) {
					t.Errorf("entrada %v", a)
				}
			}},
		{"interest-free plans say so", StateMenu, dealYes, ask(2), dealEnv(func(e *Env) { e.Policy.Installments.MonthlyInterestPercent = 0 }, dealOct),
			StatePlanOffer, []string{"deal.plan.single", "deal.subject", "deal.plan.no_interest", "deal.plan.single_ask"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.plan.single"); a["installment"] != Money(15445) || a["total"] != Money(30890) {
					t.Errorf("single %v", a)
				}
			}},
		{"plans disabled: a payment date instead", StateMenu, dealYes, ask(3), off,
			StatePromiseDate, []string{"deal.plan.unavailable", "deal.ask_date"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.ask_date"); a["latest"] != Date("2026-12-23") {
					t.Errorf("latest %v", a)
				}
			}},
		{"too small to split", StateMenu, dealYes, ask(2), dealEnv(nil, dealSmall),
			StatePromiseDate, []string{"deal.plan.too_small", "deal.ask_date"}, func(t *testing.T, r Result) {
				if a := dealArgs(t, r, "deal.plan.too_small"); a["amount"] != Money(6178) || a["min"] != Money(5000) {
					t.Errorf("reason %v", a)
				}
			}},
		{"nothing open at all", StateMenu, dealYes, ask(3), dealEnv(nil), StateMenu, []string{"balance.none"}, nil},
		{"everything already under a plan or a claim", StateMenu, dealYes, ask(3), dealEnv(func(e *Env) {
			e.Collections["INV-1"] = bot.Collection{Status: bot.CollectionPlan}
			e.Collections["INV-2"] = bot.Collection{Status: bot.CollectionClaimed}
		}, dealOct, dealNov), StateMenu, []string{"deal.nothing_open"}, nil},
		{"identity first", StateStart, Memory{}, ask(3), one, StateConfirmIdentity, nil, nil},
	})
}

func TestPickInvoice(t *testing.T) {
	two := dealEnv(nil, dealOct, dealNov)
	pick := Memory{IdentityConfirmed: true, Deal: DealMemory{Want: bot.IntentRequestInstallments, Choices: []string{"INV-1", "INV-2"}}}
	promise := pick
	promise.Deal.Want, promise.Deal.WantDate = bot.IntentPromiseToPay, "2026-12-10"
	runDealCases(t, []dealCase{
		{"option 1", StateDealPick, pick, msg(bot.IntentAffirmative, "1"), two, StatePlanOffer, dealMenuKeys, func(t *testing.T, r Result) {
			if r.Memory.InvoiceID != "INV-1" || r.Memory.Deal.Want != "" || r.Memory.Deal.Choices != nil {
				t.Errorf("memory %+v", r.Memory)
			}
		}},
		{"the last option is all of them", StateDealPick, pick, msg(bot.IntentUnknown, "3"), two, StatePlanOffer, nil, func(t *testing.T, r Result) {
			if len(r.Memory.Deal.InvoiceIDs) != 2 {
				t.Errorf("subject %v", r.Memory.Deal.InvoiceIDs)
			}
		}},
		{"an answer naming the invoice", StateDealPick, pick, msg(bot.IntentUnknown, "a de novembro"), two, StatePlanOffer, nil, func(t *testing.T, r Result) {
			if r.Memory.InvoiceID != "INV-2" {
				t.Errorf("memory %+v", r.Memory)
			}
		}},
		{"the pending promise date is kept", StateDealPick, promise, msg(bot.IntentNegative, "2"), two, StateMenu,
			[]string{"deal.promise.confirmed", "deal.subject", "deal.promise.paused", "emit:promise.created"}, nil},
		{"something else leaves the question", StateDealPick, pick, msg(bot.IntentBalanceInquiry, "quanto devo"), two, "", nil, func(t *testing.T, r Result) {
			if r.Memory.Deal.Choices != nil {
				t.Errorf("memory %+v", r.Memory.Deal)
			}
		}},
	})
}

func TestPlanOfferAnswers(t *testing.T) {
	one := dealEnv(nil, dealOct)
	withPix := dealEnv(func(e *Env) { e.Policy.Pix = policy.Pix{Key: "12345678000195", MerchantCity: "SAO PAULO"} }, dealOct)
	discount := dealEnv(func(e *Env) { e.Policy.Discounts = policy.Discounts{Enabled: true, MaxPercent: 10, AfterDays: 15} }, dealOct)
	menu := Step(StateMenu, dealYes, msg(bot.IntentRequestInstallments, "quero parcelar"), one).Memory
	single := Step(StateMenu, dealYes, dmsg(bot.IntentRequestInstallments, "em 3x", bot.Entities{Installments: 3}), one).Memory
	next := dealEnv(nil, dealNext)
	only := Step(StateMenu, dealYes, dmsg(bot.IntentRequestInstallments, "em 2x", bot.Entities{Installments: 2}), next).Memory
	stale := menu
	stale.Deal.OfferedOn = "2026-11-20"
	offered := menu
	offered.Deal.DiscountOffered = []string{"INV-1"}
	accepted := []string{"deal.plan.accepted", "deal.subject", "deal.plan.line", "deal.plan.line", "deal.plan.line", "deal.plan.total",
		"emit:plan.accepted", "deal.plan.by_billing"}
	payNow := answerIntent(StateMenu, Memory{IdentityConfirmed: true, InvoiceID: "INV-1"}, Input{Class: bot.Classification{Intent: bot.IntentPayNow}}, one)
	runDealCases(t, []dealCase{
		{"an option number accepts that plan", StatePlanOffer, menu, msg(bot.IntentNegative, "2"), one, StateMenu, accepted, func(t *testing.T, r Result) {
			// Accepted on Monday 23/11: the first payment is due on Tuesday.
			wantSchedule := []planRow{{1, "2026-11-24", 10399, ""}, {2, "2026-12-24", 10399, ""}, {3, "2027-01-24", 10400, ""}}
			ev := dealEmits(r, "plan.accepted")[0]
			if ev["invoice_id"] != "INV-1" || ev["installments"] != 3 || ev["installment_cents"] != int64(10399) || ev["total_cents"] != int64(31198) ||
				ev["down_payment_cents"] != int64(0) || !reflect.DeepEqual(ev["schedule"], wantSchedule) {
				t.Errorf("event %v", ev)
			}
			if ev["first_due_date"] != "2026-11-24" || ev["last_due_date"] != "2027-01-24" || ev["payment_means"] != "billing" {
				t.Errorf("event %v", ev)
			}
			if got := dealCollections(r); !reflect.DeepEqual(got, []string{"INV-1 plan 2027-01-24"}) {
				t.Errorf("collections %v", got)
			}
			for _, a := range r.Actions {
				if c, ok := a.(SetCollection); ok && !strings.Contains(string(c.Detail), `"due_date":"2026-12-24"`) {
					t.Errorf("detail %s", c.Detail)
				}
			}
			if a := dealArgs(t, r, "deal.plan.line"); a["number"] != 1 || a["count"] != 3 || a["amount"] != Money(10399) || a["due"] != Date("2026-11-24") {
				t.Errorf("line %v", a)
			}
			if a := dealArgs(t, r, "deal.plan.by_billing"); a["amount"] != Money(10399) || a["due"] != Date("2026-11-24") {
				t.Errorf("means %v", a)
			}
			// Billing issues the means from the schedule: no person needed.
			if h := dealEmits(r, "conversation.handoff"); len(h) != 0 {
				t.Errorf("handoff %v", h)
			}
			if !reflect.DeepEqual(r.Memory.Deal, DealMemory{}) {
				t.Errorf("deal memory kept %+v", r.Memory.Deal)
			}
		}},
		{"with a Pix key the first installment gets its own code", StatePlanOffer, menu, msg(bot.IntentAffirmative, "1"), withPix, StateMenu,
			[]string{"deal.plan.accepted", "deal.subject", "deal.plan.line", "deal.plan.line", "deal.plan.total", "emit:plan.accepted",
				"deal.plan.first_pix", "deal.plan.pix_code"}, func(t *testing.T, r Result) {
				code := dealArgs(t, r, "deal.plan.pix_code")["code"].(string)
				p, err := pix.Parse(code)
				if err != nil || p.AmountCents != 15522 || p.Key != "12345678000195" || p.TxID != "INV1P1" || p.MerchantName != "Loja Exemplo" {
					t.Errorf("code %s: %+v %v", code, p, err)
				}
			}},
		{"the count named accepts it", StatePlanOffer, menu, dmsg(bot.IntentRequestInstallments, "pode ser a de 3x", bot.Entities{Installments: 3}), one, StateMenu, accepted, nil},
		{"a question about a count only shows it", StatePlanOffer, menu, dmsg(bot.IntentRequestInstallments, "e em 3x?", bot.Entities{Installments: 3}), one,
			StatePlanOffer, []string{"deal.plan.single", "deal.subject", "deal.plan.interest", "deal.plan.single_ask"}, nil},
		{"a count not on the menu is offered", StatePlanOffer, menu, dmsg(bot.IntentRequestInstallments, "faz em 4x", bot.Entities{Installments: 4}), one,
			StatePlanOffer, []string{"deal.plan.single", "deal.subject", "deal.plan.interest", "deal.plan.single_ask"}, nil},
		{"the last option pays in full", StatePlanOffer, menu, msg(bot.IntentUnknown, "4"), one, payNow.State, keys(payNow.Actions), nil},
		{"wanting to pay now pays in full", StatePlanOffer, menu, msg(bot.IntentPayNow, "prefiro a vista"), one, payNow.State, keys(payNow.Actions), nil},
		{"yes without a number asks which", StatePlanOffer, menu, msg(bot.IntentAffirmative, "sim"), one, StatePlanOffer, []string{"deal.plan.which"}, nil},
		{"a number off the menu asks which", StatePlanOffer, menu, msg(bot.IntentUnknown, "9"), one, StatePlanOffer, []string{"deal.plan.which"}, nil},
		{"no, without a discount: a date, no pressure", StatePlanOffer, menu, msg(bot.IntentNegative, "nao quero"), one,
			StatePromiseDate, []string{"deal.alternatives"}, func(t *testing.T, r Result) {
				if r.Memory.Deal.Plans != nil || len(r.Memory.Deal.InvoiceIDs) != 1 {
					t.Errorf("memory %+v", r.Memory.Deal)
				}
			}},
		{"no: the discount as last resort", StatePlanOffer, menu, msg(bot.IntentNegative, "nenhuma"), discount,
			StateDiscountOffer, []string{"deal.discount.offer", "deal.subject", "deal.discount.ask"}, func(t *testing.T, r Result) {
				a := dealArgs(t, r, "deal.discount.offer")
				if a["discount"] != Money(3089) || a["discounted"] != Money(27801) || a["total"] != Money(30890) || a["today"] != Date("2026-11-23") {
					t.Errorf("offer %v", a)
				}
				if d := r.Memory.Deal; d.DiscountCents != 3089 || !reflect.DeepEqual(d.DiscountOffered, []string{"INV-1"}) {
					t.Errorf("memory %+v", d)
				}
			}},
		{"a discount is offered once per invoice", StatePlanOffer, offered, msg(bot.IntentNegative, "nao"), discount, StatePromiseDate, []string{"deal.alternatives"}, nil},
		{"yes to a single offer accepts it", StatePlanOffer, single, msg(bot.IntentAffirmative, "sim"), one, StateMenu, accepted, nil},
		{"no to a single offer shows the others", StatePlanOffer, single, msg(bot.IntentNegative, "2"), one, StatePlanOffer, dealMenuKeys, nil},
		{"no to the only plan is the last resort", StatePlanOffer, only, msg(bot.IntentNegative, "2"), next,
			StatePromiseDate, []string{"deal.alternatives"}, nil},
		{"an offer from another day is recomputed first", StatePlanOffer, stale, msg(bot.IntentAffirmative, "1"), one,
			StatePlanOffer, append([]string{"deal.plan.updated"}, dealMenuKeys...), nil},
		{"asking to split again shows the menu", StatePlanOffer, menu, msg(bot.IntentRequestInstallments, "como é o parcelamento?"), one, StatePlanOffer, dealMenuKeys, nil},
		{"thanks keeps the offer", StatePlanOffer, menu, msg(bot.IntentThanks, "obrigada"), one, StatePlanOffer, []string{"thanks.reply"}, func(t *testing.T, r Result) {
			if len(r.Memory.Deal.Plans) != 3 {
				t.Errorf("offer lost %+v", r.Memory.Deal)
			}
		}},
		{"a bare date is a promise for the invoices on offer", StatePlanOffer, menu, dmsg(bot.IntentUnknown, "dia 15", bot.Entities{Date: "2026-12-15"}), one,
			StateMenu, []string{"deal.promise.confirmed", "deal.subject", "deal.promise.paused", "emit:promise.created"}, nil},
		{"a promise leaves the offer", StatePlanOffer, menu, dmsg(bot.IntentPromiseToPay, "pago dia 10", bot.Entities{Date: "2026-12-10"}), one,
			StateMenu, []string{"deal.promise.confirmed", "deal.subject", "deal.promise.paused", "emit:promise.created"}, nil},
		{"an invoice paid meanwhile ends the offer", StatePlanOffer, menu, msg(bot.IntentAffirmative, "1"), dealEnv(nil, dealNov), "", nil, func(t *testing.T, r Result) {
			if r.Memory.Deal.Plans != nil || len(dealEmits(r, "plan.accepted")) != 0 {
				t.Errorf("accepted a plan for a paid invoice")
			}
		}},
	})
}

func TestDiscountAnswers(t *testing.T) {
	discount := dealEnv(func(e *Env) { e.Policy.Discounts = policy.Discounts{Enabled: true, MaxPercent: 10, AfterDays: 15} }, dealOct)
	offer := Step(StatePlanOffer, Step(StateMenu, dealYes, msg(bot.IntentRequestInstallments, "parcelar"), discount).Memory, msg(bot.IntentNegative, "nao"), discount).Memory
	runDealCases(t, []dealCase{
		{"yes: a one-installment agreement at the discounted amount", StateDiscountOffer, offer, msg(bot.IntentAffirmative, "1"), discount, StateMenu,
			[]string{"deal.discount.accepted", "deal.subject", "emit:plan.accepted", "deal.plan.by_billing_one"},
			func(t *testing.T, r Result) {
				ev := dealEmits(r, "plan.accepted")[0]
				if ev["installments"] != 1 || ev["total_cents"] != int64(27801) || ev["discount_cents"] != int64(3089) {
					t.Errorf("event %v", ev)
				}
				if dealArgs(t, r, "deal.discount.accepted")["amount"] != Money(27801) || !reflect.DeepEqual(r.Memory.Deal.DiscountOffered, []string{"INV-1"}) {
					t.Errorf("reply or memory wrong: %+v", r.Memory.Deal)
				}
			}},
		{"a date instead records a promise", StateDiscountOffer, offer, dmsg(bot.IntentUnknown, "dia 15", bot.Entities{Date: "2026-12-15"}), discount, StateMenu,
			[]string{"deal.promise.confirmed", "deal.subject", "deal.promise.paused", "emit:promise.created"}, nil},
		{"no: a date, no pressure", StateDiscountOffer, offer, msg(bot.IntentNegative, "2"), discount, StatePromiseDate, []string{"deal.alternatives"}, nil},
		{"anything else leaves", StateDiscountOffer, offer, msg(bot.IntentBalanceInquiry, "quanto devo?"), discount, "", nil, func(t *testing.T, r Result) {
			if r.Memory.Deal.DiscountCents != 0 || len(r.Memory.Deal.DiscountOffered) != 1 {
				t.Errorf("memory %+v", r.Memory.Deal)
			}
		}},
	})
}

func TestHardship(t *testing.T) {
	one := dealEnv(nil, dealOct)
	off := dealEnv(func(e *Env) { e.Policy.Installments.Enabled = false }, dealOct)
	hard := msg(bot.IntentFinancialHardship, "to desempregado, sem condicoes")
	runDealCases(t, []dealCase{
		{"empathy first, then a gentle question and how to stop the messages", StateMenu, dealYes, hard, one, StateHardshipAsk, []string{"deal.hardship.empathy", "deal.hardship.ask_plan", "deal.hardship.how_to_stop"}, nil},
		{"a count named gets the plan after empathy", StateMenu, dealYes, dmsg(bot.IntentFinancialHardship, "to apertado, so em 3x", bot.Entities{Installments: 3}), one,
			StatePlanOffer, []string{"deal.hardship.empathy", "deal.plan.single", "deal.subject", "deal.plan.interest", "deal.plan.single_ask"}, nil},
		{"without plans, empathy and a date", StateMenu, dealYes, hard, off,
			StatePromiseDate, []string{"deal.hardship.empathy", "deal.promise.intro", "deal.subject", "deal.promise.ask_date"}, nil},
		{"yes shows the plans", StateHardshipAsk, dealYes, msg(bot.IntentAffirmative, "1"), one, StatePlanOffer, dealMenuKeys, nil},
		{"no is respected", StateHardshipAsk, dealYes, msg(bot.IntentNegative, "agora nao"), one, StateMenu, []string{"deal.no_pressure"}, nil},
		{"a promise instead", StateHardshipAsk, dealYes, dmsg(bot.IntentPromiseToPay, "pago dia 10", bot.Entities{Date: "2026-12-10"}), one,
			StateMenu, []string{"deal.promise.confirmed", "deal.subject", "deal.promise.paused", "emit:promise.created"}, nil},
	})
}

func TestDealMemoryRoundTrip(t *testing.T) {
	one := dealEnv(nil, dealOct)
	mem := Step(StateMenu, dealYes, msg(bot.IntentRequestInstallments, "parcelar"), one).Memory
	b, err := json.Marshal(mem)
	if err != nil {
		t.Fatal(err)
	}
	var back Memory
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, mem) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, back, mem)
	}
	// The accepted plan from the stored offer is the one shown.
	r := Step(StatePlanOffer, back, msg(bot.IntentAffirmative, "3"), one)
	if ev := dealEmits(r, "plan.accepted"); len(ev) != 1 || ev[0]["total_cents"] != int64(31663) {
		t.Fatalf("accepted %v", ev)
	}
}

// TestPlanScheduleAgrees: the first payment falls due the next business
// day at the earliest, whatever the hour of acceptance, and the schedule
// shown, plan.accepted's and the collection detail's are the same.
func TestPlanScheduleAgrees(t *testing.T) {
	o := policy.PlanOption{Count: 3, InstallmentCents: 10399, LastInstallmentCents: 10400, TotalCents: 31198, MonthlyInterestPercent: 1}
	for _, tc := range []struct {
		name, today string
		hour        int
		first       string
	}{
		{"Monday 08:00: Tuesday", "2026-11-23", 8, "2026-11-24"},
		{"Friday evening: Monday", "2026-11-27", 19, "2026-11-30"},
		{"Saturday: Monday", "2026-11-28", 10, "2026-11-30"},
		{"Christmas Eve: the 28th", "2026-12-24", 9, "2026-12-28"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := dealEnv(nil, dealOct)
			e.Today = tc.today
			d, _ := policy.ParseDate(tc.today)
			e.Now = d.In(env.Now.Location()).Add(time.Duration(tc.hour) * time.Hour)
			r := dealAccept(dealMem("INV-1"), []bot.Invoice{dealOct}, o, 0, e)
			var shown []string
			for _, a := range r.Actions {
				if rep, ok := a.(Reply); ok {
					for _, p := range rep.Parts {
						if p.Key == "deal.plan.line" {
							shown = append(shown, string(p.Args["due"].(Date)))
						}
					}
				}
			}
			var event []string
			for _, row := range dealEmits(r, "plan.accepted")[0]["schedule"].([]planRow) {
				event = append(event, row.DueDate)
			}
			var detail planDetail
			var until string
			for _, a := range r.Actions {
				if c, ok := a.(SetCollection); ok {
					_ = json.Unmarshal(c.Detail, &detail)
					until = c.Until
				}
			}
			var stored []string
			for _, row := range detail.Schedule {
				stored = append(stored, row.DueDate)
			}
			if shown[0] != tc.first || !reflect.DeepEqual(shown, event) || !reflect.DeepEqual(shown, stored) || until != shown[2] {
				t.Fatalf("shown %v, event %v, detail %v, until %s; first want %s", shown, event, stored, until, tc.first)
			}
		})
	}
}

// TestPlanAcceptedWithoutKey: without a Pix key the debtor is told the
// creditor's billing sends each payment's means — never that the bot will
// send a code — and billing gets the whole schedule to do it; no person
// is needed for that.
func TestPlanAcceptedWithoutKey(t *testing.T) {
	o := policy.PlanOption{Count: 3, InstallmentCents: 10000, LastInstallmentCents: 10000, DownPaymentCents: 5000, TotalCents: 35000}
	r := dealAccept(dealMem("INV-1"), []bot.Invoice{dealOct}, o, 0, dealEnv(nil, dealOct))
	for _, k := range keys(r.Actions) {
		if strings.Contains(k, "pix") || strings.HasPrefix(k, "status:") || k == "emit:conversation.handoff" {
			t.Errorf("%s in %v", k, keys(r.Actions))
		}
	}
	if a := dealArgs(t, r, "deal.plan.by_billing"); a["amount"] != Money(5000) || a["due"] != Date("2026-11-24") {
		t.Errorf("means %v", a)
	}
	ev := dealEmits(r, "plan.accepted")[0]
	want := []planRow{{0, "2026-11-24", 5000, ""}, {1, "2026-12-24", 10000, ""}, {2, "2027-01-24", 10000, ""}, {3, "2027-02-24", 10000, ""}}
	if !reflect.DeepEqual(ev["schedule"], want) || ev["payment_means"] != "billing" || ev["down_payment_cents"] != int64(5000) {
		t.Errorf("event %v", ev)
	}
	withKey := dealEnv(func(e *Env) { e.Policy.Pix = policy.Pix{Key: "pix@loja.example", MerchantCity: "SAO PAULO"} }, dealOct)
	r = dealAccept(dealMem("INV-1"), []bot.Invoice{dealOct}, o, 0, withKey)
	ev = dealEmits(r, "plan.accepted")[0]
	if rows := ev["schedule"].([]planRow); rows[0].PixTxID != "INV1P0" || rows[3].PixTxID != "INV1P3" || ev["payment_means"] != "quita_pix" {
		t.Errorf("event %v", ev)
	}
	code := dealArgs(t, r, "deal.plan.pix_code")["code"].(string)
	if c, err := pix.Parse(code); err != nil || c.AmountCents != 5000 || c.TxID != "INV1P0" {
		t.Errorf("first code %+v %v", c, err)
	}
}

// TestPlanCancel: asking to cancel a plan, whatever the intent the words
// were read as, hands the case to a person and tells billing; without a
// plan, the debtor hears there is none.
func TestPlanCancel(t *testing.T) {
	planned := func(e *Env) {
		detail, _ := json.Marshal(map[string]any{"invoice_ids": []string{"INV-1"}, "installments": 3,
			"schedule": []planRow{{1, "2026-11-24", 10399, ""}, {2, "2026-12-24", 10399, ""}, {3, "2027-01-24", 10400, ""}}})
		e.Collections["INV-1"] = bot.Collection{InvoiceID: "INV-1", Status: bot.CollectionPlan, Until: "2027-01-24", Detail: detail}
	}
	handed := []string{"emit:plan.cancel_requested", "deal.cancel.ack", "deal.cancel.meanwhile", "care.when.soon", "status:needs_agent", "emit:conversation.handoff"}
	cancel := func(intent bot.Intent) Input {
		return dmsg(intent, "quero cancelar o parcelamento", bot.Entities{Topic: bot.TopicPlanCancel})
	}
	cases := []struct {
		name  string
		mem   Memory
		in    Input
		env   Env
		state string
		keys  []string
	}{
		{"read as request_installments", dealYes, cancel(bot.IntentRequestInstallments), dealEnv(planned, dealOct), StateWithAgent, handed},
		// A stop is a right: honoured, and the plan's cancellation heard too.
		{"with a stop", dealYes, cancel(bot.IntentOptOut), dealEnv(planned, dealOct), StateWithAgent,
			append([]string{"care.optout.confirm", "status:resolved", "emit:contact.opted_out"}, handed...)},
		{"read as unknown", dealYes, cancel(bot.IntentUnknown), dealEnv(planned, dealOct), StateWithAgent, handed},
		{"the words, before the classifier sets the topic", dealYes, dmsg(bot.IntentRequestInstallments, "quero cancelar o parcelamento", bot.Entities{}), dealEnv(planned, dealOct), StateWithAgent, handed},
		{"no plan: none to cancel", dealYes, cancel(bot.IntentRequestInstallments), dealEnv(nil, dealOct), StateMenu, []string{"deal.cancel.no_plan"}},
		{"the service's plan is not a payment plan", dealYes, dmsg(bot.IntentOptOut, "quero cancelar o plano de internet", bot.Entities{}), dealEnv(planned, dealOct), StateOptedOut, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Step(StateMenu, tc.mem, tc.in, tc.env)
			if r.State != tc.state || tc.keys != nil && !reflect.DeepEqual(keys(r.Actions), tc.keys) {
				t.Fatalf("%s %v, want %s %v", r.State, keys(r.Actions), tc.state, tc.keys)
			}
			checkRenders(t, r.Actions)
			if tc.state != StateWithAgent {
				return
			}
			ev := dealEmits(r, "plan.cancel_requested")[0]
			if ev["invoice_id"] != "INV-1" || !reflect.DeepEqual(ev["invoice_ids"], []string{"INV-1"}) || ev["installments"] != 3 {
				t.Errorf("event %v", ev)
			}
			if h := dealEmits(r, "conversation.handoff")[0]; h["reason"] != "plan_cancel" || h["invoice_id"] != "INV-1" {
				t.Errorf("handoff %v", h)
			}
			if a := dealArgs(t, r, "deal.cancel.ack"); a["description"] != "Internet outubro" {
				t.Errorf("ack %v", a)
			}
		})
	}
}

// twoInstallments puts INV-1 under a plan of two payments.
func twoInstallments(e *Env) {
	detail, _ := json.Marshal(map[string]any{"invoice_ids": []string{"INV-1"}, "installments": 2,
		"schedule": []planRow{{1, "2026-11-24", 15000, ""}, {2, "2026-12-24", 15890, ""}}})
	e.Collections["INV-1"] = bot.Collection{InvoiceID: "INV-1", Status: bot.CollectionPlan, Detail: detail}
}

// TestPlanCancelAnyIntent: the cancellation is caught whatever intent the
// classifier gave it (Step checks it before a stop or a request for a
// person, which it is not), and never before the identity is confirmed.
// "Não sou essa pessoa" still wins: that right comes first.
func TestPlanCancelAnyIntent(t *testing.T) {
	e := dealEnv(twoInstallments, dealOct)
	for _, intent := range bot.AllIntents {
		if intent == bot.IntentWrongPerson {
			continue
		}
		in := dmsg(intent, "cancela", bot.Entities{Topic: bot.TopicPlanCancel})
		if r := Step(StateMenu, dealYes, in, e); len(dealEmits(r, "plan.cancel_requested")) != 1 {
			t.Errorf("%s: %v", intent, keys(r.Actions))
		}
		if r := Step(StateMenu, Memory{}, in, e); len(dealEmits(r, "plan.cancel_requested")) != 0 {
			t.Errorf("%s before the identity check: %v", intent, keys(r.Actions))
		}
	}
}
