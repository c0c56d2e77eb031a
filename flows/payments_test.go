package flows

import (
	"reflect"
	"slices"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/pix"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/locales"
)

// Monday 23/11/2026: three business days later is Thursday 26/11.
const payDeadline = "2026-11-26"

var (
	payOct = bot.Invoice{ID: "INV-1", Description: "Internet outubro", AmountCents: 10000, DueDate: "2026-10-25",
		Payment: bot.PaymentMeans{Link: "https://pay.example/INV-1", PixCopyPaste: "PIX-INV-1", BoletoLine: "23791.23405 90000.000001 01001.234507 4 16100000010000"},
		PDFURL:  "https://billing.example/INV-1.pdf"}
	payNov = bot.Invoice{ID: "INV-2", Description: "Internet novembro", AmountCents: 15990, DueDate: "2026-11-25"}
)

// payEnv is one debtor with e-mail; invs replace the open invoices.
func payEnv(invs ...bot.Invoice) Env {
	e := env
	c := *maria
	c.Email = "maria@example.com"
	e.Customer = &c
	e.Invoices = invs
	e.Collections = map[string]bot.Collection{}
	e.Policy = policy.Default()
	e.Policy.Company.Name = "Acme Telecom"
	return e
}

func withPix(e Env) Env {
	e.Policy.Pix = policy.Pix{Key: "pix@acme.example", MerchantCity: "SAO PAULO"}
	return e
}

func claimed(e Env, id string) Env {
	e.Collections = map[string]bot.Collection{id: {InvoiceID: id, Status: bot.CollectionClaimed, Until: "2026-11-25"}}
	return e
}

func noEmail(e Env) Env {
	c := *e.Customer
	c.Email = ""
	e.Customer = &c
	return e
}

func means(inv bot.Invoice, m bot.PaymentMeans, pdf string) bot.Invoice {
	inv.Payment, inv.PDFURL = m, pdf
	return inv
}

func media(kind string) Input {
	return Input{Media: &bot.Media{Type: kind, URL: "/media/abc." + kind}, Class: bot.Classification{Intent: bot.IntentUnknown}}
}

func withMedia(in Input, kind string) Input {
	in.Media = media(kind).Media
	return in
}

func opt(intent bot.Intent, n string) Input {
	in := msg(intent, n)
	in.Class.Entities.Option = n
	return in
}

func amount(in Input, cents int64) Input {
	in.Class.Entities.AmountCents = cents
	return in
}

// payKeys is keys plus collection changes and attached documents.
func payKeys(actions []Action) []string {
	var out []string
	for _, a := range actions {
		switch a := a.(type) {
		case SetCollection:
			out = append(out, "collection:"+a.InvoiceID+":"+string(a.Status)+":"+a.Until)
		case Reply:
			out = append(out, keys([]Action{a})...)
			if a.Document != nil {
				out = append(out, "document:"+a.Document.Filename)
			}
		default:
			out = append(out, keys([]Action{a})...)
		}
	}
	return out
}

// payCase is one row of the payment topic's table tests.
type payCase struct {
	name      string
	state     string
	mem       Memory
	in        Input
	env       Env
	wantState string
	wantKeys  []string
	wantMem   Memory
}

func runPayCases(t *testing.T, cases []payCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Step(tc.state, tc.mem, tc.in, tc.env)
			if got.State != tc.wantState {
				t.Errorf("state = %s, want %s", got.State, tc.wantState)
			}
			if k := payKeys(got.Actions); !reflect.DeepEqual(k, tc.wantKeys) {
				t.Errorf("actions = %q\n         want %q", k, tc.wantKeys)
			}
			if !reflect.DeepEqual(got.Memory, tc.wantMem) {
				t.Errorf("memory = %+v\n    want %+v", got.Memory, tc.wantMem)
			}
			checkRenders(t, got.Actions)
		})
	}
}

// payClaimed is the outcome of a receipt for INV-1: paused, reported, an agent to confirm.
var payClaimed = []string{"pay.claim.thanks_receipt", "pay.claim.review_one", "collection:INV-1:claimed:" + payDeadline,
	"emit:payment.claimed", "status:needs_agent"}

func TestPayments(t *testing.T) {
	confirmed := Memory{IdentityConfirmed: true}
	about := func(id string) Memory { return Memory{IdentityConfirmed: true, InvoiceID: id} }
	pay := func(p PayMemory, id string) Memory { return Memory{IdentityConfirmed: true, InvoiceID: id, Pay: p} }
	one, two := payEnv(payOct), payEnv(payOct, payNov)
	linkOnly := payEnv(means(payOct, bot.PaymentMeans{Link: "https://pay.example/INV-1"}, ""))
	linkBoleto := payEnv(means(payOct, bot.PaymentMeans{Link: "https://pay.example/INV-1", BoletoLine: "23791.23405 90000.000001 01001.234507 4 16100000010000"}, ""))
	bare := payEnv(payNov)
	// Overdue, no Pix key: the codes are the billing system's, for the
	// billed amount, so no updated amount is quoted beside them; a link
	// alone carries no amount, so the updated one is.
	header := []string{"pay.header", "pay.billed_note"}
	headerLink := []string{"pay.header", "pay.updated"}
	all := append(slices.Clone(header), "pay.link", "pay.pix_intro", "pay.code", "pay.boleto_intro", "pay.code")
	// The invoice is overdue and the env has no Pix key: the billing system's means
	// carry the billed amount, and the question says so.
	askMethod := []string{"pay.method.ask", "pay.billed_ask_note", "pay.method.pix", "pay.method.boleto", "pay.method.link"}
	choose := PayMemory{Next: payForPay, Choices: []string{"INV-1", "INV-2"}}
	runPayCases(t, []payCase{
		// pay_now
		{"several means: ask how to pay", StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar"), one,
			StatePayChooseMethod, askMethod, pay(PayMemory{Methods: []string{"pix", "boleto", "link"}}, "INV-1")},
		{"pix named: only the pix", StateMenu, confirmed, msg(bot.IntentPayNow, "manda o PIX"), one,
			StateMenu, append(slices.Clone(header), "pay.pix_intro", "pay.code"), about("INV-1")},
		{"boleto named", StateMenu, confirmed, msg(bot.IntentPayNow, "me passa o código de barras"), one,
			StateMenu, append(slices.Clone(header), "pay.boleto_intro", "pay.code"), about("INV-1")},
		{"cartão named", StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar no cartão"), one,
			StateMenu, append(slices.Clone(headerLink), "pay.link"), about("INV-1")},
		{"two means named: all of them", StateMenu, confirmed, msg(bot.IntentPayNow, "pix ou boleto?"), one,
			StateMenu, all, about("INV-1")},
		{"missing means, one other: offer it", StateMenu, confirmed, msg(bot.IntentPayNow, "pix"), linkOnly,
			StateMenu, []string{"pay.method.missing_pix", "pay.header", "pay.updated", "pay.link"}, about("INV-1")},
		{"missing means, others: ask", StateMenu, confirmed, msg(bot.IntentPayNow, "pix"), linkBoleto,
			StatePayChooseMethod, []string{"pay.method.missing_pix", "pay.method.ask", "pay.billed_ask_note", "pay.method.boleto", "pay.method.link"},
			pay(PayMemory{Methods: []string{"boleto", "link"}}, "INV-1")},
		{"one means: sent at once", StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar"), linkOnly,
			StateMenu, []string{"pay.header", "pay.updated", "pay.link"}, about("INV-1")},
		{"no means: a person sends one", StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar"), bare,
			StateMenu, []string{"pay.none", "status:needs_agent", "emit:conversation.handoff"}, about("INV-2")},
		{"no code but a pix key: generated", StateMenu, confirmed, msg(bot.IntentPayNow, "pix"), withPix(bare),
			StateMenu, []string{"pay.header", "pay.pix_intro", "pay.code"}, about("INV-2")},
		{"several open: which one", StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar com pix"), two,
			StatePayChooseInvoice, []string{"pay.choose.pay", "pay.choose.line", "pay.choose.line", "pay.choose.footer"},
			pay(PayMemory{Next: payForPay, Method: "pix", Choices: []string{"INV-1", "INV-2"}}, "")},
		{"several open: the one discussed", StateMenu, about("INV-1"), msg(bot.IntentPayNow, "boleto"), two,
			StateMenu, append(slices.Clone(header), "pay.boleto_intro", "pay.code"), about("INV-1")},
		{"several open: the amount named", StateMenu, confirmed, amount(msg(bot.IntentPayNow, "a de 102,96"), 10296), two,
			StatePayChooseMethod, askMethod, pay(PayMemory{Methods: []string{"pix", "boleto", "link"}}, "INV-1")},
		{"several open: the description named", StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar a de novembro"), two,
			StateMenu, []string{"pay.none", "status:needs_agent", "emit:conversation.handoff"}, about("INV-2")},
		{"claimed ones are not offered", StateMenu, confirmed, msg(bot.IntentPayNow, "pix"), claimed(withPix(two), "INV-1"),
			StateMenu, []string{"pay.header", "pay.pix_intro", "pay.code"}, about("INV-2")},
		{"nothing open", StateMenu, confirmed, msg(bot.IntentPayNow, "pix"), payEnv(),
			StateMenu, []string{"balance.none"}, confirmed},

		// the "how do you prefer to pay?" question
		{"method by number", StatePayChooseMethod, pay(PayMemory{Methods: []string{"pix", "boleto", "link"}}, "INV-1"), opt(bot.IntentUnknown, "3"), one,
			StateMenu, append(slices.Clone(headerLink), "pay.link"), about("INV-1")},
		{"method by button 1", StatePayChooseMethod, pay(PayMemory{Methods: []string{"pix", "boleto", "link"}}, "INV-1"), opt(bot.IntentAffirmative, "1"), one,
			StateMenu, append(slices.Clone(header), "pay.pix_intro", "pay.code"), about("INV-1")},
		{"method by name", StatePayChooseMethod, pay(PayMemory{Methods: []string{"pix", "boleto", "link"}}, "INV-1"), msg(bot.IntentInvoiceNotReceived, "boleto"), one,
			StateMenu, append(slices.Clone(header), "pay.boleto_intro", "pay.code"), about("INV-1")},
		{"yes without a choice: everything", StatePayChooseMethod, pay(PayMemory{Methods: []string{"pix", "boleto", "link"}}, "INV-1"), msg(bot.IntentAffirmative, "sim"), one,
			StateMenu, all, about("INV-1")},
		{"no: later", StatePayChooseMethod, pay(PayMemory{Methods: []string{"pix"}}, "INV-1"), msg(bot.IntentNegative, "não"), one,
			StateMenu, []string{"pay.method.later"}, about("INV-1")},
		{"not understood: asked again once", StatePayChooseMethod, pay(PayMemory{Methods: []string{"pix", "link"}}, "INV-1"), opt(bot.IntentUnknown, "7"), linkOnly,
			StatePayChooseMethod, []string{"pay.method.retry", "pay.method.ask", "pay.billed_ask_note", "pay.method.pix", "pay.method.link"},
			Memory{IdentityConfirmed: true, InvoiceID: "INV-1", Unknowns: 1, Pay: PayMemory{Methods: []string{"pix", "link"}}}},
		{"not understood twice: leaves", StatePayChooseMethod, Memory{IdentityConfirmed: true, InvoiceID: "INV-1", Unknowns: 1, Pay: PayMemory{Methods: []string{"pix"}}}, msg(bot.IntentUnknown, "hein"), one,
			StateOfferHuman, []string{"unknown.reply_again", "care.offer_human.ask"}, Memory{IdentityConfirmed: true, InvoiceID: "INV-1", Unknowns: 2}},
		{"another subject: leaves", StatePayChooseMethod, pay(PayMemory{Methods: []string{"pix"}}, "INV-1"), msg(bot.IntentBalanceInquiry, "quanto devo"), one,
			StateMenu, []string{"balance.header_one", "balance.line_overdue"}, about("INV-1")},
		{"invoice paid meanwhile: leaves", StatePayChooseMethod, pay(PayMemory{Methods: []string{"pix"}}, "INV-9"), msg(bot.IntentBalanceInquiry, "e agora?"), one,
			StateMenu, []string{"balance.header_one", "balance.line_overdue"}, about("INV-9")},
		{"receipt instead of a choice: a claim", StatePayChooseMethod, pay(PayMemory{Methods: []string{"pix"}}, "INV-1"), media("image"), one,
			StateMenu, payClaimed, confirmed},

		// the "which invoice?" question
		{"invoice by number", StatePayChooseInvoice, pay(PayMemory{Next: payForPay, Method: "pix", Choices: []string{"INV-1", "INV-2"}}, ""), opt(bot.IntentUnknown, "1"), two,
			StateMenu, append(slices.Clone(header), "pay.pix_intro", "pay.code"), about("INV-1")},
		{"invoice by amount", StatePayChooseInvoice, pay(choose, ""), amount(msg(bot.IntentUnknown, "a de 159,90"), 15990), withPix(two),
			StateMenu, []string{"pay.header", "pay.pix_intro", "pay.code"}, about("INV-2")},
		{"all invoices, a key: one Pix for the sum", StatePayChooseInvoice, pay(PayMemory{Next: payForPay, Method: "pix", Choices: []string{"INV-1", "INV-2"}}, ""), msg(bot.IntentUnknown, "todas"), withPix(two),
			StateMenu, []string{"pay.all.header", "pay.all.line", "pay.all.line", "pay.all.updated", "pay.pix_intro", "pay.code", "pay.all.other_means"}, confirmed},
		{"all invoices, no key: each invoice's own means", StatePayChooseInvoice, pay(PayMemory{Next: payForPay, Method: "pix", Choices: []string{"INV-1", "INV-2"}}, ""), msg(bot.IntentUnknown, "todas"),
			payEnv(payOct, means(payNov, bot.PaymentMeans{PixCopyPaste: "PIX-INV-2"}, "")),
			StateMenu, append(slices.Clone(header), "pay.pix_intro", "pay.code", "pay.header", "pay.pix_intro", "pay.code"), confirmed},
		{"all invoices, boleto asked with a key: each invoice's boleto", StatePayChooseInvoice, pay(PayMemory{Next: payForPay, Method: "boleto", Choices: []string{"INV-1", "INV-2"}}, ""), msg(bot.IntentUnknown, "todas"), withPix(two),
			StateMenu, []string{"pay.header", "pay.billed_note", "pay.boleto_intro", "pay.code", "pay.header", "pay.pix_intro", "pay.code"}, confirmed},
		{"a receipt while choosing: which one it pays", StatePayChooseInvoice, pay(choose, ""), media("document"), two,
			StatePayChooseInvoice, []string{"pay.choose.claim_receipt", "pay.choose.line", "pay.choose.line", "pay.choose.footer"},
			pay(PayMemory{Next: payForClaim, Choices: []string{"INV-1", "INV-2"}, ReceiptURL: "/media/abc.document"}, "")},
		{"receipt kept, invoice chosen: claimed", StatePayChooseInvoice, pay(PayMemory{Next: payForClaim, Choices: []string{"INV-1", "INV-2"}, ReceiptURL: "/r.jpg"}, ""), opt(bot.IntentAffirmative, "1"), two,
			StateMenu, payClaimed, confirmed},
		{"copy chosen", StatePayChooseInvoice, pay(PayMemory{Next: payForCopy, Choices: []string{"INV-1", "INV-2"}}, ""), opt(bot.IntentAffirmative, "1"), two,
			StateOfferEmail, []string{"emit:invoice.resend_requested", "pay.copy.pdf", "pay.copy.pdf_late", "pay.copy.means_hint", "document:fatura-INV-1.pdf", "pay.copy.sent_here", "pay.copy.extension", "pay.copy.email_offer"},
			pay(PayMemory{Resent: []string{"INV-1"}}, "INV-1")},
		{"no invoice after all", StatePayChooseInvoice, pay(choose, ""), msg(bot.IntentNegative, "nenhuma"), two,
			StateMenu, []string{"pay.method.later"}, confirmed},
		{"choice not understood: list again", StatePayChooseInvoice, pay(choose, ""), msg(bot.IntentUnknown, "hmm"), two,
			StatePayChooseInvoice, []string{"pay.choose.retry", "pay.choose.pay", "pay.choose.line", "pay.choose.line", "pay.choose.footer"},
			Memory{IdentityConfirmed: true, Unknowns: 1, Pay: choose}},
		{"another subject while choosing", StatePayChooseInvoice, pay(choose, ""), msg(bot.IntentBalanceInquiry, "quanto devo?"), two,
			StateMenu, []string{"balance.header_many", "balance.line_overdue", "balance.line_upcoming", "balance.total"}, confirmed},

		// invoice_not_received
		{"segunda via: pdf, e-mail offered", StateMenu, confirmed, msg(bot.IntentInvoiceNotReceived, "segunda via"), one,
			StateOfferEmail, []string{"emit:invoice.resend_requested", "pay.copy.pdf", "pay.copy.pdf_late", "pay.copy.means_hint", "document:fatura-INV-1.pdf", "pay.copy.sent_here", "pay.copy.extension", "pay.copy.email_offer"},
			pay(PayMemory{Resent: []string{"INV-1"}}, "INV-1")},
		{"segunda via without e-mail", StateMenu, confirmed, msg(bot.IntentInvoiceNotReceived, "não chegou"), noEmail(one),
			StateMenu, []string{"emit:invoice.resend_requested", "pay.copy.pdf", "pay.copy.pdf_late", "pay.copy.means_hint", "document:fatura-INV-1.pdf", "pay.copy.sent_here", "pay.copy.extension", "pay.copy.whatsapp_only"}, about("INV-1")},
		{"segunda via without pdf: the codes", StateMenu, confirmed, msg(bot.IntentInvoiceNotReceived, "não recebi o boleto"), noEmail(linkBoleto),
			StateMenu, []string{"emit:invoice.resend_requested", "pay.copy.means", "pay.billed_note", "pay.link", "pay.boleto_intro", "pay.code", "pay.copy.sent_here", "pay.copy.extension", "pay.copy.whatsapp_only"}, about("INV-1")},
		{"segunda via not yet due: no new date offered", StateMenu, confirmed, msg(bot.IntentInvoiceNotReceived, "segunda via"), withPix(bare),
			StateOfferEmail, []string{"emit:invoice.resend_requested", "pay.copy.means", "pay.pix_intro", "pay.code", "pay.copy.sent_here", "pay.copy.email_offer"},
			pay(PayMemory{Resent: []string{"INV-2"}}, "INV-2")},
		{"segunda via of nothing: a person sends it", StateMenu, confirmed, msg(bot.IntentInvoiceNotReceived, "segunda via"), bare,
			StateMenu, []string{"emit:invoice.resend_requested", "pay.copy.none", "status:needs_agent", "emit:conversation.handoff"}, about("INV-2")},
		{"segunda via, several open", StateMenu, confirmed, msg(bot.IntentInvoiceNotReceived, "segunda via"), two,
			StatePayChooseInvoice, []string{"pay.choose.copy", "pay.choose.line", "pay.choose.line", "pay.choose.footer"},
			pay(PayMemory{Next: payForCopy, Choices: []string{"INV-1", "INV-2"}}, "")},
		{"segunda via, nothing open", StateMenu, confirmed, msg(bot.IntentInvoiceNotReceived, "segunda via"), payEnv(),
			StateMenu, []string{"balance.none"}, confirmed},

		// the e-mail offer
		{"e-mail too: yes", StateOfferEmail, pay(PayMemory{Resent: []string{"INV-1"}}, "INV-1"), opt(bot.IntentAffirmative, "1"), one,
			StateMenu, []string{"emit:invoice.resend_requested", "pay.copy.email_requested"}, about("INV-1")},
		{"e-mail too: asked in words", StateOfferEmail, pay(PayMemory{Resent: []string{"INV-1"}}, "INV-1"), msg(bot.IntentInvoiceNotReceived, "pode mandar no e-mail"), one,
			StateMenu, []string{"emit:invoice.resend_requested", "pay.copy.email_requested"}, about("INV-1")},
		{"e-mail too: no", StateOfferEmail, pay(PayMemory{Resent: []string{"INV-1"}}, "INV-1"), msg(bot.IntentNegative, "não precisa"), one,
			StateMenu, []string{"pay.copy.email_declined"}, about("INV-1")},
		{"e-mail offer: another subject", StateOfferEmail, pay(PayMemory{Resent: []string{"INV-1"}}, "INV-1"), msg(bot.IntentPayNow, "cartão"), one,
			StateMenu, append(slices.Clone(headerLink), "pay.link"), about("INV-1")},
	})
}

// find returns the first part with key among actions, and the action it is in.
func find(t *testing.T, actions []Action, key string) (Part, Reply) {
	t.Helper()
	for _, a := range actions {
		if r, ok := a.(Reply); ok {
			for _, p := range r.Parts {
				if p.Key == key {
					return p, r
				}
			}
		}
	}
	t.Fatalf("no %s in %q", key, payKeys(actions))
	return Part{}, Reply{}
}

func emitted(actions []Action, typ string) []map[string]any {
	var out []map[string]any
	for _, a := range actions {
		if e, ok := a.(Emit); ok && e.Type == typ {
			out = append(out, e.Data)
		}
	}
	return out
}

func TestPaymentArguments(t *testing.T) {
	confirmed := Memory{IdentityConfirmed: true}
	oct := means(payOct, bot.PaymentMeans{Link: "https://pay.example/INV-1"}, "")

	t.Run("generated pix: exact amount due today, invoice reference, company name", func(t *testing.T) {
		res := Step(StateMenu, confirmed, msg(bot.IntentPayNow, "pix"), withPix(payEnv(oct)))
		code, r := find(t, res.Actions, "pay.code")
		if len(r.Parts) != 1 {
			t.Fatalf("the code must travel alone, got %q", payKeys([]Action{r}))
		}
		got, err := pix.Parse(code.Args["code"].(string))
		if err != nil {
			t.Fatal(err)
		}
		// The instructions carry the same code as a QR image; the code
		// message itself carries none.
		_, intro := find(t, res.Actions, "pay.pix_intro")
		if intro.PixQR != code.Args["code"] || r.PixQR != "" {
			t.Fatalf("QR on the instructions %q, on the code %q", intro.PixQR, r.PixQR)
		}
		if got.AmountCents != 10296 || got.TxID != "INV1" || got.MerchantName != "Acme Telecom" || got.MerchantCity != "SAO PAULO" || got.Key != "pix@acme.example" {
			t.Fatalf("code %+v", got.Payload)
		}
		if u, _ := find(t, res.Actions, "pay.updated"); u.Args["total"] != Money(10296) {
			t.Fatalf("updated args %v", u.Args)
		}
		if h, _ := find(t, res.Actions, "pay.header"); h.Args["amount"] != Money(10000) || h.Args["description"] != "Internet outubro" {
			t.Fatalf("header args %v", h.Args)
		}
	})
	t.Run("generated pix: merchant name from policy, long id keeps its last 25", func(t *testing.T) {
		e := withPix(payEnv(bot.Invoice{ID: "fatura-2026/11-cliente-000123456789", AmountCents: 5000, DueDate: "2026-11-30"}))
		e.Policy.Pix.MerchantName = "ACME LTDA"
		got, err := pix.Parse(payPixCode(e.Invoices[0], e).code)
		if err != nil || got.MerchantName != "ACME LTDA" || got.TxID != "202611cliente000123456789" || got.AmountCents != 5000 {
			t.Fatalf("code %+v %v", got.Payload, err)
		}
	})
	t.Run("with a key, billing's own pix code gives way to one for the amount quoted", func(t *testing.T) {
		res := Step(StateMenu, confirmed, msg(bot.IntentPayNow, "pix"), withPix(payEnv(payOct)))
		if code, _ := find(t, res.Actions, "pay.code"); code.Args["code"] == "PIX-INV-1" {
			t.Fatalf("code %v", code.Args)
		}
	})
	t.Run("link and boleto", func(t *testing.T) {
		res := Step(StateMenu, confirmed, msg(bot.IntentPayNow, "pix ou boleto ou cartão"), payEnv(payOct))
		if l, _ := find(t, res.Actions, "pay.link"); l.Args["link"] != "https://pay.example/INV-1" {
			t.Fatalf("link %v", l.Args)
		}
		last := res.Actions[len(res.Actions)-1].(Reply)
		if len(last.Parts) != 1 || last.Parts[0].Args["code"] != "23791.23405 90000.000001 01001.234507 4 16100000010000" {
			t.Fatalf("boleto line must be the last message, alone: %+v", last)
		}
	})
	t.Run("method question: numbered buttons, amount due today", func(t *testing.T) {
		res := Step(StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar"), withPix(payEnv(payOct)))
		ask, r := find(t, res.Actions, "pay.method.ask")
		if ask.Args["amount"] != Money(10296) || len(r.Buttons) != 3 || r.Buttons[2] != (Button{ID: "3", Key: "pay.button.link"}) {
			t.Fatalf("ask %v buttons %v", ask.Args, r.Buttons)
		}
		// Without a key the billing system's means go as they are: the
		// question quotes what they carry, and says whose the charges are.
		res = Step(StateMenu, confirmed, msg(bot.IntentPayNow, "quero pagar"), payEnv(payOct))
		if ask, _ := find(t, res.Actions, "pay.method.ask"); ask.Args["amount"] != Money(10000) {
			t.Fatalf("without a key: ask %v", ask.Args)
		}
		find(t, res.Actions, "pay.billed_ask_note")
		if p, _ := find(t, res.Actions, "pay.method.boleto"); p.Args["n"] != "2" {
			t.Fatalf("boleto option %v", p.Args)
		}
	})
	t.Run("invoice list: numbered, amount due today", func(t *testing.T) {
		res := Step(StateMenu, confirmed, msg(bot.IntentPayNow, "pagar"), withPix(payEnv(payOct, payNov)))
		if h, _ := find(t, res.Actions, "pay.choose.pay"); h.Args["count"] != 2 {
			t.Fatalf("header %v", h.Args)
		}
		line, _ := find(t, res.Actions, "pay.choose.line")
		if line.Args["n"] != "1" || line.Args["amount"] != Money(10296) || line.Args["due"] != Date("2026-10-25") {
			t.Fatalf("line %v", line.Args)
		}
	})
	t.Run("no means: handoff with reason", func(t *testing.T) {
		res := Step(StateMenu, confirmed, msg(bot.IntentPayNow, "pagar"), payEnv(payNov))
		if d := emitted(res.Actions, "conversation.handoff"); len(d) != 1 || d[0]["reason"] != "no_payment_means" || d[0]["invoice_id"] != "INV-2" {
			t.Fatalf("handoff %v", d)
		}
	})
	t.Run("resend: pdf, masked e-mail, events", func(t *testing.T) {
		res := Step(StateMenu, confirmed, msg(bot.IntentInvoiceNotReceived, "2 via"), payEnv(payOct))
		_, doc := find(t, res.Actions, "pay.copy.pdf")
		if *doc.Document != (Document{URL: "https://billing.example/INV-1.pdf", Filename: "fatura-INV-1.pdf"}) {
			t.Fatalf("document %+v", doc.Document)
		}
		offer, r := find(t, res.Actions, "pay.copy.email_offer")
		if offer.Args["email"] != "m***@example.com" || len(r.Buttons) != 2 {
			t.Fatalf("offer %v %v", offer.Args, r.Buttons)
		}
		if d := emitted(res.Actions, "invoice.resend_requested"); len(d) != 1 || d[0]["invoice_id"] != "INV-1" || d[0]["channel"] != "whatsapp" {
			t.Fatalf("events %v", d)
		}
		yes := Step(res.State, res.Memory, opt(bot.IntentAffirmative, "1"), payEnv(payOct))
		if d := emitted(yes.Actions, "invoice.resend_requested"); len(d) != 1 || d[0]["channel"] != "email" || d[0]["email"] != "maria@example.com" {
			t.Fatalf("e-mail events %v", d)
		}
		if p, _ := find(t, yes.Actions, "pay.copy.email_requested"); p.Args["email"] != "m***@example.com" {
			t.Fatalf("confirmation %v", p.Args)
		}
	})
	t.Run("extension pointer only when policy allows", func(t *testing.T) {
		e := noEmail(payEnv(payOct))
		e.Policy.Extension.Enabled = false
		res := Step(StateMenu, confirmed, msg(bot.IntentInvoiceNotReceived, "segunda via"), e)
		if slices.Contains(payKeys(res.Actions), "pay.copy.extension") {
			t.Fatal("extension offered against policy")
		}
	})
	t.Run("claim: event, pause and message arguments", func(t *testing.T) {
		res := Step(StateMenu, confirmed, withMedia(msg(bot.IntentAlreadyPaid, "paguei"), "image"), payEnv(payOct))
		d := emitted(res.Actions, "payment.claimed")
		if len(d) != 1 || d[0]["invoice_id"] != "INV-1" || d[0]["receipt_url"] != "/media/abc.image" || d[0]["amount_cents"] != int64(10296) || d[0]["reason"] != nil {
			t.Fatalf("claim %v", d)
		}
		p, _ := find(t, res.Actions, "pay.claim.review_one")
		if p.Args["days"] != 3 || p.Args["until"] != Date(payDeadline) || p.Args["description"] != "Internet outubro" {
			t.Fatalf("review args %v", p.Args)
		}
		for _, a := range res.Actions {
			if s, ok := a.(SetCollection); ok && s.Status == bot.CollectionActive {
				t.Fatal("a claim must never settle the invoice")
			}
		}
	})
	t.Run("claim without receipt carries the reason", func(t *testing.T) {
		res := Step(StateAwaitingReceipt, Memory{IdentityConfirmed: true, Pay: PayMemory{Claim: []string{"INV-1"}}},
			msg(bot.IntentFinancialHardship, "perdi o comprovante"), payEnv(payOct))
		d := emitted(res.Actions, "payment.claimed")
		if len(d) != 1 || d[0]["reason"] != "no_receipt" || d[0]["receipt_url"] != nil {
			t.Fatalf("claim %v", d)
		}
	})
	t.Run("under review shows the pause's end", func(t *testing.T) {
		res := Step(StateMenu, Memory{IdentityConfirmed: true}, msg(bot.IntentAlreadyPaid, "já paguei"), claimed(payEnv(payOct), "INV-1"))
		if p, _ := find(t, res.Actions, "pay.claim.under_review"); p.Args["until"] != Date("2026-11-25") {
			t.Fatalf("args %v", p.Args)
		}
	})
	t.Run("pt-BR text", func(t *testing.T) {
		c, _ := locales.Load()
		got, _ := c.Text("pt-BR", "pay.updated", map[string]string{"total": locales.Money("pt-BR", 10296)})
		if got != "Com multa e juros pelo atraso, o valor atualizado hoje é R$ 102,96." {
			t.Fatalf("got %q", got)
		}
	})
}
