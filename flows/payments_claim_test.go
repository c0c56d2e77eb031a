package flows

import (
	"strings"
	"testing"

	"github.com/quitabot/quita/bot"
)

func TestPaymentClaims(t *testing.T) {
	confirmed := Memory{IdentityConfirmed: true}
	about := func(id string) Memory { return Memory{IdentityConfirmed: true, InvoiceID: id} }
	pay := func(p PayMemory, id string) Memory { return Memory{IdentityConfirmed: true, InvoiceID: id, Pay: p} }
	one, two := payEnv(payOct), payEnv(payOct, payNov)
	allClaimed := claimed(two, "INV-1")
	allClaimed.Collections["INV-2"] = bot.Collection{InvoiceID: "INV-2", Status: bot.CollectionClaimed, Until: "2026-11-25"}
	runPayCases(t, []payCase{
		// already_paid
		{"já paguei: receipt asked", StateMenu, confirmed, msg(bot.IntentAlreadyPaid, "já paguei"), one,
			StateAwaitingReceipt, []string{"pay.claim.ask_receipt", "pay.claim.no_receipt_hint"}, pay(PayMemory{Claim: []string{"INV-1"}}, "INV-1")},
		{"já paguei with the receipt", StateMenu, confirmed, withMedia(msg(bot.IntentAlreadyPaid, "segue o comprovante"), "image"), one,
			StateMenu, payClaimed, confirmed},
		{"já paguei, no receipt", StateMenu, confirmed, msg(bot.IntentAlreadyPaid, "já paguei mas não tenho comprovante"), one,
			StateMenu, []string{"pay.claim.thanks_no_receipt", "pay.claim.review_one", "collection:INV-1:claimed:" + payDeadline, "emit:payment.claimed", "status:needs_agent"}, confirmed},
		{"já paguei, several open", StateMenu, confirmed, msg(bot.IntentAlreadyPaid, "já paguei"), two,
			StatePayChooseInvoice, []string{"pay.choose.claim", "pay.choose.line", "pay.choose.line", "pay.choose.footer"},
			pay(PayMemory{Next: payForClaim, Choices: []string{"INV-1", "INV-2"}}, "")},
		{"já paguei, the other one is under review", StateMenu, confirmed, msg(bot.IntentAlreadyPaid, "já paguei"), claimed(two, "INV-1"),
			StateAwaitingReceipt, []string{"pay.claim.ask_receipt", "pay.claim.no_receipt_hint"}, pay(PayMemory{Claim: []string{"INV-2"}}, "INV-2")},
		{"já paguei, already under review", StateMenu, confirmed, msg(bot.IntentAlreadyPaid, "já paguei"), claimed(one, "INV-1"),
			StateMenu, []string{"pay.claim.under_review"}, confirmed},
		{"a receipt for a claim under review joins it", StateMenu, confirmed, withMedia(msg(bot.IntentAlreadyPaid, "comprovante"), "image"), claimed(one, "INV-1"),
			StateMenu, []string{"pay.claim.receipt_added", "emit:payment.claimed", "status:needs_agent"}, confirmed},
		{"a review past its window is with a person: no stale date", StateMenu, confirmed, msg(bot.IntentAlreadyPaid, "já paguei, parem de me cobrar"),
			func() Env {
				e := claimed(one, "INV-1")
				c := e.Collections["INV-1"]
				c.Until = "2026-09-01"
				e.Collections["INV-1"] = c
				return e
			}(),
			StateMenu, []string{"pay.claim.under_review_team"}, confirmed},
		{"everything under review", StateMenu, confirmed, msg(bot.IntentAlreadyPaid, "já paguei"), allClaimed,
			StateMenu, []string{"pay.claim.under_review", "pay.claim.under_review"}, confirmed},
		{"já paguei with nothing open", StateMenu, confirmed, msg(bot.IntentAlreadyPaid, "já paguei"), payEnv(),
			StateMenu, []string{"pay.claim.nothing_open"}, confirmed},
		{"paguei todas", StatePayChooseInvoice, pay(PayMemory{Next: payForClaim, Choices: []string{"INV-1", "INV-2"}}, ""), msg(bot.IntentAlreadyPaid, "paguei as duas"), two,
			StateAwaitingReceipt, []string{"pay.claim.ask_receipt_many", "pay.claim.no_receipt_hint"}, pay(PayMemory{Claim: []string{"INV-1", "INV-2"}}, "INV-1")},

		// awaiting the receipt
		{"receipt arrives", StateAwaitingReceipt, pay(PayMemory{Claim: []string{"INV-1"}}, "INV-1"), media("document"), one,
			StateMenu, payClaimed, confirmed},
		{"receipts of two invoices", StateAwaitingReceipt, pay(PayMemory{Claim: []string{"INV-1", "INV-2"}}, "INV-1"), media("image"), two,
			StateMenu, []string{"pay.claim.thanks_receipt", "pay.claim.line", "pay.claim.line", "pay.claim.review_many",
				"collection:INV-1:claimed:" + payDeadline, "emit:payment.claimed", "collection:INV-2:claimed:" + payDeadline, "emit:payment.claimed", "status:needs_agent"}, confirmed},
		{"audio is not a receipt", StateAwaitingReceipt, pay(PayMemory{Claim: []string{"INV-1"}}, "INV-1"), media("audio"), one,
			StateAwaitingReceipt, []string{"pay.claim.not_a_receipt"}, pay(PayMemory{Claim: []string{"INV-1"}}, "INV-1")},
		{"não tenho: registered anyway", StateAwaitingReceipt, pay(PayMemory{Claim: []string{"INV-1"}}, "INV-1"), msg(bot.IntentFinancialHardship, "nao tenho"), one,
			StateMenu, []string{"pay.claim.thanks_no_receipt", "pay.claim.review_one", "collection:INV-1:claimed:" + payDeadline, "emit:payment.claimed", "status:needs_agent"}, confirmed},
		{"a plain no: registered anyway", StateAwaitingReceipt, pay(PayMemory{Claim: []string{"INV-1"}}, "INV-1"), msg(bot.IntentNegative, "não"), one,
			StateMenu, []string{"pay.claim.thanks_no_receipt", "pay.claim.review_one", "collection:INV-1:claimed:" + payDeadline, "emit:payment.claimed", "status:needs_agent"}, confirmed},
		{"looking for it: still waiting", StateAwaitingReceipt, pay(PayMemory{Claim: []string{"INV-1"}}, "INV-1"), msg(bot.IntentAlreadyPaid, "vou procurar o comprovante"), one,
			StateAwaitingReceipt, []string{"pay.claim.ask_again"}, pay(PayMemory{Claim: []string{"INV-1"}}, "INV-1")},
		{"another subject while waiting", StateAwaitingReceipt, pay(PayMemory{Claim: []string{"INV-1"}}, "INV-1"), msg(bot.IntentBalanceInquiry, "quanto devo"), one,
			StateMenu, []string{"balance.header_one", "balance.line_overdue"}, about("INV-1")},
		{"confirmed meanwhile", StateAwaitingReceipt, pay(PayMemory{Claim: []string{"INV-1"}}, "INV-1"), media("image"), payEnv(payNov),
			StateMenu, []string{"pay.claim.thanks_receipt", "pay.claim.review_one", "collection:INV-2:claimed:" + payDeadline, "emit:payment.claimed", "status:needs_agent"}, confirmed},

		// a receipt out of the blue
		{"photo without words: a receipt", StateMenu, confirmed, media("image"), one,
			StateMenu, payClaimed, confirmed},
		{"photo with several open: which one", StateMenu, confirmed, media("image"), two,
			StatePayChooseInvoice, []string{"pay.choose.claim_receipt", "pay.choose.line", "pay.choose.line", "pay.choose.footer"},
			pay(PayMemory{Next: payForClaim, Choices: []string{"INV-1", "INV-2"}, ReceiptURL: "/media/abc.image"}, "")},
		{"photo with nothing open is not a claim", StateMenu, confirmed, media("image"), payEnv(),
			StateMenuFull, []string{"unknown.reply", "care.menu.full"}, Memory{IdentityConfirmed: true, Unknowns: 1}},
		{"audio is not a claim", StateMenu, confirmed, media("audio"), one,
			StateMenu, []string{"care.media.audio"}, Memory{IdentityConfirmed: true, Unknowns: 1}},
		{"identity first, even for receipts", StateStart, Memory{}, media("image"), one,
			StateConfirmIdentity, []string{"intro.unknown", "identity.ask"}, func() Memory {
				in := media("image")
				return Memory{PendingIntent: in.Class.Intent, PendingMedia: in.Media}
			}()},
	})
}

func TestReceiptBeforeIdentityIsClaimedAfterConfirmation(t *testing.T) {
	one := payEnv(payOct)
	first := Step(StateStart, Memory{}, media("image"), one)
	res := Step(first.State, first.Memory, Input{Text: "sim", Class: bot.Classification{Intent: bot.IntentAffirmative}}, one)
	found := false
	for _, a := range res.Actions {
		if e, ok := a.(Emit); ok && e.Type == "payment.claimed" {
			found = true
		}
	}
	if !found || res.Memory.PendingMedia != nil {
		t.Fatalf("the receipt sent before the identity check was not claimed: %v %+v", keys(res.Actions), res.Memory)
	}
}

func TestPaymentWords(t *testing.T) {
	for text, want := range map[string]string{
		"manda o PIX": payPix, "Cartão de crédito": payLink, "me passa o link": payLink, "código de barras": payBoleto,
		"boletu": payBoleto, "pix ou boleto": payAll, "tanto faz, manda todas": payAll, "quero pagar": "", "tarjeta": payLink,
	} {
		if got := payMethodIn(text); got != want {
			t.Errorf("payMethodIn(%q) = %q, want %q", text, got, want)
		}
	}
	for text, want := range map[string]bool{
		"não tenho comprovante": true, "ñ tenho o comprovante": true, "perdi o comprovante": true, "no tengo comprobante": true,
		"I have no receipt": true, "mandei o comprovante no email": false, "segue o comprovante": false, "não tenho dinheiro agora mesmo não": false,
	} {
		if got := paySaysNoReceipt(text, false); got != want {
			t.Errorf("paySaysNoReceipt(%q) = %v, want %v", text, got, want)
		}
	}
	if !paySaysNoReceipt("nao achei", true) || paySaysNoReceipt("nao achei", false) {
		t.Error("a short 'não achei' means no receipt only while one is awaited")
	}
	for in, want := range map[string]string{"maria@example.com": "m***@example.com", "x@y.z": "x***@y.z", "semarroba": "", "": ""} {
		if got := payMaskEmail(in); got != want {
			t.Errorf("payMaskEmail(%q) = %q", in, got)
		}
	}
	if got := payPDFName("INV 12/3ç"); got != "fatura-INV-12-3-.pdf" || strings.ContainsAny(got, " /") {
		t.Errorf("payPDFName = %q", got)
	}
}
