package flows

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/pix"
	"github.com/quitabot/quita/bot/policy"
)

// Payment codes and the amounts quoted beside them (README "Payment codes
// and the amounts quoted"): one Pix for "todas", an installment's own code.

// billingPix is a code as a billing system sends it: its own key, the
// billed amount.
func billingPix(t *testing.T, cents int64) string {
	t.Helper()
	code, err := pix.Payload{Key: "cobranca@billing.example", MerchantName: "Acme", MerchantCity: "SAO PAULO", TxID: "FAT7", AmountCents: cents}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// quotes checks the rule of payPixCode over a result: every Pix code sent
// carries exactly the amount its intro quotes, and an updated amount is
// quoted only when some code carries it. It returns the codes' amounts.
func quotes(t *testing.T, actions []Action) []int64 {
	t.Helper()
	var intro *Part
	var updated Money
	var carried []int64
	for _, a := range actions {
		r, ok := a.(Reply)
		if !ok {
			continue
		}
		for i, p := range r.Parts {
			switch {
			case p.Key == "pay.updated":
				updated = p.Args["total"].(Money)
			case strings.HasSuffix(p.Key, "_intro") || strings.HasSuffix(p.Key, "_intro_billed"):
				intro = &r.Parts[i]
			case p.Key == "pay.code" && intro != nil && intro.Key == "pay.pix_intro":
				cents, has, err := pix.Amount(p.Args["code"].(string))
				if err != nil || has && Money(cents) != intro.Args["amount"] {
					t.Errorf("the code carries %d (%v, %v); the message quotes %v", cents, has, err, intro.Args["amount"])
				}
				if has {
					carried = append(carried, cents)
				}
			}
		}
	}
	if updated != 0 && len(carried) > 0 && !slices.Contains(carried, int64(updated)) {
		t.Errorf("updated amount %d quoted, no code carries it (%v)", updated, carried)
	}
	return carried
}

// TestPixQuoteMatchesCode: the amount a message quotes beside a Pix code
// is the amount the code carries. With a key, the code is built for the
// amount due today; without one, billing's code goes with the amount it
// carries, and late charges are left to billing, never said to be in it.
func TestPixQuoteMatchesCode(t *testing.T) {
	confirmed := Memory{IdentityConfirmed: true}
	// Overdue since 25/10: R$ 159,90 billed, R$ 164,43 today.
	late := bot.Invoice{ID: "INV-7", Description: "Internet outubro", AmountCents: 15990, DueDate: "2026-10-25",
		Payment: bot.PaymentMeans{PixCopyPaste: billingPix(t, 15990)}, PDFURL: "https://billing.example/INV-7.pdf"}
	charged := func(e Env) Env {
		e.Charges = map[string]Charge{"INV-7": {LateFeeCents: 320, InterestCents: 133, TotalCents: 16443}}
		return e
	}
	noAmount := means(late, bot.PaymentMeans{PixCopyPaste: "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"}, "")
	bradesco := bot.Invoice{ID: "INV-8", Description: "Equipamento", AmountCents: 370000, DueDate: "2026-10-25",
		Payment: bot.PaymentMeans{BoletoLine: "23793.38128 60007.827136 95000.063305 9 75520000370000"}}
	cases := []struct {
		name  string
		in    Input
		env   Env
		keys  []string
		codes []int64
		intro Args // the first intro's arguments, when checked
	}{
		{"key, billing code at the billed amount: a code for today's amount", msg(bot.IntentPayNow, "pix"), withPix(charged(payEnv(late))),
			[]string{"pay.header", "pay.updated", "pay.pix_intro", "pay.code"}, []int64{16443}, Args{"amount": Money(16443)}},
		{"no key: billing's code, its amount, late charges left to billing", msg(bot.IntentPayNow, "pix"), charged(payEnv(late)),
			[]string{"pay.header", "pay.billed_note", "pay.pix_intro", "pay.code"}, []int64{15990}, Args{"amount": Money(15990)}},
		{"no key, code without an amount: the invoice amount", msg(bot.IntentPayNow, "pix"), charged(payEnv(noAmount)),
			[]string{"pay.header", "pay.billed_note", "pay.pix_intro", "pay.code"}, nil, Args{"amount": Money(15990)}},
		{"not overdue, no key: nothing about late charges", msg(bot.IntentPayNow, "pix"), payEnv(means(payNov, bot.PaymentMeans{PixCopyPaste: billingPix(t, 15990)}, "")),
			[]string{"pay.header", "pay.pix_intro", "pay.code"}, []int64{15990}, Args{"amount": Money(15990)}},
		{"key, boleto too: the boleto's billed amount, said so", msg(bot.IntentPayNow, "pix e boleto"),
			withPix(payEnv(bradesco)), []string{"pay.header", "pay.updated", "pay.pix_intro", "pay.code", "pay.boleto_intro_billed", "pay.code"}, []int64{380977}, nil},
		{"no key, boleto: the billed amount", msg(bot.IntentPayNow, "boleto"), payEnv(bradesco),
			[]string{"pay.header", "pay.billed_note", "pay.boleto_intro", "pay.code"}, nil, Args{"amount": Money(370000)}},
		{"segunda via, key: the boleto's amount, the Pix offered at today's", msg(bot.IntentInvoiceNotReceived, "segunda via"), noEmail(withPix(charged(payEnv(late)))),
			[]string{"emit:invoice.resend_requested", "pay.copy.pdf", "pay.copy.pdf_late_pix", "document:fatura-INV-7.pdf", "pay.copy.sent_here", "pay.copy.extension", "pay.copy.whatsapp_only"}, nil, nil},
		{"segunda via, no key: late charges left to billing", msg(bot.IntentInvoiceNotReceived, "segunda via"), noEmail(charged(payEnv(late))),
			[]string{"emit:invoice.resend_requested", "pay.copy.pdf", "pay.copy.pdf_late", "pay.copy.means_hint", "document:fatura-INV-7.pdf", "pay.copy.sent_here", "pay.copy.extension", "pay.copy.whatsapp_only"}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.env
			charges := map[string]Charge{}
			today, _ := policy.ParseDate(e.Today)
			for _, inv := range e.Invoices {
				due, _ := policy.ParseDate(inv.DueDate)
				fee, interest, total := e.Policy.LateCharges(inv.AmountCents, due, today)
				charges[inv.ID] = Charge{LateFeeCents: fee, InterestCents: interest, TotalCents: total}
				if ch, ok := e.Charges[inv.ID]; ok {
					charges[inv.ID] = ch
				}
			}
			e.Charges = charges
			res := Step(StateMenu, confirmed, tc.in, e)
			if k := payKeys(res.Actions); !reflect.DeepEqual(k, tc.keys) {
				t.Fatalf("actions = %q\n         want %q", k, tc.keys)
			}
			if got := quotes(t, res.Actions); !reflect.DeepEqual(got, tc.codes) {
				t.Errorf("codes carry %v, want %v", got, tc.codes)
			}
			if tc.intro != nil {
				var first Part
				for _, a := range res.Actions {
					if r, ok := a.(Reply); ok {
						for _, p := range r.Parts {
							if first.Key == "" && strings.Contains(p.Key, "_intro") {
								first = p
							}
						}
					}
				}
				if first.Args["amount"] != tc.intro["amount"] {
					t.Errorf("intro %s %v, want %v", first.Key, first.Args, tc.intro)
				}
			}
			checkRenders(t, res.Actions)
		})
	}
}

// TestPayAllOnePix: "todas" with a key is one Pix for the sum of what each
// invoice costs today, each listed with its amount, under a reference
// derived from their ids.
func TestPayAllOnePix(t *testing.T) {
	choose := Memory{IdentityConfirmed: true, Pay: PayMemory{Next: payForPay, Choices: []string{"INV-1", "INV-2"}}}
	res := Step(StatePayChooseInvoice, choose, msg(bot.IntentUnknown, "todas"), withPix(payEnv(payOct, payNov)))
	if got := quotes(t, res.Actions); !reflect.DeepEqual(got, []int64{10296 + 15990}) {
		t.Fatalf("codes %v", got)
	}
	code, _ := find(t, res.Actions, "pay.code")
	c, err := pix.Parse(code.Args["code"].(string))
	if err != nil || c.TxID != "INV1INV2" {
		t.Fatalf("code %+v %v", c, err)
	}
	if h, _ := find(t, res.Actions, "pay.all.header"); h.Args["count"] != 2 || h.Args["total"] != Money(26286) {
		t.Fatalf("header %v", h.Args)
	}
	var lines []Args
	for _, a := range res.Actions {
		if r, ok := a.(Reply); ok {
			for _, p := range r.Parts {
				if p.Key == "pay.all.line" {
					lines = append(lines, p.Args)
				}
			}
		}
	}
	if len(lines) != 2 || lines[0]["amount"] != Money(10296) || lines[1]["amount"] != Money(15990) || lines[0]["description"] != "Internet outubro" {
		t.Fatalf("lines %v", lines)
	}
	many := make([]bot.Invoice, 4)
	for i := range many {
		many[i] = bot.Invoice{ID: "fatura-2026-000" + strconv.Itoa(i)}
	}
	if id := payAllTxID(many); len(id) != 25 || id[0] != 'Q' {
		t.Fatalf("long reference %q", id)
	}
}

// planEnv has INV-1 under a 3-installment plan accepted on 2026-11-23.
func planEnv(e Env, ids ...string) Env {
	if len(ids) == 0 {
		ids = []string{"INV-1"}
	}
	detail, _ := json.Marshal(map[string]any{"invoice_ids": ids, "installments": 3, "schedule": []planRow{
		{1, "2026-11-24", 10399, ""}, {2, "2026-12-24", 10399, ""}, {3, "2027-01-24", 10400, ""}}})
	e.Collections = map[string]bot.Collection{}
	for _, id := range ids {
		e.Collections[id] = bot.Collection{InvoiceID: id, Status: bot.CollectionPlan, Until: "2027-01-24", Detail: detail}
	}
	return e
}

func topic(in Input, t string) Input {
	in.Class.Entities.Topic = t
	return in
}

// TestInstallmentAnswers: under a plan, "quero pagar" and "cadê o boleto
// da parcela?" answer the next installment — its number, amount, due date
// and own Pix code — never the invoice's amount and means.
func TestInstallmentAnswers(t *testing.T) {
	confirmed := Memory{IdentityConfirmed: true}
	one := planEnv(payEnv(payOct))
	later := one
	later.Today = "2026-11-25"
	both := planEnv(payEnv(payOct, means(payNov, bot.PaymentMeans{Link: "https://pay.example/INV-2"}, "")))
	withKey := []string{"pay.installment.header", "pay.installment.other", "pay.pix_intro", "pay.code"}
	noKey := []string{"emit:invoice.resend_requested", "pay.installment.header", "pay.installment.by_billing", "pay.installment.other"}
	cases := []struct {
		name   string
		in     Input
		env    Env
		keys   []string
		number int
		amount int64
		txid   string
	}{
		{"quero pagar, key: the first installment's code", msg(bot.IntentPayNow, "quero pagar"), withPix(one), withKey, 1, 10399, "INV1P1"},
		{"boleto da parcela, key", topic(msg(bot.IntentInvoiceNotReceived, "cadê o boleto da parcela?"), bot.TopicInstallment), withPix(one), withKey, 1, 10399, "INV1P1"},
		{"the word alone, no topic yet", msg(bot.IntentInvoiceNotReceived, "cadê o boleto da parcela?"), withPix(one), withKey, 1, 10399, "INV1P1"},
		{"after the first due date: the second", msg(bot.IntentPayNow, "quero pagar"), withPix(later), withKey, 2, 10399, "INV1P2"},
		{"one named", msg(bot.IntentPayNow, "quero pagar a parcela 3"), withPix(one), withKey, 3, 10400, "INV1P3"},
		{"one named by ordinal, already due", msg(bot.IntentInvoiceNotReceived, "não recebi a primeira parcela"), withPix(later), withKey, 1, 10399, "INV1P1"},
		{"no key: billing asked to send it again", msg(bot.IntentPayNow, "quero pagar"), one, noKey, 1, 10399, ""},
		{"segunda via, no key", topic(msg(bot.IntentInvoiceNotReceived, "segunda via da parcela"), bot.TopicInstallment), one, noKey, 1, 10399, ""},
		{"another invoice open, installment asked", topic(msg(bot.IntentPayNow, "quero pagar a parcela"), bot.TopicInstallment), withPix(both), withKey, 1, 10399, "INV1P1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Step(StateMenu, confirmed, tc.in, tc.env)
			if k := payKeys(res.Actions); !reflect.DeepEqual(k, tc.keys) {
				t.Fatalf("actions = %q\n         want %q", k, tc.keys)
			}
			h, _ := find(t, res.Actions, "pay.installment.header")
			if h.Args["number"] != tc.number || h.Args["count"] != 3 || h.Args["amount"] != Money(tc.amount) || h.Args["description"] != "Internet outubro" {
				t.Errorf("header %v", h.Args)
			}
			if tc.txid != "" {
				quotes(t, res.Actions)
				code, _ := find(t, res.Actions, "pay.code")
				if c, err := pix.Parse(code.Args["code"].(string)); err != nil || c.TxID != tc.txid || c.AmountCents != tc.amount {
					t.Errorf("code %+v %v", c, err)
				}
			} else if d := emitted(res.Actions, "invoice.resend_requested"); len(d) != 1 || d[0]["installment"] != tc.number || d[0]["amount_cents"] != tc.amount {
				t.Errorf("resend %v", d)
			}
			if res.State != StateMenu || res.Memory.InvoiceID != "INV-1" {
				t.Errorf("state %s memory %+v", res.State, res.Memory)
			}
			checkRenders(t, res.Actions)
		})
	}
	t.Run("another invoice open, no word of an installment: that invoice", func(t *testing.T) {
		res := Step(StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar"), withPix(both))
		if h, _ := find(t, res.Actions, "pay.method.ask"); h.Args["description"] != "Internet novembro" {
			t.Fatalf("header %v", h.Args)
		}
	})
	t.Run("the reminder of an installment carries the same code", func(t *testing.T) {
		item := ReminderItem{Kind: ReminderStep, InvoiceID: "INV-1", Step: "plan-2:d0@2026-12-24", Message: "reminder.due_today", Tone: "friendly",
			Due: "2026-12-24", Anchor: "2026-12-24", Installment: &ReminderInstallment{Number: 2, Count: 3, AmountCents: 10399, Due: "2026-12-24"}}
		e := withPix(one)
		e.Today = "2026-12-24"
		res := reminder(StateMenu, confirmed, Input{Event: EventReminder, Reminder: []ReminderItem{item}}, e)
		code, _ := find(t, res.Actions, "reminder.code")
		intro, _ := find(t, res.Actions, "reminder.installment_pix")
		c, err := pix.Parse(code.Args["code"].(string))
		if err != nil || c.TxID != "INV1P2" || c.AmountCents != 10399 || intro.Args["amount"] != Money(10399) {
			t.Fatalf("code %+v %v, intro %v", c, err, intro.Args)
		}
		asked := Step(StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar"), e)
		if again, _ := find(t, asked.Actions, "pay.code"); again.Args["code"] != code.Args["code"] {
			t.Fatalf("the same installment has two codes:\n%v\n%v", again.Args["code"], code.Args["code"])
		}
	})
}

// TestInstallmentWordsReachThePlan: "parcela 2" and "installment boleto",
// which the classifier reads as requests to split, are the plan's payment
// when a plan is in place — the words the bot itself suggests must work.
func TestInstallmentWordsReachThePlan(t *testing.T) {
	e := dealEnv(twoInstallments, dealOct)
	for _, intent := range []bot.Intent{bot.IntentRequestInstallments, bot.IntentBalanceInquiry, bot.IntentUnknown} {
		in := dmsg(intent, "parcela 2", bot.Entities{Topic: bot.TopicInstallment})
		res := Step(StateMenu, dealYes, in, e)
		h, _ := find(t, res.Actions, "pay.installment.header")
		if h.Args["number"] != 2 || h.Args["amount"] != Money(15890) {
			t.Errorf("%s: %v", intent, h.Args)
		}
	}
}

// TestPayBothAtOnce: "quero pagar as duas" straight from the menu pays
// both invoices (one Pix for the sum with a key), without a "which one?".
func TestPayBothAtOnce(t *testing.T) {
	confirmed := Memory{IdentityConfirmed: true}
	res := Step(StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar as duas"), withPix(payEnv(payOct, payNov)))
	if got := quotes(t, res.Actions); !reflect.DeepEqual(got, []int64{10296 + 15990}) {
		t.Fatalf("codes %v (%v)", got, keys(res.Actions))
	}
}

// TestPayTwoOfThree: with three invoices open, "as duas" is not all of
// them (a code for all would charge too much), and "1 e 2" picks two.
func TestPayTwoOfThree(t *testing.T) {
	payDec := bot.Invoice{ID: "INV-3", Description: "Internet dezembro", AmountCents: 12000, DueDate: "2026-12-25"}
	env := withPix(payEnv(payOct, payNov, payDec))
	choose := Memory{IdentityConfirmed: true, Pay: PayMemory{Next: payForPay, Choices: []string{"INV-1", "INV-2", "INV-3"}}}
	if res := Step(StatePayChooseInvoice, choose, msg(bot.IntentUnknown, "as duas"), env); len(quotes(t, res.Actions)) != 0 {
		t.Fatalf(`"as duas" of three paid something: %v`, keys(res.Actions))
	}
	if res := Step(StateMenu, Memory{IdentityConfirmed: true}, msg(bot.IntentPayNow, "quero pagar as duas"), env); len(quotes(t, res.Actions)) != 0 {
		t.Fatalf(`"quero pagar as duas" of three paid something: %v`, keys(res.Actions))
	}
	res := Step(StatePayChooseInvoice, choose, msg(bot.IntentUnknown, "1 e 2"), env)
	if got := quotes(t, res.Actions); !reflect.DeepEqual(got, []int64{10296 + 15990}) {
		t.Fatalf(`"1 e 2": codes %v (%v)`, got, keys(res.Actions))
	}
}
