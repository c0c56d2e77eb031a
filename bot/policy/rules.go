package policy

import (
	"sort"
	"strings"
	"time"
)

// segmentFor returns the first segment matching the invoice, or nil.
func (p Policy) segmentFor(amountCents int64, tags []string) *Segment {
	for i := range p.Reminders.Segments {
		s := &p.Reminders.Segments[i]
		if amountCents < s.MinAmountCents || (s.MaxAmountCents > 0 && amountCents >= s.MaxAmountCents) {
			continue
		}
		if len(s.Tags) == 0 || anyTag(s.Tags, tags) {
			return s
		}
	}
	return nil
}

func anyTag(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if strings.EqualFold(strings.TrimSpace(w), strings.TrimSpace(h)) {
				return true
			}
		}
	}
	return false
}

// CadenceFor returns the reminder steps for an invoice of amountCents owed by
// a customer with tags: the first matching segment's cadence, else
// reminders.cadence. The result is a copy the caller may keep.
func (p Policy) CadenceFor(amountCents int64, tags []string) []Step {
	steps := p.Reminders.Cadence
	if s := p.segmentFor(amountCents, tags); s != nil {
		steps = s.Cadence
	}
	return append([]Step(nil), steps...)
}

// EscalationFor returns what follows the last step for the same invoice: the
// matching segment's escalation when it sets one, else reminders.escalation.
func (p Policy) EscalationFor(amountCents int64, tags []string) Escalation {
	if s := p.segmentFor(amountCents, tags); s != nil && s.Escalation != nil {
		return *s.Escalation
	}
	return p.Reminders.Escalation
}

// MessageKeys returns every locale message key the cadences use, sorted and
// without repeats, so start-up can check each exists in every catalog.
func (p Policy) MessageKeys() []string {
	seen := map[string]bool{}
	add := func(steps []Step) {
		for _, s := range steps {
			seen[s.Message] = true
		}
	}
	add(p.Reminders.Cadence)
	for _, s := range p.Reminders.Segments {
		add(s.Cadence)
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// LatestPromiseDate returns the last date a debtor may promise to pay on,
// counted from today (promises.max_days).
func (p Policy) LatestPromiseDate(today Date) Date {
	return today.AddDays(p.Promises.MaxDays)
}

// ExtensionDays returns how many days of extension to grant for a request of
// requestedDays (0 when the debtor named no length) from a debtor whose
// payment history is good or not; 0 means none may be granted and the flow
// offers a promise date or installments instead.
func (p Policy) ExtensionDays(requestedDays int, goodHistory bool) int {
	e := p.Extension
	if !e.Enabled || (e.RequiresGoodHistory && !goodHistory) {
		return 0
	}
	if requestedDays <= 0 || requestedDays > e.MaxDays {
		return e.MaxDays
	}
	return requestedDays
}

// ReceiptDeadline returns the last day of the review of a payment claimed
// on claimed (receipts.confirm_timeout_business_days business days later):
// still unconfirmed by the billing system after it, a person takes the
// claim over; the cadence never resumes on its own.
func (p Policy) ReceiptDeadline(claimed Date) Date {
	return p.AddBusinessDays(claimed, p.Receipts.ConfirmTimeoutBusinessDays)
}

// DailySendLimit returns how many proactive messages a WhatsApp number linked
// ageDays ago (0 on its first day) may send today: warmup_start on day 0,
// growing linearly to daily_cap on day warmup_days, daily_cap after.
func (p Policy) DailySendLimit(ageDays int) int {
	w := p.WhatsApp
	if w.WarmupDays <= 0 || ageDays >= w.WarmupDays || w.WarmupStart >= w.DailyCap {
		return w.DailyCap
	}
	if ageDays < 0 {
		ageDays = 0
	}
	return w.WarmupStart + (w.DailyCap-w.WarmupStart)*ageDays/w.WarmupDays
}

// StaleInbound reports whether a message sent at sentAt is too old, at now,
// to be answered (whatsapp.max_inbound_age); it is still recorded.
func (p Policy) StaleInbound(sentAt, now time.Time) bool {
	return now.Sub(sentAt) > p.WhatsApp.MaxInboundAge
}
