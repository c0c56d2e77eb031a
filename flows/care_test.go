package flows

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

var brt = time.FixedZone("BRT", -3*3600)

// careEnv is Maria on Monday 23/11/2026 at 10:00, inside the default
// contact windows, with an overdue itemised invoice and an upcoming one.
func careEnv() Env {
	return Env{
		Now:      time.Date(2026, 11, 23, 10, 0, 0, 0, brt),
		Today:    "2026-11-23",
		Customer: &bot.Customer{ID: "cus_1", Name: "Maria Souza", Phone: "+5511988887777"},
		Invoices: []bot.Invoice{
			{ID: "INV-1", Description: "Internet outubro", AmountCents: 10000, DueDate: "2026-10-25",
				Items: []bot.InvoiceItem{{Description: "Plano 100MB", AmountCents: 8000}, {Description: "Aluguel do roteador", AmountCents: 2000}}},
			{ID: "INV-2", Description: "Internet novembro", AmountCents: 15990, DueDate: "2026-11-25"},
		},
		Charges:     map[string]Charge{"INV-1": {LateFeeCents: 200, InterestCents: 96, TotalCents: 10296}},
		Collections: map[string]bot.Collection{},
		Policy:      policy.Default(),
	}
}

func careWith(f func(*Env)) Env {
	e := careEnv()
	f(&e)
	return e
}

func careIn(intent bot.Intent, text string) Input {
	return Input{Text: text, Class: bot.Classification{Intent: intent}}
}

func careMedia(kind string) Input {
	return Input{Class: bot.Classification{Intent: bot.IntentUnknown}, Media: &bot.Media{Type: kind}}
}

// emits returns the events of a result by type.
func emits(actions []Action) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, a := range actions {
		if e, ok := a.(Emit); ok {
			out[e.Type] = append(out[e.Type], e.Data)
		}
	}
	return out
}

func collections(actions []Action) []SetCollection {
	var out []SetCollection
	for _, a := range actions {
		if c, ok := a.(SetCollection); ok {
			out = append(out, c)
		}
	}
	return out
}

var (
	handoffSoon = []string{"care.handoff.ack", "care.when.soon", "status:needs_agent", "emit:conversation.handoff"}
	optOutKeys  = []string{"care.optout.confirm", "status:resolved", "emit:contact.opted_out"}
	// The itemised calculation of INV-1 (overdue) and INV-2 (upcoming).
	itemsINV1 = []string{"care.dispute.header", "care.dispute.item", "care.dispute.item", "care.dispute.amount",
		"care.dispute.late_fee", "care.dispute.interest", "care.dispute.total"}
	itemsINV2   = []string{"care.dispute.header", "care.dispute.amount", "care.dispute.no_charges", "care.dispute.total"}
	disputeTail = []string{"care.when.soon", "care.dispute.official", "status:needs_agent", "emit:conversation.handoff"}
)

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestCare(t *testing.T) {
	ok := Memory{IdentityConfirmed: true}
	onINV1 := Memory{IdentityConfirmed: true, InvoiceID: "INV-1"}
	choosing := Memory{IdentityConfirmed: true, Care: CareMemory{DisputeReason: "não devo isso", DisputeOptions: []string{"INV-1", "INV-2"}}}
	oneInvoice := careWith(func(e *Env) { e.Invoices = e.Invoices[:1] })
	noInvoices := careWith(func(e *Env) { e.Invoices = nil })
	disputed := careWith(func(e *Env) {
		e.Collections["INV-1"] = bot.Collection{InvoiceID: "INV-1", Status: bot.CollectionDisputed}
	})
	cases := []struct {
		name      string
		state     string
		mem       Memory
		in        Input
		env       Env
		wantState string
		wantKeys  []string
		check     func(t *testing.T, r Result)
	}{
		// dispute_amount
		{"dispute of the invoice under discussion", StateMenu, onINV1, careIn(bot.IntentDisputeAmount, "  valor errado  "), careEnv(),
			StateWithAgent, cat([]string{"care.dispute.ack"}, itemsINV1, []string{"emit:dispute.opened", "care.dispute.paused"}, disputeTail),
			func(t *testing.T, r Result) {
				c := collections(r.Actions)
				if len(c) != 1 || c[0].InvoiceID != "INV-1" || c[0].Status != bot.CollectionDisputed || string(c[0].Detail) != `{"reason":"valor errado"}` {
					t.Errorf("collections = %+v", c)
				}
				ev := emits(r.Actions)
				if d := ev["dispute.opened"][0]; d["invoice_id"] != "INV-1" || d["reason"] != "valor errado" {
					t.Errorf("dispute.opened = %v", d)
				}
				if d := ev["conversation.handoff"][0]; d["reason"] != "dispute" || d["invoice_id"] != "INV-1" {
					t.Errorf("handoff = %v", d)
				}
				if r.Memory.Care.Handoff != "dispute" || r.Memory.InvoiceID != "INV-1" || r.Memory.Unknowns != 0 {
					t.Errorf("memory = %+v", r.Memory)
				}
			}},
		{"dispute with one open invoice needs no question", StateMenu, ok, careIn(bot.IntentDisputeAmount, "isso é golpe?"), oneInvoice,
			StateWithAgent, cat([]string{"care.dispute.ack"}, itemsINV1, []string{"emit:dispute.opened", "care.dispute.paused"}, disputeTail), nil},
		{"dispute with several invoices asks which", StateMenu, Memory{IdentityConfirmed: true, Unknowns: 1}, careIn(bot.IntentDisputeAmount, "não devo isso"), careEnv(),
			StateDisputeInvoice, []string{"care.dispute.which", "care.dispute.option", "care.dispute.option", "care.dispute.option_all"},
			func(t *testing.T, r Result) {
				if !reflect.DeepEqual(r.Memory, choosing) {
					t.Errorf("memory = %+v", r.Memory)
				}
			}},
		{"dispute without open invoices is still reviewed", StateMenu, ok, careIn(bot.IntentDisputeAmount, "cobrança indevida"), noInvoices,
			StateWithAgent, []string{"emit:dispute.opened", "care.dispute.no_invoice", "care.when.soon", "care.dispute.official", "status:needs_agent", "emit:conversation.handoff"},
			func(t *testing.T, r Result) {
				if d := emits(r.Actions)["dispute.opened"][0]; d["reason"] != "cobrança indevida" || d["invoice_id"] != nil {
					t.Errorf("dispute.opened = %v", d)
				}
			}},
		{"a second dispute of the same invoice is not opened twice", StateMenu, onINV1, careIn(bot.IntentDisputeAmount, "não devo"), disputed,
			StateWithAgent, cat([]string{"care.dispute.ack"}, itemsINV1, []string{"care.dispute.already"}, disputeTail),
			func(t *testing.T, r Result) {
				if len(collections(r.Actions)) != 0 {
					t.Error("collection changed again")
				}
			}},

		// dispute_invoice: which invoice?
		{"choosing 1 disputes the first invoice", StateDisputeInvoice, choosing, careIn(bot.IntentAffirmative, "1"), careEnv(),
			StateWithAgent, cat([]string{"care.dispute.ack"}, itemsINV1, []string{"emit:dispute.opened", "care.dispute.paused"}, disputeTail),
			func(t *testing.T, r Result) {
				if d := emits(r.Actions)["dispute.opened"][0]; d["reason"] != "não devo isso" {
					t.Errorf("reason from memory lost: %v", d)
				}
				if r.Memory.Care.DisputeReason != "" || r.Memory.Care.DisputeOptions != nil || r.Memory.InvoiceID != "INV-1" {
					t.Errorf("memory = %+v", r.Memory)
				}
			}},
		{"choosing 2 disputes the second invoice", StateDisputeInvoice, choosing, careIn(bot.IntentNegative, "2"), careEnv(),
			StateWithAgent, cat([]string{"care.dispute.ack"}, itemsINV2, []string{"emit:dispute.opened", "care.dispute.paused"}, disputeTail), nil},
		{"choosing all disputes every invoice", StateDisputeInvoice, choosing, careIn(bot.IntentUnknown, "3"), careEnv(),
			StateWithAgent, cat([]string{"care.dispute.ack"}, itemsINV1, itemsINV2,
				[]string{"emit:dispute.opened", "emit:dispute.opened", "care.dispute.paused_many"}, disputeTail),
			func(t *testing.T, r Result) {
				if c := collections(r.Actions); len(c) != 2 || c[0].InvoiceID != "INV-1" || c[1].InvoiceID != "INV-2" {
					t.Errorf("collections = %+v", c)
				}
				if d := emits(r.Actions)["conversation.handoff"][0]; d["invoice_id"] != nil {
					t.Errorf("handoff of several invoices names one: %v", d)
				}
			}},
		{"a number off the list asks again", StateDisputeInvoice, choosing, careIn(bot.IntentUnknown, "7"), careEnv(),
			StateDisputeInvoice, []string{"care.dispute.which_retry", "care.dispute.option", "care.dispute.option", "care.dispute.option_all"},
			func(t *testing.T, r Result) {
				if !reflect.DeepEqual(r.Memory, choosing) {
					t.Errorf("memory = %+v", r.Memory)
				}
			}},
		{"a bare yes asks for the number, no \"não entendi\"", StateDisputeInvoice, choosing, careIn(bot.IntentAffirmative, "sim"), careEnv(),
			StateDisputeInvoice, []string{"care.dispute.which_number", "care.dispute.option", "care.dispute.option", "care.dispute.option_all"}, nil},
		{"an audio while choosing asks to write", StateDisputeInvoice, choosing, careMedia("audio"), careEnv(),
			StateDisputeInvoice, []string{"care.media.audio", "care.dispute.option", "care.dispute.option", "care.dispute.option_all"}, nil},
		{"no drops the dispute", StateDisputeInvoice, choosing, careIn(bot.IntentNegative, "não, deixa"), careEnv(),
			StateMenu, []string{"care.ack.negative"},
			func(t *testing.T, r Result) {
				if r.Memory.Care.DisputeOptions != nil || r.Memory.Care.DisputeReason != "" {
					t.Errorf("memory = %+v", r.Memory)
				}
			}},
		{"another subject leaves the question", StateDisputeInvoice, choosing, careIn(bot.IntentBalanceInquiry, "quanto devo"), careEnv(),
			StateMenu, []string{"balance.header_many", "balance.line_overdue", "balance.line_upcoming", "balance.total"}, nil},
		{"opt-out while choosing is honoured", StateDisputeInvoice, choosing, careIn(bot.IntentOptOut, "me tira da lista"), careEnv(),
			StateOptedOut, optOutKeys, nil},
		{"new dispute words ask afresh", StateDisputeInvoice, choosing, careIn(bot.IntentDisputeAmount, "paguei metade"), careEnv(),
			StateDisputeInvoice, []string{"care.dispute.which", "care.dispute.option", "care.dispute.option", "care.dispute.option_all"},
			func(t *testing.T, r Result) {
				if r.Memory.Care.DisputeReason != "paguei metade" {
					t.Errorf("reason = %q", r.Memory.Care.DisputeReason)
				}
			}},

		// human_agent
		{"a person on request", StateMenu, Memory{IdentityConfirmed: true, Unknowns: 1}, careIn(bot.IntentHumanAgent, "quero falar com atendente"), careEnv(),
			StateWithAgent, handoffSoon,
			func(t *testing.T, r Result) {
				if d := emits(r.Actions)["conversation.handoff"][0]; d["reason"] != "requested" {
					t.Errorf("handoff = %v", d)
				}
				if r.Memory.Unknowns != 0 || r.Memory.Care.Handoff != "requested" {
					t.Errorf("memory = %+v", r.Memory)
				}
			}},
		{"a person before identity is confirmed", StateStart, Memory{}, careIn(bot.IntentHumanAgent, "atendente"), careEnv(),
			StateWithAgent, handoffSoon, nil},

		// with_agent: silent but for opt-out and wrong person
		{"opt-out with an agent", StateWithAgent, ok, careIn(bot.IntentOptOut, "para de me mandar mensagem"), careEnv(),
			StateOptedOut, optOutKeys, nil},
		{"wrong person with an agent", StateWithAgent, ok, careIn(bot.IntentWrongPerson, "não sou a Maria"), careEnv(),
			StateClosed, []string{"identity.denied", "status:resolved", "emit:contact.wrong_number"}, nil},

		// opt_out
		{"opt-out from the menu", StateMenu, Memory{IdentityConfirmed: true, Unknowns: 1}, careIn(bot.IntentOptOut, "me tira da lista"), careEnv(),
			StateOptedOut, optOutKeys,
			func(t *testing.T, r Result) {
				want := Memory{IdentityConfirmed: true, Care: CareMemory{OptedOutOn: "2026-11-23"}}
				if !reflect.DeepEqual(r.Memory, want) {
					t.Errorf("memory = %+v", r.Memory)
				}
			}},
		{"opt-out before identity is confirmed", StateStart, Memory{}, careIn(bot.IntentOptOut, "não quero receber mensagens"), careEnv(),
			StateOptedOut, optOutKeys, nil},

		// unknown, media
		{"unknown shows the full menu", StateMenu, ok, careIn(bot.IntentUnknown, "kkkk"), careEnv(),
			StateMenuFull, []string{"unknown.reply", "care.menu.full"},
			func(t *testing.T, r Result) {
				if r.Memory.Unknowns != 1 {
					t.Errorf("unknowns = %d", r.Memory.Unknowns)
				}
			}},
		{"repeated unknown offers a person", StateMenuFull, Memory{IdentityConfirmed: true, Unknowns: 1}, careIn(bot.IntentUnknown, "asdf"), careEnv(),
			StateOfferHuman, []string{"unknown.reply_again", "care.offer_human.ask"}, nil},
		{"the threshold follows the policy", StateMenuFull, Memory{IdentityConfirmed: true, Unknowns: 1}, careIn(bot.IntentUnknown, "asdf"),
			careWith(func(e *Env) { e.Policy.Handoff.UnknownBeforeOfferHuman = 3 }),
			StateMenuFull, []string{"unknown.reply_again", "care.menu.full"}, nil},
		{"an audio asks to write", StateMenu, ok, careMedia("audio"), careEnv(),
			StateMenu, []string{"care.media.audio"}, nil},
		{"a sticker asks to write", StateStart, ok, careMedia("sticker"), careEnv(),
			StateMenu, []string{"care.media.sticker"}, nil},
		{"repeated audio offers a person", StateMenu, Memory{IdentityConfirmed: true, Unknowns: 1}, careMedia("audio"), careEnv(),
			StateOfferHuman, []string{"care.media.audio", "care.offer_human.ask"}, nil},
		{"a video gets the plain apology", StateMenu, ok, careMedia("video"), careEnv(),
			StateMenuFull, []string{"unknown.reply", "care.menu.full"}, nil},

		// affirmative / negative out of context
		{"a thumbs up out of context", StateMenu, Memory{IdentityConfirmed: true, Unknowns: 1}, careIn(bot.IntentAffirmative, "👍"), careEnv(),
			StateMenu, []string{"care.ack.affirmative"},
			func(t *testing.T, r Result) {
				if r.Memory.Unknowns != 0 || r.Actions[0].(Reply).Parts[0].Args["first_name"] != "Maria" {
					t.Errorf("result = %+v", r)
				}
			}},
		{"a no out of context", StateMenu, ok, careIn(bot.IntentNegative, "não paguei ainda"), careEnv(),
			StateMenu, []string{"care.ack.negative"}, nil},

		// menu_full
		{"menu 1 is the balance", StateMenuFull, ok, careIn(bot.IntentAffirmative, "1"), careEnv(),
			StateMenu, []string{"balance.header_many", "balance.line_overdue", "balance.line_upcoming", "balance.total"}, nil},
		{"menu 5 is a person", StateMenuFull, ok, careIn(bot.IntentUnknown, "5"), careEnv(),
			StateWithAgent, handoffSoon, nil},
		{"menu button id 5 is a person", StateMenuFull, ok,
			Input{Class: bot.Classification{Intent: bot.IntentUnknown, Entities: bot.Entities{Option: "5"}}}, careEnv(),
			StateWithAgent, handoffSoon, nil},
		{"free text in the menu is understood", StateMenuFull, ok, careIn(bot.IntentOptOut, "sai"), careEnv(),
			StateOptedOut, optOutKeys, nil},
		{"greeting in the menu", StateMenuFull, ok, careIn(bot.IntentGreeting, "oi"), careEnv(),
			StateMenuFull, []string{"intro.known", "care.menu.full"}, nil},
		{"an option off the menu is not understood", StateMenuFull, ok, careIn(bot.IntentUnknown, "8"), careEnv(),
			StateMenuFull, []string{"unknown.reply", "care.menu.full"}, nil},

		// offer_human
		{"yes to a person", StateOfferHuman, Memory{IdentityConfirmed: true, Unknowns: 2}, careIn(bot.IntentAffirmative, "sim"), careEnv(),
			StateWithAgent, handoffSoon,
			func(t *testing.T, r Result) {
				if d := emits(r.Actions)["conversation.handoff"][0]; d["reason"] != "not_understood" {
					t.Errorf("handoff = %v", d)
				}
			}},
		{"1 to a person", StateOfferHuman, Memory{IdentityConfirmed: true, Unknowns: 2}, careIn(bot.IntentAffirmative, "1"), careEnv(),
			StateWithAgent, handoffSoon, nil},
		{"no to a person", StateOfferHuman, Memory{IdentityConfirmed: true, Unknowns: 2}, careIn(bot.IntentNegative, "2"), careEnv(),
			StateMenuFull, []string{"care.offer_human.declined", "care.menu.full"},
			func(t *testing.T, r Result) {
				if r.Memory.Unknowns != 0 {
					t.Errorf("unknowns = %d", r.Memory.Unknowns)
				}
			}},
		{"unknown while offering asks again", StateOfferHuman, Memory{IdentityConfirmed: true, Unknowns: 2}, careIn(bot.IntentUnknown, "hmm"), careEnv(),
			StateOfferHuman, []string{"care.offer_human.retry"}, nil},
		{"audio while offering asks to write", StateOfferHuman, Memory{IdentityConfirmed: true, Unknowns: 2}, careMedia("audio"), careEnv(),
			StateOfferHuman, []string{"care.media.audio", "care.offer_human.retry"}, nil},
		{"a request while offering is answered", StateOfferHuman, Memory{IdentityConfirmed: true, Unknowns: 2}, careIn(bot.IntentBalanceInquiry, "quanto devo"), careEnv(),
			StateMenu, []string{"balance.header_many", "balance.line_overdue", "balance.line_upcoming", "balance.total"}, nil},
		{"asking for a person while offering", StateOfferHuman, Memory{IdentityConfirmed: true, Unknowns: 2}, careIn(bot.IntentHumanAgent, "atendente"), careEnv(),
			StateWithAgent, handoffSoon, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Step(tc.state, tc.mem, tc.in, tc.env)
			if got.State != tc.wantState {
				t.Errorf("state = %s, want %s", got.State, tc.wantState)
			}
			if k := keys(got.Actions); !reflect.DeepEqual(k, tc.wantKeys) {
				t.Errorf("actions = %v\nwant      %v", k, tc.wantKeys)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
			checkKeys(t, got.Actions)
		})
	}
}

// TestCareSilentStates: with a person in charge no input but a right
// (rights.go) gets a reply (the engine still records it). After an
// opt-out the person is answered, never silenced, and the opt-out holds.
func TestCareSilentStates(t *testing.T) {
	confirmed := Memory{IdentityConfirmed: true, Care: CareMemory{Handoff: "requested"}}
	inputs := []Input{careMedia("audio"), careMedia("image")}
	for _, intent := range bot.AllIntents {
		inputs = append(inputs, careIn(intent, "x"), careIn(intent, "1"))
	}
	optedOut := confirmed
	optedOut.Care.OptedOutOn = "2026-11-20"
	for _, in := range inputs {
		res := Step(StateOptedOut, optedOut, in, careEnv())
		if len(res.Actions) == 0 || res.Memory.Care.OptedOutOn != "2026-11-20" {
			t.Errorf("opted_out answered %s %q: %s %v, opted out on %q", in.Class.Intent, in.Text, res.State, keys(res.Actions), res.Memory.Care.OptedOutOn)
		}
		switch in.Class.Intent {
		case bot.IntentOptOut, bot.IntentWrongPerson:
			continue
		}
		res = Step(StateWithAgent, confirmed, in, careEnv())
		if res.State != StateWithAgent || len(res.Actions) != 0 {
			t.Errorf("with_agent answered %s %q: %s %v", in.Class.Intent, in.Text, res.State, keys(res.Actions))
		}
	}
}

// TestCareMenuOptionsDispatch: options 2–4 become the intents other topics
// answer, as fresh inputs without the digit.
func TestCareMenuOptionsDispatch(t *testing.T) {
	for opt, want := range map[string]bot.Intent{"2": bot.IntentPayNow, "3": bot.IntentAlreadyPaid, "4": bot.IntentRequestInstallments} {
		prev, had := byIntent[want]
		var seen Input
		byIntent[want] = func(state string, mem Memory, in Input, env Env) Result {
			seen = in
			return Result{State: "probe", Memory: mem}
		}
		res := Step(StateMenuFull, Memory{IdentityConfirmed: true, Unknowns: 1}, careIn(bot.IntentUnknown, opt), careEnv())
		if had {
			byIntent[want] = prev
		} else {
			delete(byIntent, want)
		}
		if res.State != "probe" || seen.Class.Intent != want || seen.option() != "" || res.Memory.Unknowns != 0 {
			t.Errorf("option %s: state %s, input %+v, unknowns %d", opt, res.State, seen, res.Memory.Unknowns)
		}
	}
}

func TestCareItemisedArguments(t *testing.T) {
	env := careEnv()
	parts := careItemised(env.Invoices[0], env)
	want := []Args{
		{"description": "Internet outubro", "due": Date("2026-10-25")},
		{"description": "Plano 100MB", "amount": Money(8000)},
		{"description": "Aluguel do roteador", "amount": Money(2000)},
		{"amount": Money(10000)},
		{"fee": Money(200)},
		{"interest": Money(96), "due": Date("2026-10-25")},
		{"total": Money(10296)},
	}
	for i, p := range parts {
		if i >= len(want) || !reflect.DeepEqual(p.Args, want[i]) {
			t.Fatalf("part %d %s args %v", i, p.Key, p.Args)
		}
	}
	// Overdue but within grace: no charge lines, the total is the amount.
	graced := careWith(func(e *Env) { e.Charges["INV-1"] = Charge{TotalCents: 10000} })
	if k := keys([]Action{reply(careItemised(graced.Invoices[0], graced)...)}); strings.Join(k, ",") !=
		"care.dispute.header,care.dispute.item,care.dispute.item,care.dispute.amount,care.dispute.total" {
		t.Fatalf("grace keys %v", k)
	}
	// Due today: no charges yet.
	due := careWith(func(e *Env) { e.Today = "2026-11-25" })
	if last := careItemised(due.Invoices[1], due); last[len(last)-1].Args["total"] != Money(15990) {
		t.Fatalf("due today total %v", last[len(last)-1].Args)
	}
	q := careDisputeQuestion(say("care.dispute.which", nil), Memory{Care: CareMemory{DisputeOptions: []string{"INV-1", "INV-2"}}}, env)
	if a := q.Parts[2].Args; a["option"] != 2 || a["description"] != "Internet novembro" || a["due"] != Date("2026-11-25") {
		t.Fatalf("option args %v", a)
	}
	if a := q.Parts[3].Args; a["option"] != 3 {
		t.Fatalf("all option args %v", a)
	}
}

func TestCareReasonIsTrimmed(t *testing.T) {
	long := strings.Repeat("é", 700)
	if got := careReason("  " + long + "  "); len([]rune(got)) != 500 {
		t.Fatalf("reason has %d runes", len([]rune(got)))
	}
	if got := careReason(" não devo\n"); got != "não devo" {
		t.Fatalf("reason %q", got)
	}
}

// TestCareWhen: a person answers "em instantes" inside the contact windows,
// else at the next opening, named by weekday.
func TestCareWhen(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, brt) }
	cases := []struct {
		name string
		now  time.Time
		key  string
		args Args
	}{
		{"monday morning", at(23, 10, 0), "care.when.soon", nil},
		{"before opening", at(24, 7, 30), "care.when.today", Args{"time": "09:00"}},
		{"tuesday evening", at(24, 18, 30), "care.when.tomorrow", Args{"date": Date("2026-11-25"), "time": "09:00"}},
		{"friday evening", at(27, 19, 0), "care.when.monday", Args{"date": Date("2026-11-30"), "time": "09:00"}},
		{"saturday", at(28, 11, 0), "care.when.monday", Args{"date": Date("2026-11-30"), "time": "09:00"}},
		// Friday 20/11 is Consciência Negra, a national holiday.
		{"before a holiday", at(19, 18, 0), "care.when.monday", Args{"date": Date("2026-11-23"), "time": "09:00"}},
		{"wednesday night", at(25, 23, 0), "care.when.tomorrow", Args{"date": Date("2026-11-26"), "time": "09:00"}},
		// Monday 02/11 is Finados: Saturday's next opening is Tuesday.
		{"before a monday holiday", time.Date(2026, 10, 31, 9, 0, 0, 0, brt), "care.when.tuesday", Args{"date": Date("2026-11-03"), "time": "09:00"}},
	}
	for _, tc := range cases {
		env := careWith(func(e *Env) { e.Now = tc.now })
		p := careWhen(env)
		if p.Key != tc.key || !reflect.DeepEqual(p.Args, tc.args) {
			t.Errorf("%s: %s %v, want %s %v", tc.name, p.Key, p.Args, tc.key, tc.args)
		}
		checkKeys(t, []Action{reply(p)})
	}
	// Every weekday has its sentence, even those the default policy never opens on.
	for d := 0; d < 7; d++ {
		day := time.Date(2026, 11, 22+d, 0, 0, 0, 0, brt).Weekday()
		checkKeys(t, []Action{reply(say("care.when."+strings.ToLower(day.String()), nil))})
	}
	noWindows := careWith(func(e *Env) { e.Policy = policy.Policy{} })
	if p := careWhen(noWindows); p.Key != "care.when.unknown" {
		t.Errorf("no windows: %s", p.Key)
	}
}

// TestCareWaitingForAPerson: a debtor handed to a person on an earlier day,
// whom nobody took over yet, is told once a day that the message waits;
// the same day, or once an agent holds the conversation, the bot is quiet.
func TestCareWaitingForAPerson(t *testing.T) {
	mem := Memory{IdentityConfirmed: true, Care: CareMemory{Handoff: "requested", HandoffOn: "2026-11-20"}}
	in := careIn(bot.IntentUnknown, "alguém vai me responder??")
	res := Step(StateWithAgent, mem, in, careEnv())
	// Within hours, no "em instantes" again; the policy has no contact of
	// its own, so the message does not point back to this chat.
	if got := keys(res.Actions); !reflect.DeepEqual(got, []string{"care.handoff.waiting_here", "status:needs_agent"}) {
		t.Fatalf("first message of the day: %v", got)
	}
	withPhone := careEnv()
	withPhone.Policy.Company.ContactPhone = "(11) 4000-1234"
	withPhone.Now = withPhone.Now.Add(10 * time.Hour) // 20:00, out of hours
	if got := keys(Step(StateWithAgent, mem, in, withPhone).Actions); !reflect.DeepEqual(got, []string{"care.handoff.waiting", "care.when.tomorrow", "status:needs_agent"}) {
		t.Fatalf("out of hours, with a phone: %v", got)
	}
	if again := Step(StateWithAgent, res.Memory, in, careEnv()); len(again.Actions) != 0 {
		t.Fatalf("twice the same day: %v", keys(again.Actions))
	}
	sameDay := mem
	sameDay.Care.HandoffOn = "2026-11-23"
	if r := Step(StateWithAgent, sameDay, in, careEnv()); len(r.Actions) != 0 {
		t.Fatalf("the day of the handoff: %v", keys(r.Actions))
	}
	held := careEnv()
	held.Agent = "ana"
	if r := Step(StateWithAgent, mem, in, held); len(r.Actions) != 0 {
		t.Fatalf("with an agent in charge: %v", keys(r.Actions))
	}
}

// TestOneMenu: the full menu never twice in a row; the second time a
// short pointer stands in, and the memory says whether it was shown.
func TestOneMenu(t *testing.T) {
	confirmed := Memory{IdentityConfirmed: true}
	first := OneMenu(false, Step(StateMenu, confirmed, careIn(bot.IntentUnknown, "kkkk"), careEnv()))
	if k := keys(first.Actions); !slices.Contains(k, "care.menu.full") || !first.Memory.MenuShown {
		t.Fatalf("first: %v %v", k, first.Memory.MenuShown)
	}
	second := OneMenu(first.Memory.MenuShown, Step(first.State, first.Memory, careIn(bot.IntentGreeting, "oi"), careEnv()))
	if k := keys(second.Actions); slices.Contains(k, "care.menu.full") || !slices.Contains(k, "care.menu.again") {
		t.Fatalf("second: %v", k)
	}
	third := OneMenu(second.Memory.MenuShown, Step(second.State, second.Memory, careIn(bot.IntentBalanceInquiry, "quanto devo"), careEnv()))
	if third.Memory.MenuShown {
		t.Fatalf("a balance is no menu: %v", keys(third.Actions))
	}
}
