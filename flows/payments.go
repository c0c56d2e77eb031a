package flows

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/quitabot/quita/bot"
)

// States owned by the payments topic: a question the debtor has not answered yet.
const (
	StatePayChooseInvoice = "pay_choose_invoice"  // which open invoice a payment request is about
	StatePayChooseMethod  = "pay_choose_method"   // Pix, boleto or card/link
	StateAwaitingReceipt  = "awaiting_receipt"    // "já paguei": waiting for the receipt
	StateOfferEmail       = "invoice_offer_email" // invoice resent here; send it by e-mail too?
)

// Payment means, in the order they are offered (Pix settles at once).
const (
	payPix    = "pix"
	payBoleto = "boleto"
	payLink   = "link"
	payAll    = "all"
)

// What a pending "which invoice?" question is for.
const (
	payForPay   = "pay"
	payForCopy  = "copy"
	payForClaim = "claim"
)

// PayMemory is what the payment topic remembers between messages.
type PayMemory struct {
	Next       string   `json:"next,omitempty"`        // what the invoice question is for
	Choices    []string `json:"choices,omitempty"`     // invoice ids in the order listed
	Method     string   `json:"method,omitempty"`      // means the debtor asked for
	Methods    []string `json:"methods,omitempty"`     // means offered, in the order numbered
	ReceiptURL string   `json:"receipt_url,omitempty"` // a receipt sent before its invoice was known
	Claim      []string `json:"claim,omitempty"`       // invoices whose receipt is awaited
	Resent     []string `json:"resent,omitempty"`      // invoices just resent, for the e-mail offer
}

func init() {
	byIntent[bot.IntentPayNow] = payNow
	byIntent[bot.IntentInvoiceNotReceived] = payInvoiceNotReceived
	byIntent[bot.IntentAlreadyPaid] = payAlreadyPaid
	byState[StatePayChooseInvoice] = payChooseInvoice
	byState[StatePayChooseMethod] = payChooseMethod
	byState[StateAwaitingReceipt] = payAwaitingReceipt
	byState[StateOfferEmail] = payOfferEmail
	// A photo or PDF sent without words is classified unknown; while
	// invoices are open it is almost always a receipt.
	onAttachment = func(state string, mem Memory, in Input, env Env) (Result, bool) {
		if payReceiptURL(in) == "" || len(env.Invoices) == 0 {
			return Result{}, false
		}
		return payAlreadyPaid(state, mem, in, env), true
	}
}

// payNow gives the means to pay the invoice under discussion, asking which
// invoice when several are open. Several open and none named: the debtor
// picks one by number (or "todas" for all) — one code per message is
// easier to copy than a pile of codes for invoices they may not mean.
func payNow(_ string, mem Memory, in Input, env Env) Result {
	mem.Unknowns = 0
	mem.Pay = PayMemory{}
	if res, ok := payInstallment(payable(env), mem, in, env); ok {
		return res
	}
	cands := payable(env)
	if len(cands) == 0 {
		return payMenu(mem, reply(say("balance.none", nil)))
	}
	mem.Pay.Method = payMethodIn(in.Text)
	if len(cands) > 1 && payWantsAllOf(in.Text, len(cands)) {
		// "quero pagar as duas": every invoice (one Pix for the sum with a
		// key); the word picks invoices here, not means.
		if mem.Pay.Method == payAll {
			mem.Pay.Method = ""
		}
		return payWith(cands, mem, env)
	}
	if inv, ok := payTarget(cands, mem, in, env); ok {
		return payWith([]bot.Invoice{inv}, mem, env)
	}
	return payAskInvoice(payForPay, cands, mem, env)
}

// payWith sends the means of invs, restricted to mem.Pay.Method when one was asked for.
func payWith(invs []bot.Invoice, mem Memory, env Env) Result {
	method := mem.Pay.Method
	mem.Pay = PayMemory{}
	if len(invs) == 1 {
		inv := invs[0]
		mem.InvoiceID = inv.ID
		have := payMethods(inv, env)
		switch {
		case len(have) == 0:
			return payNoMeans(mem, inv, "pay.none", "no_payment_means", nil)
		case method == "" && len(have) > 1:
			return payAskMethod(inv, have, nil, mem, env)
		case method == "" || method == payAll || slices.Contains(have, method):
			return payMenu(mem, paySendMeans(inv, method, env, say("pay.header", payInvoiceArgs(inv, env)))...)
		case len(have) > 1:
			return payAskMethod(inv, have, []Part{say("pay.method.missing_"+method, nil)}, mem, env)
		}
		// The asked means is missing and only one other exists: offer it at once.
		return payMenu(mem, paySendMeans(inv, "", env, say("pay.method.missing_"+method, nil), say("pay.header", payInvoiceArgs(inv, env)))...)
	}
	if method == "" || method == payAll || method == payPix {
		if res, ok := payAllPix(invs, mem, env); ok {
			return res
		}
	}
	var actions []Action
	for _, inv := range invs {
		if len(payMethods(inv, env)) == 0 {
			actions = append(actions, payNoMeans(mem, inv, "pay.none", "no_payment_means", nil).Actions...)
			continue
		}
		m := method
		if m != payAll && !slices.Contains(payMethods(inv, env), m) {
			m = "" // this one lacks the means asked: its others, not a bare header
		}
		actions = append(actions, paySendMeans(inv, m, env, say("pay.header", payInvoiceArgs(inv, env)))...)
	}
	return payMenu(mem, actions...)
}

// paySendMeans writes the chosen means (all when method is empty or "all")
// after lead: link and instructions first, then every code alone in its own
// message so a long press copies exactly the code. Each code's intro
// quotes the amount that code carries (payPixCode); the updated amount of
// an overdue invoice is quoted only beside a code built for it, or when
// no code is sent at all.
func paySendMeans(inv bot.Invoice, method string, env Env, lead ...Part) []Action {
	want := func(m string) bool { return method == "" || method == payAll || method == m }
	var codes []struct {
		method string
		payCode
	}
	for _, m := range []string{payPix, payBoleto} {
		c := payBoletoCode(inv)
		if m == payPix {
			c = payPixCode(inv, env)
		}
		if want(m) && c.code != "" {
			codes = append(codes, struct {
				method string
				payCode
			}{m, c})
		}
	}
	first := append([]Part{}, lead...)
	total, late := payLate(inv, env)
	allBilled := len(codes) > 0
	for _, c := range codes {
		allBilled = allBilled && c.billed
	}
	switch {
	case late && allBilled:
		// No code carries the updated amount: say whose the rest is.
		first = append(first, say("pay.billed_note", nil))
	case late:
		first = append(first, say("pay.updated", Args{"total": Money(total)}))
	}
	if want(payLink) && inv.Payment.Link != "" {
		first = append(first, say("pay.link", Args{"link": inv.Payment.Link}))
	}
	var rest []Action
	qr := ""
	for _, c := range codes {
		key := "pay." + c.method + "_intro"
		if late && c.billed && !allBilled {
			// Beside a Pix at the updated amount, the boleto's billed one.
			key += "_billed"
		}
		intro := Reply{Parts: []Part{say(key, Args{"amount": Money(c.cents)})}}
		if c.method == payPix {
			// The QR goes with the instructions; the code alone follows,
			// so a long press still copies exactly the code.
			intro.PixQR = c.code
		}
		if rest == nil {
			first, qr = append(first, intro.Parts...), intro.PixQR
		} else {
			rest = append(rest, intro)
		}
		rest = append(rest, reply(say("pay.code", Args{"code": c.code})))
	}
	return append([]Action{Reply{Parts: first, PixQR: qr}}, rest...)
}

// payLate reports whether inv is overdue with late charges, and its total today.
func payLate(inv bot.Invoice, env Env) (int64, bool) {
	ch, ok := env.Charges[inv.ID]
	return ch.TotalCents, ok && inv.DueDate < env.Today && ch.TotalCents != inv.AmountCents
}

// payAllPix answers "todas" with a Pix key: one code for the sum of what
// each invoice costs today, listing each, so the debtor pays once. Its
// reference is payAllTxID of the invoices, which billing can recompute.
func payAllPix(invs []bot.Invoice, mem Memory, env Env) (Result, bool) {
	var total int64
	late, other := false, false
	lines := make([]Part, len(invs))
	for i, inv := range invs {
		due := payDueToday(inv, env)
		total += due
		_, l := payLate(inv, env)
		late = late || l
		other = other || inv.Payment.BoletoLine != "" || inv.Payment.Link != ""
		lines[i] = say("pay.all.line", Args{"description": payDescribe(inv), "due": Date(inv.DueDate), "amount": Money(due)})
	}
	code := dealPix(env, total, payAllTxID(invs))
	if code == "" {
		return Result{}, false
	}
	parts := append([]Part{say("pay.all.header", Args{"count": len(invs), "total": Money(total)})}, lines...)
	if late {
		parts = append(parts, say("pay.all.updated", nil))
	}
	parts = append(parts, say("pay.pix_intro", Args{"amount": Money(total)}))
	actions := []Action{Reply{Parts: parts, PixQR: code}, reply(say("pay.code", Args{"code": code}))}
	if other {
		actions = append(actions, reply(say("pay.all.other_means", nil)))
	}
	return payMenu(mem, actions...), true
}

// payAllTxID is the reference of a Pix paying several invoices: their ids'
// letters and digits run together when that fits the 25 characters a
// txid allows ("INV1INV2"), else "Q" and the first 24 hex digits of the
// SHA-256 of the ids joined by commas, in the order listed — README's
// payment section tells billing how to match either.
func payAllTxID(invs []bot.Invoice) string {
	joined := ""
	for _, inv := range invs {
		joined += txid(inv.ID)
	}
	if len(joined) <= 25 {
		return joined
	}
	sum := sha256.Sum256([]byte(strings.Join(payIDs(invs), ",")))
	return "Q" + strings.ToUpper(hex.EncodeToString(sum[:12]))
}

// payAskMethod asks how the debtor prefers to pay, numbering only the means
// this invoice has.
func payAskMethod(inv bot.Invoice, have []string, lead []Part, mem Memory, env Env) Result {
	mem.Pay = PayMemory{Methods: have}
	mem.InvoiceID = inv.ID
	args := payInvoiceArgs(inv, env)
	cents, billed := payQuote(inv, env)
	args["amount"] = Money(cents)
	parts := append(lead, say("pay.method.ask", args))
	if _, late := payLate(inv, env); late && billed {
		parts = append(parts, say("pay.billed_ask_note", nil))
	}
	r := Reply{}
	for i, m := range have {
		n := strconv.Itoa(i + 1)
		parts = append(parts, say("pay.method."+m, Args{"n": n}))
		r.Buttons = append(r.Buttons, Button{ID: n, Key: "pay.button." + m})
	}
	r.Parts = parts
	return Result{State: StatePayChooseMethod, Memory: mem, Actions: []Action{r}}
}

// payChooseMethod handles the answer to "Pix, boleto or card?".
func payChooseMethod(_ string, mem Memory, in Input, env Env) Result {
	inv, ok := payInvoice(env, mem.InvoiceID)
	if !ok { // paid or cancelled meanwhile
		return payLeave(mem, in, env)
	}
	method := payMethodIn(in.Text)
	if i := payOption(in, len(mem.Pay.Methods)); i >= 0 {
		method = mem.Pay.Methods[i]
	} else if method == "" && in.Class.Intent == bot.IntentAffirmative {
		method = payAll
	}
	switch {
	case method != "":
		mem.Pay = PayMemory{Method: method}
		mem.Unknowns = 0
		return payWith([]bot.Invoice{inv}, mem, env)
	case in.Class.Intent == bot.IntentNegative:
		mem.Pay = PayMemory{}
		return payMenu(mem, reply(say("pay.method.later", nil)))
	case in.Class.Intent == bot.IntentUnknown && payReceiptURL(in) == "" && mem.Unknowns == 0:
		mem.Unknowns++
		return payAskMethod(inv, mem.Pay.Methods, []Part{say("pay.method.retry", nil)}, mem, env)
	}
	return payLeave(mem, in, env)
}

// payNoMeans answers when there is nothing to send: never a dead end — a
// person at the creditor is asked to send it.
func payNoMeans(mem Memory, inv bot.Invoice, key, reason string, extra []Action) Result {
	actions := append(extra, reply(say(key, Args{"description": payDescribe(inv)})),
		SetStatus{Status: bot.StatusNeedsAgent},
		Emit{Type: "conversation.handoff", Data: map[string]any{"invoice_id": inv.ID, "reason": reason}})
	return payMenu(mem, actions...)
}

// payInvoiceNotReceived resends the invoice (segunda via): the PDF when the
// billing system has one, else the payment means; then confirms where it
// went and, for an overdue invoice, points to a new due date.
func payInvoiceNotReceived(_ string, mem Memory, in Input, env Env) Result {
	mem.Unknowns = 0
	mem.Pay = PayMemory{}
	open := payUnplanned(env.Invoices, env)
	if res, ok := payInstallment(open, mem, in, env); ok {
		return res
	}
	if len(open) == 0 {
		return payMenu(mem, reply(say("balance.none", nil)))
	}
	if inv, ok := payTarget(open, mem, in, env); ok {
		return payResend([]bot.Invoice{inv}, mem, env)
	}
	return payAskInvoice(payForCopy, open, mem, env)
}

func payResend(invs []bot.Invoice, mem Memory, env Env) Result {
	mem.Pay = PayMemory{}
	if len(invs) == 1 {
		mem.InvoiceID = invs[0].ID
	}
	var actions []Action
	var sent []string
	overdue := false
	for _, inv := range invs {
		actions = append(actions, Emit{Type: "invoice.resend_requested", Data: map[string]any{"invoice_id": inv.ID, "channel": "whatsapp"}})
		overdue = overdue || inv.DueDate < env.Today
		args := payInvoiceArgs(inv, env)
		switch {
		case inv.PDFURL != "":
			parts := []Part{say("pay.copy.pdf", args)}
			// The PDF's boleto is for the billed amount: an updated one is
			// quoted only as what a Pix built for it would carry.
			total, late := payLate(inv, env)
			if late && env.Policy.Pix.Key != "" {
				parts = append(parts, say("pay.copy.pdf_late_pix", Args{"amount": Money(inv.AmountCents), "total": Money(total)}))
			} else if late {
				parts = append(parts, say("pay.copy.pdf_late", Args{"amount": Money(inv.AmountCents)}))
			}
			if len(payMethods(inv, env)) > 0 && !(late && env.Policy.Pix.Key != "") {
				parts = append(parts, say("pay.copy.means_hint", nil))
			}
			actions = append(actions, Reply{Parts: parts, Document: &Document{URL: inv.PDFURL, Filename: payPDFName(inv.ID)}})
		case len(payMethods(inv, env)) > 0:
			actions = append(actions, paySendMeans(inv, "", env, say("pay.copy.means", args))...)
		default:
			actions = payNoMeans(mem, inv, "pay.copy.none", "no_invoice_copy", actions).Actions
			continue
		}
		sent = append(sent, inv.ID)
	}
	if len(sent) == 0 { // nothing to send: a person was asked to
		return payMenu(mem, actions...)
	}
	last := []Part{say("pay.copy.sent_here", nil)}
	if overdue && env.Policy.Extension.Enabled {
		last = append(last, say("pay.copy.extension", nil)) // request_extension's business, not ours
	}
	if email := payMaskEmail(env.Customer.Email); email != "" {
		mem.Pay.Resent = sent
		actions = append(actions, Reply{Parts: append(last, say("pay.copy.email_offer", Args{"email": email})), Buttons: yesNo()})
		return Result{State: StateOfferEmail, Memory: mem, Actions: actions}
	}
	return payMenu(mem, append(actions, reply(append(last, say("pay.copy.whatsapp_only", nil))...))...)
}

// payOfferEmail handles the answer to "send it by e-mail too?". The billing
// system owns e-mail delivery, so a yes becomes a resend request to it.
func payOfferEmail(_ string, mem Memory, in Input, env Env) Result {
	resent := mem.Pay.Resent
	yes := in.Class.Intent == bot.IntentAffirmative || in.option() == "1"
	if in.Class.Intent != bot.IntentNegative && payHasWord(payWords(in.Text), "email", "mail", "correo") {
		yes = true
	}
	switch {
	case yes && env.Customer.Email != "":
		mem.Pay = PayMemory{}
		var actions []Action
		for _, id := range resent {
			actions = append(actions, Emit{Type: "invoice.resend_requested",
				Data: map[string]any{"invoice_id": id, "channel": "email", "email": env.Customer.Email}})
		}
		actions = append(actions, reply(say("pay.copy.email_requested", Args{"email": payMaskEmail(env.Customer.Email)})))
		return payMenu(mem, actions...)
	case in.Class.Intent == bot.IntentNegative || in.option() == "2":
		mem.Pay = PayMemory{}
		return payMenu(mem, reply(say("pay.copy.email_declined", nil)))
	}
	return payLeave(mem, in, env)
}

// payPDFName is the file name a debtor sees: "fatura-INV-1234.pdf".
func payPDFName(id string) string {
	clean := strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '_' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return r
		}
		return '-'
	}, id)
	return "fatura-" + clean + ".pdf"
}

// payMaskEmail shows enough of an address to recognise it and no more:
// "maria@example.com" → "m***@example.com".
func payMaskEmail(email string) string {
	local, domain, ok := strings.Cut(strings.TrimSpace(email), "@")
	if !ok || local == "" || domain == "" {
		return ""
	}
	r := []rune(local)
	return string(r[0]) + "***@" + domain
}

// payAskInvoice lists the candidate invoices, numbered, and asks which one
// the request (next) is about.
func payAskInvoice(next string, cands []bot.Invoice, mem Memory, env Env) Result {
	mem.Pay.Next = next
	mem.Pay.Choices = nil
	key := "pay.choose." + next
	if next == payForClaim && mem.Pay.ReceiptURL != "" {
		key = "pay.choose.claim_receipt"
	}
	parts := []Part{say(key, Args{"count": len(cands)})}
	for i, inv := range cands {
		mem.Pay.Choices = append(mem.Pay.Choices, inv.ID)
		args := payInvoiceArgs(inv, env)
		args["n"] = strconv.Itoa(i + 1)
		cents, _ := payQuote(inv, env)
		args["amount"] = Money(cents)
		parts = append(parts, say("pay.choose.line", args))
	}
	parts = append(parts, say("pay.choose.footer", nil))
	return Result{State: StatePayChooseInvoice, Memory: mem, Actions: []Action{reply(parts...)}}
}

// payChooseInvoice handles the answer to "which invoice?": a number, "todas",
// the amount or a word of the description; a receipt turns it into a claim.
func payChooseInvoice(_ string, mem Memory, in Input, env Env) Result {
	var cands []bot.Invoice
	for _, id := range mem.Pay.Choices {
		if inv, ok := payInvoice(env, id); ok {
			cands = append(cands, inv)
		}
	}
	if len(cands) == 0 {
		return payLeave(mem, in, env)
	}
	if url := payReceiptURL(in); url != "" {
		mem.Pay.ReceiptURL, mem.Pay.Next = url, payForClaim
	}
	var picked []bot.Invoice
	if i := payOption(in, len(cands)); i >= 0 {
		picked = cands[i : i+1]
	} else if payWantsAllOf(in.Text, len(cands)) {
		picked = cands
	} else if opts := payOptions(in, len(cands)); opts != nil {
		for _, i := range opts {
			picked = append(picked, cands[i])
		}
	} else if inv, ok := payTarget(cands, Memory{}, in, env); ok && len(cands) > 1 {
		picked = []bot.Invoice{inv}
	}
	if picked != nil {
		mem.Unknowns = 0
		switch mem.Pay.Next {
		case payForClaim:
			return payClaim(picked, mem, in, env, false)
		case payForCopy:
			return payResend(picked, mem, env)
		}
		if m := payMethodIn(in.Text); m != "" && m != payAll { // "todas" picks invoices here, not means
			mem.Pay.Method = m
		}
		return payWith(picked, mem, env)
	}
	switch {
	case payReceiptURL(in) != "":
		return payAskInvoice(payForClaim, cands, mem, env)
	case in.Class.Intent == bot.IntentNegative:
		mem.Pay = PayMemory{}
		return payMenu(mem, reply(say("pay.method.later", nil)))
	case (in.Class.Intent == bot.IntentUnknown || in.Class.Intent == bot.IntentAffirmative) && mem.Unknowns == 0:
		mem.Unknowns++
		res := payAskInvoice(mem.Pay.Next, cands, mem, env)
		// "Não entendi" only for what was not understood: a "sim" just
		// did not say which one.
		retry := "pay.choose.retry"
		if in.Class.Intent == bot.IntentAffirmative {
			retry = "pay.choose.which_number"
		}
		res.Actions = append([]Action{reply(say(retry, nil))}, res.Actions...)
		return res
	}
	return payLeave(mem, in, env)
}

// payLeave drops the pending question and answers the message on its own:
// the debtor changed the subject.
func payLeave(mem Memory, in Input, env Env) Result {
	mem.Pay = PayMemory{}
	return answerIntent(StateMenu, mem, in, env)
}

func payMenu(mem Memory, actions ...Action) Result {
	return Result{State: StateMenu, Memory: mem, Actions: actions}
}

// payInstallment answers "quero pagar" or "cadê o boleto da parcela?" for
// an invoice under a plan: the plan replaced the invoice, so its amount and
// link are no longer what is owed. The answer is the next payment of the
// plan (planDetail.next) with its number, amount and due date, and its own
// Pix code for exactly that amount when policy has a key; without one,
// the billing system issues each payment's means, and is asked to send
// this one again. It applies when the debtor speaks of an installment
// (the classifier's topic, or the word) or has nothing open outside plans;
// others are the open invoices outside plans.
func payInstallment(others []bot.Invoice, mem Memory, in Input, env Env) (Result, bool) {
	ps := plans(env)
	asked := in.Class.Entities.Topic == bot.TopicInstallment || payHasWord(payWords(in.Text), "parcela", "parcelas", "prestacao", "installment", "cuota", "entrada")
	if len(ps) == 0 || len(others) > 0 && !asked {
		return Result{}, false
	}
	d := ps[0]
	for _, p := range ps {
		if slices.Contains(p.InvoiceIDs, mem.InvoiceID) || p.InvoiceID == mem.InvoiceID {
			d = p
		}
	}
	row := d.next(payInstallmentNamed(in.Text), env.Today)
	mem.InvoiceID = d.carrier()
	args := Args{"number": row.Number, "count": d.Installments, "amount": Money(row.AmountCents), "due": Date(row.DueDate),
		"description": planDescribe(d, env)}
	key := "pay.installment.header"
	if row.Number == 0 {
		key = "pay.installment.header_down"
	}
	parts := []Part{say(key, args)}
	var other []Part
	if last := d.Schedule[len(d.Schedule)-1].Number; last > 1 {
		n := row.Number + 1 // the example names another installment than this one
		if n > last {
			n = row.Number - 1
		}
		other = []Part{say("pay.installment.other", Args{"other": n})}
	}
	resend := Emit{Type: "invoice.resend_requested", Data: map[string]any{"invoice_id": d.carrier(), "invoice_ids": d.InvoiceIDs,
		"installment": row.Number, "due_date": row.DueDate, "amount_cents": row.AmountCents, "channel": "whatsapp"}}
	if code := dealPix(env, row.AmountCents, planTxID(d.carrier(), row.Number)); code != "" {
		parts = append(append(parts, other...), say("pay.pix_intro", Args{"amount": Money(row.AmountCents)}))
		return payMenu(mem, Reply{Parts: parts, PixQR: code}, reply(say("pay.code", Args{"code": code}))), true
	}
	// No key: billing has the whole schedule (plan.accepted) and issues
	// each payment's boleto or Pix; the request to send this one again
	// goes to it, which is all a person here could do too.
	parts = append(append(parts, say("pay.installment.by_billing", nil)), other...)
	return payMenu(mem, resend, reply(parts...)), true
}

// payInstallmentNamed reads the payment a debtor names: "parcela 2",
// "2ª parcela", "segunda parcela", "a entrada" (0); -1 when none.
func payInstallmentNamed(text string) int {
	ws := payWords(text)
	ordinals := map[string]int{"primeira": 1, "segunda": 2, "terceira": 3, "quarta": 4, "quinta": 5, "sexta": 6,
		"setima": 7, "oitava": 8, "nona": 9, "decima": 10, "first": 1, "second": 2, "third": 3, "fourth": 4,
		"primera": 1, "tercera": 3, "cuarta": 4}
	for i, w := range ws {
		if w == "entrada" {
			return 0
		}
		if !payHasWord([]string{w}, "parcela", "prestacao", "installment", "cuota") {
			continue
		}
		for _, j := range []int{i + 1, i - 1} {
			if j < 0 || j >= len(ws) {
				continue
			}
			if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(ws[j], "a"), "o")); err == nil && n >= 0 && n < 100 {
				return n
			}
			if n, ok := ordinals[ws[j]]; ok {
				return n
			}
		}
	}
	return -1
}

// payUnplanned drops the invoices a plan replaced.
func payUnplanned(invs []bot.Invoice, env Env) []bot.Invoice {
	var out []bot.Invoice
	for _, inv := range invs {
		if _, ok := planOf(env, inv.ID); !ok {
			out = append(out, inv)
		}
	}
	return out
}
