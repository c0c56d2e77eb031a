package flows

import (
	"slices"
	"strconv"
	"strings"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/pix"
	"github.com/quitabot/quita/bot/policy"
)

// payAlreadyPaid answers "já paguei": thanks, and asks for the receipt; with
// the receipt (or an honest "não tenho comprovante") the claim is
// registered. The invoice is never marked paid on the debtor's word: its
// collection pauses until the billing system confirms or the deadline passes.
func payAlreadyPaid(_ string, mem Memory, in Input, env Env) Result {
	mem.Unknowns = 0
	mem.Pay = PayMemory{ReceiptURL: payReceiptURL(in)}
	if len(env.Invoices) == 0 {
		return payMenu(mem, reply(say("pay.claim.nothing_open", nameArgs(env))))
	}
	if inv, ok := payTarget(env.Invoices, mem, in, env); ok {
		return payClaim([]bot.Invoice{inv}, mem, in, env, false)
	}
	var open []bot.Invoice
	for _, inv := range env.Invoices {
		if !payIsClaimed(env, inv.ID) {
			open = append(open, inv)
		}
	}
	switch {
	case len(open) == 1:
		return payClaim(open, mem, in, env, false)
	case len(open) > 1:
		return payAskInvoice(payForClaim, open, mem, env)
	case mem.Pay.ReceiptURL != "": // every invoice is under review: which one is this receipt for?
		return payAskInvoice(payForClaim, env.Invoices, mem, env)
	}
	return payClaim(env.Invoices, mem, in, env, false)
}

// payAwaitingReceipt handles the messages after "send me the receipt".
func payAwaitingReceipt(_ string, mem Memory, in Input, env Env) Result {
	var invs []bot.Invoice
	for _, id := range mem.Pay.Claim {
		if inv, ok := payInvoice(env, id); ok {
			invs = append(invs, inv)
		}
	}
	switch {
	case len(invs) == 0: // confirmed or cancelled meanwhile
		return payLeave(mem, in, env)
	case in.Media != nil && payReceiptURL(in) == "":
		return Result{State: StateAwaitingReceipt, Memory: mem, Actions: []Action{reply(say("pay.claim.not_a_receipt", nil))}}
	case payReceiptURL(in) != "" || paySaysNoReceipt(in.Text, true) || in.Class.Intent == bot.IntentNegative:
		return payClaim(invs, mem, in, env, true)
	case in.Class.Intent == bot.IntentAlreadyPaid:
		return Result{State: StateAwaitingReceipt, Memory: mem, Actions: []Action{reply(say("pay.claim.ask_again", nil))}}
	}
	return payLeave(mem, in, env)
}

// payClaim registers the payment of invs with the receipt at hand, asks for
// one, or — when the debtor has none — registers it anyway and says the
// check may take longer. awaiting says a "no" means "no receipt".
func payClaim(invs []bot.Invoice, mem Memory, in Input, env Env, awaiting bool) Result {
	url := mem.Pay.ReceiptURL
	if u := payReceiptURL(in); u != "" {
		url = u
	}
	noReceipt := url == "" && (paySaysNoReceipt(in.Text, awaiting) || awaiting && in.Class.Intent == bot.IntentNegative)
	var fresh, review []bot.Invoice
	for _, inv := range invs {
		if payIsClaimed(env, inv.ID) {
			review = append(review, inv)
		} else {
			fresh = append(fresh, inv)
		}
	}
	mem.Pay = PayMemory{}
	if url == "" && !noReceipt && len(fresh) > 0 {
		mem.Pay.Claim = payIDs(fresh)
		mem.InvoiceID = fresh[0].ID
		ask := say("pay.claim.ask_receipt", payInvoiceArgs(fresh[0], env))
		if len(fresh) > 1 {
			ask = say("pay.claim.ask_receipt_many", Args{"count": len(fresh)})
		}
		ask.Args["first_name"] = nameArgs(env)["first_name"]
		return Result{State: StateAwaitingReceipt, Memory: mem, Actions: []Action{reply(ask, say("pay.claim.no_receipt_hint", nil))}}
	}
	var actions []Action
	var parts []Part
	for _, inv := range review {
		if url == "" {
			// A review whose window passed is with a person now: a date
			// already gone would tell the debtor nothing true.
			until := env.Collections[inv.ID].Until
			if until < env.Today {
				parts = append(parts, say("pay.claim.under_review_team", Args{"description": payDescribe(inv)}))
				continue
			}
			parts = append(parts, say("pay.claim.under_review", Args{"description": payDescribe(inv), "until": Date(until)}))
			continue
		}
		// A receipt for a claim already under review goes to the same
		// check; the pause keeps its deadline so new files never stretch it.
		actions = append(actions, payClaimEvent(inv, url, "", env))
		parts = append(parts, say("pay.claim.receipt_added", Args{"description": payDescribe(inv)}))
	}
	if len(fresh) > 0 {
		until := env.Policy.ReceiptDeadline(payToday(env)).String()
		reason := ""
		if noReceipt {
			reason = "no_receipt"
			parts = append(parts, say("pay.claim.thanks_no_receipt", nameArgs(env)))
		} else {
			parts = append(parts, say("pay.claim.thanks_receipt", nil))
		}
		for _, inv := range fresh {
			actions = append(actions, SetCollection{InvoiceID: inv.ID, Status: bot.CollectionClaimed, Until: until},
				payClaimEvent(inv, url, reason, env))
		}
		review := Args{"days": env.Policy.Receipts.ConfirmTimeoutBusinessDays, "until": Date(until)}
		if len(fresh) == 1 {
			review["description"] = payDescribe(fresh[0])
			parts = append(parts, say("pay.claim.review_one", review))
		} else {
			for _, inv := range fresh {
				parts = append(parts, say("pay.claim.line", payInvoiceArgs(inv, env)))
			}
			parts = append(parts, say("pay.claim.review_many", review))
		}
	}
	if len(actions) > 0 { // an agent confirms every claim
		actions = append(actions, SetStatus{Status: bot.StatusNeedsAgent})
		mem.InvoiceID = ""
	}
	return payMenu(mem, append([]Action{reply(parts...)}, actions...)...)
}

// payClaimEvent is payment.claimed for the billing system: the amount is what
// was due on the day of the claim, the receipt the stored media's URL.
func payClaimEvent(inv bot.Invoice, url, reason string, env Env) Emit {
	data := map[string]any{"invoice_id": inv.ID, "amount_cents": payDueToday(inv, env)}
	if url != "" {
		data["receipt_url"] = url
	}
	if reason != "" {
		data["reason"] = reason
	}
	return Emit{Type: "payment.claimed", Data: data}
}

// payReceiptURL is the stored media of a message when it can be a receipt: a
// photo or a document (screenshots and bank PDFs), not audio or stickers.
func payReceiptURL(in Input) string {
	if m := in.Media; m != nil && (m.Type == "image" || m.Type == "document") {
		return m.URL
	}
	return ""
}

// paySaysNoReceipt spots "não tenho (o) comprovante" and its kin. While the
// receipt is awaited a short "não tenho"/"perdi" means the same. A bare
// "no" is Portuguese for "in the", so it counts only before a verb or noun.
func paySaysNoReceipt(text string, awaiting bool) bool {
	ws := payWords(text)
	neg := payHasWord(ws, "nao", "n", "sem", "nenhum", "sin", "without", "dont", "cant", "nunca")
	for i := 0; i+1 < len(ws); i++ {
		neg = neg || ws[i] == "no" && payHasWord(ws[i+1:i+2], "tengo", "have", "encuentro", "receipt", "comprobante", "tenho")
	}
	switch {
	case payHasWord(ws, "comprovante", "comprovantes", "recibo", "comprobante", "receipt", "proof"):
		return neg || payHasWord(ws, "perdi", "lost")
	case !awaiting || len(ws) > 5:
		return false
	}
	return payHasWord(ws, "perdi", "lost", "perdido") ||
		neg && payHasWord(ws, "tenho", "tem", "achei", "acho", "encontrei", "encontro", "consigo", "guardei", "have", "tengo", "encuentro", "find")
}

// payToday is env.Today as a calendar date.
func payToday(env Env) policy.Date {
	if d, err := policy.ParseDate(env.Today); err == nil {
		return d
	}
	return policy.DateOf(env.Now)
}

// payTarget picks the invoice a request is about among cands: the only one,
// the one whose amount or description the debtor named, else the one
// under discussion.
func payTarget(cands []bot.Invoice, mem Memory, in Input, env Env) (bot.Invoice, bool) {
	if len(cands) == 1 {
		return cands[0], true
	}
	ws := payWords(in.Text)
	var byAmount, byWord []bot.Invoice
	for _, inv := range cands {
		if a := in.Class.Entities.AmountCents; a > 0 && (a == inv.AmountCents || a == payDueToday(inv, env)) {
			byAmount = append(byAmount, inv)
		}
		for _, w := range payWords(inv.Description) {
			if len(w) >= 4 && payHasWord(ws, w) {
				byWord = append(byWord, inv)
				break
			}
		}
	}
	for _, hits := range [][]bot.Invoice{byAmount, byWord} {
		if len(hits) == 1 {
			return hits[0], true
		}
	}
	return payInvoice(env, mem.InvoiceID, cands...)
}

// payInvoice finds an open invoice by id, among within when given.
func payInvoice(env Env, id string, within ...bot.Invoice) (bot.Invoice, bool) {
	if within == nil {
		within = env.Invoices
	}
	for _, inv := range within {
		if id != "" && inv.ID == id {
			return inv, true
		}
	}
	return bot.Invoice{}, false
}

// payable are the invoices one would pay now: not those a plan replaced
// (paid by installment, payInstallment), nor those already claimed as
// paid, unless every one is (the debtor may have seen a payment fail).
func payable(env Env) []bot.Invoice {
	open := payUnplanned(env.Invoices, env)
	var out []bot.Invoice
	for _, inv := range open {
		if !payIsClaimed(env, inv.ID) {
			out = append(out, inv)
		}
	}
	if out == nil {
		return open
	}
	return out
}

func payIsClaimed(env Env, id string) bool {
	c, ok := env.Collections[id]
	return ok && c.Status == bot.CollectionClaimed
}

// payMethods lists the means an invoice can be paid with, in menu order.
func payMethods(inv bot.Invoice, env Env) []string {
	var out []string
	for _, m := range []struct{ method, value string }{
		{payPix, payPixCode(inv, env).code}, {payBoleto, inv.Payment.BoletoLine}, {payLink, inv.Payment.Link}} {
		if m.value != "" {
			out = append(out, m.method)
		}
	}
	return out
}

// payCode is a payment code with the amount it carries, as quoted to the debtor.
type payCode struct {
	code  string
	cents int64
	// billed marks a code of the billing system, for the invoice's billed
	// amount: late charges, if any, are not Quita's to add to it.
	billed bool
}

// payPixCode is the Pix code to send for an invoice, following one rule:
// the amount quoted next to a code is the amount the code carries. With a
// policy Pix key, Quita always builds the code for the exact amount due
// today (the updated amount when overdue), even when the billing system
// sent one of its own, whose amount may be the billed one; the invoice id
// is its reference so the payment can be matched. Without a key, the
// billing system's code goes as it is, quoted at the amount its field 54
// carries (the invoice amount when it carries none), and late charges are
// left to the billing system.
func payPixCode(inv bot.Invoice, env Env) payCode {
	if code := dealPix(env, payDueToday(inv, env), inv.ID); code != "" {
		return payCode{code: code, cents: payDueToday(inv, env)}
	}
	if inv.Payment.PixCopyPaste == "" {
		return payCode{}
	}
	c := payCode{code: inv.Payment.PixCopyPaste, cents: inv.AmountCents, billed: true}
	if cents, ok, err := pix.Amount(c.code); err == nil && ok {
		c.cents = cents
	}
	return c
}

// payBoletoCode is the invoice's boleto line with the amount it carries: a
// boleto is issued for the billed amount (the bank may add late charges
// when it is paid), so that is what is quoted beside it.
func payBoletoCode(inv bot.Invoice) payCode {
	if inv.Payment.BoletoLine == "" {
		return payCode{}
	}
	return payCode{code: inv.Payment.BoletoLine, cents: inv.AmountCents, billed: true}
}

// payMethodIn reads a means of payment named in free text ("pix", "boleto",
// "cartão", "link"); two different ones, or "todas", mean all of them.
func payMethodIn(text string) string {
	found := ""
	for _, w := range payWords(text) {
		m := ""
		switch w {
		case "pix", "qr", "qrcode", "copia":
			m = payPix
		case "boleto", "boletos", "boletu", "barras", "digitavel", "barcode":
			m = payBoleto
		case "cartao", "cartoes", "credito", "card", "credit", "tarjeta", "link", "enlace":
			m = payLink
		}
		if m != "" && found != "" && m != found {
			return payAll
		}
		if m != "" {
			found = m
		}
	}
	if found == "" && payWantsAll(text) {
		return payAll
	}
	return found
}

// payWantsAll spots "todas", "as duas", "both", "all".
func payWantsAll(text string) bool {
	return payHasWord(payWords(text), "todas", "todos", "tudo", "ambas", "ambos", "duas", "all", "both", "everything")
}

// payWantsAllOf reports whether text asks for all n invoices: "todas"
// always, "as duas" / "both" only when there are two — with three open,
// "as duas" is not all of them, and a code for all would charge too much.
func payWantsAllOf(text string, n int) bool {
	ws := payWords(text)
	if payHasWord(ws, "todas", "todos", "tudo", "all", "everything") {
		return true
	}
	return n == 2 && payHasWord(ws, "ambas", "ambos", "duas", "both")
}

// payOptions reads several menu numbers in one message ("1 e 2", "1,3"):
// the zero-based options among n, or nil unless every number is one.
func payOptions(in Input, n int) []int {
	var out []int
	for _, w := range payWords(in.Text) {
		k, err := strconv.Atoi(w)
		switch {
		case err == nil && k >= 1 && k <= n && !slices.Contains(out, k-1):
			out = append(out, k-1)
		case err == nil:
			return nil
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// payOption is the zero-based menu option the input selects among n, or -1.
func payOption(in Input, n int) int {
	i := -1
	for _, c := range in.option() {
		if c < '0' || c > '9' {
			return -1
		}
		i = max(i, 0)*10 + int(c-'0')
	}
	if i < 1 || i > n {
		return -1
	}
	return i - 1
}

// payQuote is the amount to quote for paying inv before a means is chosen:
// what is due today when Quita builds the codes (a Pix key), else the
// billed amount the billing system's means carry — never an updated amount
// the code that follows would contradict.
func payQuote(inv bot.Invoice, env Env) (cents int64, billed bool) {
	if env.Policy.Pix.Key != "" {
		return payDueToday(inv, env), false
	}
	if c := payPixCode(inv, env); c.code != "" {
		return c.cents, true
	}
	return inv.AmountCents, true
}

// payDueToday is what the invoice costs today: with late charges when overdue.
func payDueToday(inv bot.Invoice, env Env) int64 {
	if ch, ok := env.Charges[inv.ID]; ok && inv.DueDate < env.Today {
		return ch.TotalCents
	}
	return inv.AmountCents
}

func payInvoiceArgs(inv bot.Invoice, env Env) Args {
	return Args{"description": payDescribe(inv), "amount": Money(inv.AmountCents), "due": Date(inv.DueDate)}
}

func payDescribe(inv bot.Invoice) string {
	if inv.Description != "" {
		return inv.Description
	}
	return inv.ID
}

func payIDs(invs []bot.Invoice) []string {
	out := make([]string, len(invs))
	for i, inv := range invs {
		out[i] = inv.ID
	}
	return out
}

var payUnaccent = strings.NewReplacer("á", "a", "à", "a", "â", "a", "ã", "a", "é", "e", "ê", "e", "í", "i",
	"ó", "o", "ô", "o", "õ", "o", "ú", "u", "ü", "u", "ç", "c", "ñ", "n")

// payWords splits text into lower-case, unaccented words ("Cartão!" → "cartao").
func payWords(text string) []string {
	return strings.FieldsFunc(payUnaccent.Replace(strings.ToLower(text)), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
}

func payHasWord(ws []string, any ...string) bool {
	for _, w := range ws {
		for _, a := range any {
			if w == a {
				return true
			}
		}
	}
	return false
}
