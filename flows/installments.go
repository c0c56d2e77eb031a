package flows

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/pix"
)

// Accepted installment plans: what a plan's collection detail holds, which
// payment is next, the codes that pay each one, and cancelling a plan.
// Accepting one is negotiation.go's (dealAccept).

// planRow is one payment of an accepted plan as the collection detail and
// plan.accepted carry it (bot/reminders reads the same fields).
type planRow struct {
	Number      int    `json:"number"`
	DueDate     string `json:"due_date"`
	AmountCents int64  `json:"amount_cents"`
	// PixTxID is the reference of the Pix codes Quita builds for this
	// payment, so billing can match what arrives; absent without a key.
	PixTxID string `json:"pix_txid,omitempty"`
}

// planDetail is the part of a plan's collection detail the flows read.
type planDetail struct {
	InvoiceIDs   []string  `json:"invoice_ids"`
	InvoiceID    string    `json:"invoice_id"`
	Installments int       `json:"installments"`
	Schedule     []planRow `json:"schedule"`
}

// carrier is the plan's first invoice: its id labels the plan's codes.
func (d planDetail) carrier() string {
	if len(d.InvoiceIDs) > 0 {
		return d.InvoiceIDs[0]
	}
	return d.InvoiceID
}

// planOf reads the plan an invoice is under, if any.
func planOf(env Env, id string) (planDetail, bool) {
	c, ok := env.Collections[id]
	if !ok || c.Status != bot.CollectionPlan {
		return planDetail{}, false
	}
	var d planDetail
	if json.Unmarshal(c.Detail, &d) != nil || len(d.Schedule) == 0 {
		return planDetail{}, false
	}
	if d.carrier() == "" {
		d.InvoiceID = id
	}
	if d.Installments <= 0 {
		d.Installments = len(d.Schedule)
	}
	return d, true
}

// plans lists the plans covering the open invoices, once each, in invoice order.
func plans(env Env) []planDetail {
	var out []planDetail
	seen := map[string]bool{}
	for _, inv := range env.Invoices {
		if d, ok := planOf(env, inv.ID); ok && !seen[d.carrier()] {
			seen[d.carrier()] = true
			out = append(out, d)
		}
	}
	return out
}

// next is the payment a debtor asking for "the installment" means: the one
// they name ("parcela 2"), else the first not yet due (today's included).
// Quita learns of no payment per installment — billing confirms the whole
// invoice — so one already due is taken as dealt with; the debtor who
// still owes it names it, and the answer tells them how.
func (d planDetail) next(named int, today string) planRow {
	for _, r := range d.Schedule {
		if named >= 0 && r.Number == named {
			return r
		}
	}
	for _, r := range d.Schedule {
		if r.DueDate >= today {
			return r
		}
	}
	return d.Schedule[len(d.Schedule)-1]
}

// planTxID is the reference of the code for payment number of the plan
// carried by invoice id: "INV1234P2" (P0 is the entrada). Reminders, the
// acceptance and "segunda via" use the same, so every code for one payment
// reconciles alike.
func planTxID(id string, number int) string {
	return txid(id + "P" + strconv.Itoa(number))
}

// dealPix builds a BR Code for cents with the creditor's key, or "" when
// there is none; ref (letters and digits kept) labels it for reconciliation.
func dealPix(env Env, cents int64, ref string) string {
	px := env.Policy.Pix
	if px.Key == "" {
		return ""
	}
	name := px.MerchantName
	if name == "" {
		name = env.Policy.Company.Name
	}
	code, err := pix.Payload{Key: px.Key, MerchantName: name, MerchantCity: px.MerchantCity, TxID: txid(ref), AmountCents: cents}.Encode()
	if err != nil { // a policy that passed validation always encodes; never send a broken code
		return ""
	}
	return code
}

// txid makes ref a Pix reference: its ASCII letters and digits, the last
// 25 when longer (ids tend to share prefixes and differ at the end).
func txid(ref string) string {
	var out []byte
	for _, c := range []byte(ref) {
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			out = append(out, c)
		}
	}
	return string(out[max(0, len(out)-25):])
}

// handoffPlanCancel is the conversation.handoff reason of a plan cancellation.
const handoffPlanCancel = "plan_cancel"

// planCancelAsked reports a request to cancel a plan: the classifier's
// topic, or — until every classifier sets it — a word of cancelling next
// to a word for the plan.
func planCancelAsked(in Input) bool {
	if in.Class.Entities.Topic == bot.TopicPlanCancel {
		return true
	}
	ws := payWords(in.Text)
	// Not "plano"/"plan": "cancelar o plano" is as likely the service.
	return payHasWord(ws, "cancelar", "cancela", "cancelamento", "cancele", "desfazer", "desistir", "cancel", "anular") &&
		payHasWord(ws, "parcelamento", "parcelas", "acordo", "installments", "installment", "agreement", "cuotas", "acuerdo")
}

// planCancel hands a request to cancel a plan to a person: what becomes of
// the debt once a plan is undone (its paid installments, the late charges
// it replaced) is the creditor's decision, not the bot's. The billing
// system hears of it (plan.cancel_requested) and the debtor is told that
// the plan stays as it is until someone answers, and when that will be.
// Without a plan there is nothing to cancel, and the debtor is told so.
func planCancel(mem Memory, env Env) Result {
	mem.Unknowns = 0
	mem.Deal = dealReset(mem.Deal)
	ps := plans(env)
	if len(ps) == 0 {
		return dealSay(StateMenu, mem, say("deal.cancel.no_plan", nameArgs(env)))
	}
	d := ps[0]
	for _, p := range ps {
		if slices.Contains(p.InvoiceIDs, mem.InvoiceID) || p.InvoiceID == mem.InvoiceID {
			d = p
		}
	}
	ids := d.InvoiceIDs
	if len(ids) == 0 {
		ids = []string{d.carrier()}
	}
	data := map[string]any{"invoice_ids": ids, "installments": d.Installments, "schedule": d.Schedule, "requested_on": env.Today}
	if len(ids) == 1 {
		data["invoice_id"] = ids[0]
	}
	args := nameArgs(env)
	args["description"] = planDescribe(d, env)
	r := reply(say("deal.cancel.ack", args), say("deal.cancel.meanwhile", nil), careWhen(env))
	return careHandOver(mem, env, handoffPlanCancel, d.carrier(), r, Emit{Type: "plan.cancel_requested", Data: data})
}

// planDescribe names what a plan covers: its invoices' descriptions.
func planDescribe(d planDetail, env Env) string {
	ids := d.InvoiceIDs
	if len(ids) == 0 {
		ids = []string{d.carrier()}
	}
	var names []string
	for _, id := range ids {
		if inv, ok := payInvoice(env, id); ok {
			names = append(names, dealName(inv))
		}
	}
	if len(names) == 0 {
		return d.carrier()
	}
	return strings.Join(names, ", ")
}
