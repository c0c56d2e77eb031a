package flows

import (
	"reflect"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

var (
	maria = &bot.Customer{ID: "cus_1", Name: "Maria Souza", Phone: "+5511988887777"}
	env   = Env{
		Now:      time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("BRT", -3*3600)),
		Today:    "2026-11-23",
		Customer: maria,
		Invoices: []bot.Invoice{
			{ID: "INV-1", Description: "Internet outubro", AmountCents: 10000, DueDate: "2026-10-25"},
			{ID: "INV-2", Description: "Internet novembro", AmountCents: 15990, DueDate: "2026-11-25"},
		},
		Charges: map[string]Charge{"INV-1": {LateFeeCents: 200, InterestCents: 96, TotalCents: 10296}},
	}
)

func msg(intent bot.Intent, text string) Input {
	return Input{Text: text, Class: bot.Classification{Intent: intent}}
}

// keys flattens a result's actions into comparable strings.
func keys(actions []Action) []string {
	var out []string
	for _, a := range actions {
		switch a := a.(type) {
		case Reply:
			for _, p := range a.Parts {
				out = append(out, p.Key)
			}
		case SetStatus:
			out = append(out, "status:"+string(a.Status))
		case Emit:
			out = append(out, "emit:"+a.Type)
		}
	}
	return out
}

func TestStep(t *testing.T) {
	confirmed := Memory{IdentityConfirmed: true}
	optedOut := Memory{Care: CareMemory{OptedOutOn: "2026-11-20"}}
	noCustomer := env
	noCustomer.Customer = nil
	noInvoices := env
	noInvoices.Invoices = nil
	cases := []struct {
		name      string
		state     string
		mem       Memory
		in        Input
		env       Env
		wantState string
		wantKeys  []string
		wantMem   Memory
	}{
		{"greeting asks identity first", StateStart, Memory{}, msg(bot.IntentGreeting, "oi"), env,
			StateConfirmIdentity, []string{"intro.unknown", "identity.ask"}, Memory{}},
		{"balance before identity is remembered, not answered", StateStart, Memory{}, msg(bot.IntentBalanceInquiry, "quanto devo"), env,
			StateConfirmIdentity, []string{"intro.unknown", "identity.ask"}, Memory{PendingIntent: bot.IntentBalanceInquiry, PendingText: "quanto devo"}},
		{"yes answers the pending balance", StateConfirmIdentity, Memory{PendingIntent: bot.IntentBalanceInquiry}, msg(bot.IntentAffirmative, "1"), env,
			StateMenu, []string{"identity.confirmed", "balance.header_many", "balance.line_overdue", "balance.line_upcoming", "balance.total"}, confirmed},
		{"yes without a pending request shows the menu, no second greeting", StateConfirmIdentity, Memory{}, msg(bot.IntentAffirmative, "sim"), env,
			StateMenuFull, []string{"identity.confirmed", "care.menu.full"}, confirmed},
		{"no closes without disclosure, the question kept for a \"sou eu\"", StateConfirmIdentity, Memory{PendingIntent: bot.IntentBalanceInquiry}, msg(bot.IntentNegative, "2"), env,
			StateClosed, []string{"identity.denied", "status:resolved", "emit:contact.wrong_number"}, Memory{PendingIntent: bot.IntentBalanceInquiry, Care: CareMemory{WrongNumberOn: "2026-11-23"}}},
		{"wrong person while confirming closes", StateConfirmIdentity, Memory{}, msg(bot.IntentWrongPerson, "numero errado"), env,
			StateClosed, []string{"identity.denied", "status:resolved", "emit:contact.wrong_number"}, Memory{Care: CareMemory{WrongNumberOn: "2026-11-23"}}},
		{"anything else while confirming asks again", StateConfirmIdentity, Memory{}, msg(bot.IntentUnknown, "hein"), env,
			StateConfirmIdentity, []string{"identity.retry"}, Memory{}},
		{"closed numbers get no details", StateClosed, Memory{}, msg(bot.IntentBalanceInquiry, "quanto devo"), env,
			StateClosed, []string{"closed"}, Memory{}},
		{"unknown number is told nothing", StateStart, Memory{}, msg(bot.IntentBalanceInquiry, "quanto devo"), noCustomer,
			StateMenu, []string{"intro.unknown", "unknown_number"}, Memory{}},
		{"confirmed balance", StateMenu, confirmed, msg(bot.IntentBalanceInquiry, "qual meu debito"), env,
			StateMenu, []string{"balance.header_many", "balance.line_overdue", "balance.line_upcoming", "balance.total"}, confirmed},
		{"menu option 1 is the balance", StateMenuFull, confirmed, msg(bot.IntentAffirmative, "1"), env,
			StateMenu, []string{"balance.header_many", "balance.line_overdue", "balance.line_upcoming", "balance.total"}, confirmed},
		{"a yes out of context is acknowledged, no menu", StateMenu, confirmed, msg(bot.IntentAffirmative, "ok"), env,
			StateMenu, []string{"care.ack.affirmative"}, confirmed},
		{"no invoices", StateMenu, confirmed, msg(bot.IntentBalanceInquiry, "devo algo?"), noInvoices,
			StateMenu, []string{"balance.none"}, confirmed},
		{"greeting when confirmed shows the menu", StateMenu, confirmed, msg(bot.IntentGreeting, "bom dia"), env,
			StateMenuFull, []string{"intro.known", "care.menu.full"}, confirmed},
		{"thanks", StateMenu, confirmed, msg(bot.IntentThanks, "obg"), env,
			StateMenu, []string{"thanks.reply"}, confirmed},
		{"unknown counts and offers the menu", StateMenu, confirmed, msg(bot.IntentUnknown, "kkkk"), env,
			StateMenuFull, []string{"unknown.reply", "care.menu.full"}, Memory{IdentityConfirmed: true, Unknowns: 1}},
		{"a person in charge means silence", StateWithAgent, confirmed, msg(bot.IntentBalanceInquiry, "quanto devo"), env,
			StateWithAgent, nil, confirmed},
		{"after an opt-out a greeting is answered, identity first, with the way back", StateOptedOut, optedOut, msg(bot.IntentGreeting, "oi"), env,
			StateConfirmIdentity, []string{"intro.unknown", "care.optout.hint", "identity.ask", "status:open"}, optedOut},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Step(tc.state, tc.mem, tc.in, tc.env)
			if got.State != tc.wantState {
				t.Errorf("state = %s, want %s", got.State, tc.wantState)
			}
			if k := keys(got.Actions); !reflect.DeepEqual(k, tc.wantKeys) {
				t.Errorf("actions = %v, want %v", k, tc.wantKeys)
			}
			if !reflect.DeepEqual(got.Memory, tc.wantMem) {
				t.Errorf("memory = %+v, want %+v", got.Memory, tc.wantMem)
			}
		})
	}
}

func TestBalanceArguments(t *testing.T) {
	r := balance(env)
	overdue := r.Parts[1].Args
	if overdue["total"] != Money(10296) || overdue["fee"] != Money(200) || overdue["due"] != Date("2026-10-25") {
		t.Fatalf("overdue line args = %v", overdue)
	}
	if total := r.Parts[3].Args["total"]; total != Money(10296+15990) {
		t.Fatalf("total = %v", total)
	}
}

// TestBalanceWithoutChargesYet: an invoice past its due date but still
// free of charges (due on a day off, or in the grace days) is not listed
// with "multa R$ 0,00 + juros R$ 0,00".
func TestBalanceWithoutChargesYet(t *testing.T) {
	env := careEnv()
	env.Charges = map[string]Charge{"INV-1": {TotalCents: 10000}}
	r := balance(env)
	if r.Parts[1].Key != "balance.line_no_charges" || r.Parts[2].Key != "balance.line_upcoming" {
		t.Fatalf("%v", keys([]Action{r}))
	}
}
