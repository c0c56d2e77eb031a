package reminders

import (
	"encoding/json"
	"fmt"

	"github.com/quitabot/quita/bot/policy"
)

// planDetail is the part of an accepted plan's collection detail the
// reminders need. The negotiation flow writes it (flows/negotiation.go,
// dealAccept); the reader is tolerant — unknown fields are ignored and a
// detail it cannot read simply yields no installment reminders — so the
// two can evolve apart.
type planDetail struct {
	InvoiceIDs   []string `json:"invoice_ids"`
	InvoiceID    string   `json:"invoice_id"`
	Installments int      `json:"installments"`
	Schedule     []struct {
		Number      int    `json:"number"`
		DueDate     string `json:"due_date"`
		AmountCents int64  `json:"amount_cents"`
	} `json:"schedule"`
}

// carrier is the invoice that carries a plan's reminders. A plan covering
// several invoices is written on each of them with the same schedule; only
// the first reminds, or the debtor would hear of each installment once per
// invoice.
func (d planDetail) carrier() string {
	if len(d.InvoiceIDs) > 0 {
		return d.InvoiceIDs[0]
	}
	return d.InvoiceID
}

// planned reminds of the installments of an accepted plan: each with the
// cadence's steps up to its due date (a plan is a fresh agreement, so the
// reminders are friendly ones), never of the first payment, whose means
// went out with the acceptance. Without per-installment payment data, no
// overdue notices: a person follows up a broken plan.
func planned(p policy.Policy, f Facts, today policy.Date) *Due {
	var det planDetail
	if err := json.Unmarshal(f.Collection.Detail, &det); err != nil || len(det.Schedule) < 2 {
		return nil
	}
	if c := det.carrier(); c != "" && c != f.Invoice.ID {
		return nil
	}
	count := det.Installments
	if count <= 0 {
		count = len(det.Schedule) - 1
	}
	steps := installmentSteps(p.CadenceFor(f.Invoice.AmountCents, f.Tags))
	var found *Due
	for _, row := range det.Schedule[1:] {
		base, err := policy.ParseDate(row.DueDate)
		if err != nil {
			continue
		}
		anchor := nextBusinessDay(p, base)
		prefix, date := fmt.Sprintf("plan-%d:", row.Number), base.String()
		days := schedule(p, steps, 0, anchor, f.Log, prefix, date, false)
		if d := latestStep(steps, days, anchor, today, f.Log, prefix, date); d != nil {
			d.InvoiceID, d.ShownDue = f.Invoice.ID, base.String()
			d.Installment = &Installment{Number: row.Number, Count: count, AmountCents: row.AmountCents, Due: base.String()}
			found = d
		}
	}
	return found
}

// installmentSteps are the cadence's steps up to the due date; a cadence
// with none still reminds on the day.
func installmentSteps(cadence []policy.Step) []policy.Step {
	var out []policy.Step
	for _, s := range cadence {
		if s.OffsetDays <= 0 {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []policy.Step{{OffsetDays: 0, Message: "reminder.due_today", Tone: policy.ToneFriendly}}
	}
	return out
}

// Horizon returns how many days before today a due date may lie and still
// have reminder work on the usual schedule (the last step or escalation
// plus a margin for an outage or a long pause) and how many days after
// (the earliest step), over every cadence of the policy. The runner
// selects candidates in it; besides, it reaches past its days without
// contact ahead (a step before the due date moves back onto today) and,
// back to the oldest due date not time-barred, every invoice not handed
// over yet (a late start's spaced cadence can end any time).
func Horizon(p policy.Policy) (back, ahead int) {
	consider := func(steps []policy.Step, esc *policy.Escalation) {
		for _, s := range steps {
			back, ahead = max(back, s.OffsetDays), max(ahead, -s.OffsetDays)
		}
		if esc != nil {
			back = max(back, esc.OffsetDays)
		}
	}
	consider(p.Reminders.Cadence, &p.Reminders.Escalation)
	for _, s := range p.Reminders.Segments {
		consider(s.Cadence, s.Escalation)
	}
	// A step held by caps, a pause or an outage is still sent when it
	// ends; two months of margin bounds how long that may take.
	return back + 60, ahead
}
