package engine

import (
	"reflect"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
	"github.com/quitabot/quita/flows"
)

// A claim review reaches the flow as its own kind of reminder item, with
// the invoice, its log key and dates, and no cadence step.
func TestReminderInputClaimReview(t *testing.T) {
	anchor, _ := policy.ParseDate("2026-11-25")
	work := []reminders.Due{
		{InvoiceID: "INV-1", Action: reminders.ActionClaimReview, Key: "claim-review@2026-12-11", Anchor: anchor, ShownDue: "2026-11-25"},
		{InvoiceID: "INV-2", Action: reminders.ActionEscalate, Key: "escalation@2026-10-01", Anchor: anchor, ShownDue: "2026-10-01", Escalation: policy.EscalateAgent},
	}
	in, text := reminderInput(work, []bot.Invoice{{ID: "INV-1"}, {ID: "INV-2"}})
	want := []flows.ReminderItem{
		{Kind: flows.ReminderClaimReview, InvoiceID: "INV-1", Step: "claim-review@2026-12-11", Due: "2026-11-25", Anchor: "2026-11-25"},
		{Kind: flows.ReminderEscalate, InvoiceID: "INV-2", Step: "escalation@2026-10-01", Due: "2026-10-01", Anchor: "2026-11-25", Escalation: "agent"},
	}
	if in.Event != flows.EventReminder || !reflect.DeepEqual(in.Reminder, want) || in.Invoice.ID != "INV-1" {
		t.Fatalf("input %+v", in)
	}
	if text != "reminder claim-review@2026-12-11 INV-1, escalation@2026-10-01 INV-2" {
		t.Fatalf("transcript %q", text)
	}
}
