package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

// reportBook builds a December of collection through the store's own
// write paths (UpsertInvoice, CommitReminderTurns, CommitTurn,
// SetInvoiceStatus) so each counting rule of the report is exercised as
// production data would exercise it. Times are UTC; the business zone of
// the report is UTC-3, so 2026-12-01T02:00Z is still 30 November.
type reportBook struct {
	t   *testing.T
	s   *store.Store
	ctx context.Context
	n   int
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func (b *reportBook) invoice(cust, id, due string, cents int64) {
	b.t.Helper()
	c := bot.Customer{ID: cust, Name: "Cliente " + cust, Phone: "+55119888800" + cust[len(cust)-2:], CreatedAt: t0, UpdatedAt: t0}
	i := bot.Invoice{ID: id, CustomerID: cust, AmountCents: cents, Currency: "BRL", DueDate: due, Status: bot.InvoiceOpen, CreatedAt: t0, UpdatedAt: t0}
	if err := b.s.UpsertInvoice(b.ctx, c, i); err != nil {
		b.t.Fatal(err)
	}
}

// conversation loads conv, or returns a new one for customer.
func (b *reportBook) conversation(id, customer, transport string, at time.Time) (bot.Conversation, bool) {
	conv, err := b.s.Conversation(b.ctx, id)
	if err == nil {
		conv.UpdatedAt = at
		return conv, false
	}
	return bot.Conversation{ID: id, CustomerID: customer, Phone: "+55119888800" + customer[len(customer)-2:], Transport: transport,
		Status: bot.StatusOpen, State: "menu", CreatedAt: at, UpdatedAt: at}, true
}

// remind sends one reminder of step for invoice, as the reminder runner does.
func (b *reportBook) remind(convID, customer, transport, invoice, due, step string, at time.Time) {
	b.t.Helper()
	b.n++
	conv, isNew := b.conversation(convID, customer, transport, at)
	out := fmt.Sprintf("msg_%d", b.n)
	payload := fmt.Sprintf(`{"type":"reminder.sent","created_at":%q,"data":{"invoice_ids":[%q],"invoice_id":%q,"step":%q,"tone":"friendly"}}`,
		at.Format(time.RFC3339), invoice, invoice, step)
	turn := bot.Turn{Conversation: conv, IsNew: isNew, Entries: []bot.TranscriptEntry{
		{At: at, Direction: bot.DirectionOut, Author: bot.AuthorBot, Text: "Lembrete", Status: bot.DeliveryQueued, OutboxID: out},
	}, Outbox: []bot.OutboxItem{
		{ID: out, Kind: bot.OutboxMessage, ConversationID: convID, Transport: transport, Recipient: conv.Phone, Payload: []byte(`{}`), NextAttemptAt: at, CreatedAt: at},
		{ID: out + "_evt", Kind: bot.OutboxEvent, ConversationID: convID, EventType: "reminder.sent", Payload: []byte(payload), NextAttemptAt: at, CreatedAt: at},
	}}
	m := reminders.Mark{InvoiceID: invoice, Key: step + "@" + due, CustomerID: customer, Kind: reminders.LoggedSent, OutboxID: out,
		Day: policy.DateOf(at), At: at, DueDate: due}
	if err := b.s.CommitReminderTurns(b.ctx, []reminders.MarkedTurn{{Turn: turn, Marks: []reminders.Mark{m}}}); err != nil {
		b.t.Fatal(err)
	}
}

// reply records a debtor's message in the conversation.
func (b *reportBook) reply(convID string, at time.Time) {
	b.t.Helper()
	conv, _ := b.conversation(convID, "", "", at)
	turn := bot.Turn{Conversation: conv, Entries: []bot.TranscriptEntry{
		{At: at, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "oi"},
	}}
	if _, err := b.s.CommitTurn(b.ctx, turn); err != nil {
		b.t.Fatal(err)
	}
}

// emit writes an outbound event in the conversation's turn.
func (b *reportBook) emit(convID, customer, typ, data string, at time.Time) {
	b.t.Helper()
	b.n++
	conv, isNew := b.conversation(convID, customer, "sim", at)
	payload := fmt.Sprintf(`{"type":%q,"created_at":%q,"data":%s}`, typ, at.Format(time.RFC3339), data)
	turn := bot.Turn{Conversation: conv, IsNew: isNew, Outbox: []bot.OutboxItem{
		{ID: fmt.Sprintf("evt_%d", b.n), Kind: bot.OutboxEvent, ConversationID: convID, EventType: typ, Payload: []byte(payload), NextAttemptAt: at, CreatedAt: at},
	}}
	if _, err := b.s.CommitTurn(b.ctx, turn); err != nil {
		b.t.Fatal(err)
	}
}

func (b *reportBook) settle(invoice string, status bot.InvoiceStatus, at time.Time) {
	b.t.Helper()
	if _, changed, err := b.s.SetInvoiceStatus(b.ctx, invoice, status, at); err != nil || !changed {
		b.t.Fatalf("settle %s %s: changed %v, %v", invoice, status, changed, err)
	}
}

func TestCollectionReportCountingRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		brt := time.FixedZone("BRT", -3*3600)
		s.Location = brt
		b := &reportBook{t: t, s: s, ctx: context.Background()}
		b.invoice("cus_01", "A-1", "2026-11-30", 10000) // reminded d+1, replies in time, pays in 7 days
		b.invoice("cus_02", "B-1", "2026-12-10", 5000)  // reminded d-3, replies too late, pays after 7 days
		b.invoice("cus_03", "C-1", "2026-12-01", 3000)  // never contacted, pays
		b.invoice("cus_04", "D-1", "2026-11-20", 700)   // pays on 30 Nov, business time
		b.invoice("cus_05", "E-1", "2026-12-31", 900)   // pays late on 31 Dec, business time
		b.invoice("cus_06", "F-1", "2026-10-10", 800)   // cancelled in the period
		b.invoice("cus_07", "G-1", "2026-12-31", 100)   // open, not yet overdue on 31 Dec
		b.invoice("cus_07", "G-2", "2026-12-15", 200)   // open, 16 days late
		b.invoice("cus_07", "G-3", "2026-11-15", 300)   // open, 46 days late, reminded d+30
		b.invoice("cus_07", "G-4", "2026-10-20", 400)   // open, 72 days late: defaulted
		b.invoice("cus_07", "G-5", "2026-08-01", 500)   // open, 152 days late
		b.invoice("cus_08", "H-1", "2026-10-25", 600)   // paid before the period; in the default cohort

		b.settle("H-1", bot.InvoicePaid, utc("2026-11-10T15:00:00Z"))
		b.emit("cnv_x", "cus_08", "contact.opted_out", `{}`, utc("2026-11-30T23:00:00Z")) // 20:00 on 30 Nov: outside

		b.remind("cnv_a", "cus_01", "cloudapi", "A-1", "2026-11-30", "d+1", utc("2026-12-01T13:00:00Z"))
		b.reply("cnv_a", utc("2026-12-02T10:00:00Z"))
		b.emit("cnv_a", "cus_01", "promise.created", `{"invoice_id":"A-1","date":"2026-12-05","amount_cents":10000}`, utc("2026-12-03T12:00:00Z"))
		b.settle("A-1", bot.InvoicePaid, utc("2026-12-05T12:00:00Z"))

		b.remind("cnv_b", "cus_02", "sim", "B-1", "2026-12-10", "d-3", utc("2026-12-07T13:00:00Z"))
		b.reply("cnv_b", utc("2026-12-10T14:00:00Z")) // 73 hours later
		b.settle("B-1", bot.InvoicePaid, utc("2026-12-20T12:00:00Z"))

		b.settle("C-1", bot.InvoicePaid, utc("2026-12-03T12:00:00Z"))
		b.settle("D-1", bot.InvoicePaid, utc("2026-12-01T02:00:00Z"))
		b.settle("E-1", bot.InvoicePaid, utc("2027-01-01T02:30:00Z"))
		b.settle("F-1", bot.InvoiceCancelled, utc("2026-12-15T12:00:00Z"))

		b.remind("cnv_g", "cus_07", "sim", "G-3", "2026-11-15", "d+30", utc("2026-12-15T13:00:00Z"))
		b.emit("cnv_g", "cus_07", "promise.created", `{"invoice_id":"G-2","date":"2026-12-20","amount_cents":200}`, utc("2026-12-16T12:00:00Z"))
		b.emit("cnv_g", "cus_07", "promise.created", `{"invoice_id":"G-1","date":"2027-01-05","amount_cents":100}`, utc("2026-12-30T12:00:00Z"))
		b.emit("cnv_g", "cus_07", "plan.accepted", `{"invoice_ids":["G-4","G-5"],"total_cents":12345}`, utc("2026-12-10T12:00:00Z"))
		b.emit("cnv_g", "cus_07", "conversation.handoff", `{"reason":"asked"}`, utc("2026-12-11T12:00:00Z"))
		b.emit("cnv_g", "cus_07", "conversation.handoff", `{"reason":"asked"}`, utc("2026-12-12T12:00:00Z"))
		b.emit("cnv_g", "cus_07", "conversation.resolved", `{}`, utc("2026-12-13T12:00:00Z"))
		b.emit("cnv_g", "cus_07", "payment.claimed", `{}`, utc("2026-12-14T12:00:00Z"))
		b.emit("cnv_g", "cus_07", "dispute.opened", `{}`, utc("2026-12-14T13:00:00Z"))
		b.emit("cnv_g", "cus_07", "contact.wrong_number", `{}`, utc("2026-12-14T14:00:00Z"))
		b.emit("cnv_g", "cus_07", "contact.opted_out", `{}`, utc("2026-12-14T15:00:00Z"))

		if p, err := s.InvoicePayment(b.ctx, "A-1"); err != nil || !p.Contacted || p.AmountCents != 10000 {
			t.Fatalf("payment of A-1: %+v %v", p, err)
		}
		if p, err := s.InvoicePayment(b.ctx, "C-1"); err != nil || p.Contacted {
			t.Fatalf("payment of C-1 (never contacted): %+v %v", p, err)
		}

		r, err := s.CollectionReport(b.ctx, store.ReportQuery{From: policy.NewDate(2026, 12, 1), To: policy.NewDate(2026, 12, 31),
			Location: brt, Today: policy.NewDate(2026, 12, 31), DefaultAfterDays: 60})
		if err != nil {
			t.Fatal(err)
		}
		check := func(name string, got, want any) {
			t.Helper()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
		// invoice.paid received in the period, in business time: A, B, C, E.
		check("paid", r.Paid, 4)
		check("paid_cents", r.PaidCents, 10000+5000+3000+900)
		// Only payments of invoices reminded or talked about before paying.
		check("recovered_cents", r.RecoveredCents, 10000+5000)
		check("cancelled", r.Cancelled, 1)
		// Days late: A 5, B 10, C 2, E 0.
		check("days late", r.DaysLateSum, 17)
		// Open book as of 31 Dec: G-1…G-5.
		check("open", []int64{r.Open, r.OpenCents, r.Overdue, r.OverdueCents}, []int64{5, 1500, 4, 1400})
		check("aging", r.Aging, []store.AgingBucket{{Bucket: "1-30", Count: 1, Cents: 200}, {Bucket: "31-60", Count: 1, Cents: 300},
			{Bucket: "61-90", Count: 1, Cents: 400}, {Bucket: "90+", Count: 1, Cents: 500}})
		// Due 2 Oct–1 Nov (60 days before the period): G-4 open, H-1 paid, F-1 cancelled (left out).
		check("default cohort", []int64{r.DefaultCohort, r.Defaulted}, []int64{2, 1})
		// cnv_a, cnv_b, cnv_g started in December; the debtor wrote in a and b.
		check("conversations", []int64{r.Started, r.Replied, r.WithAgent, r.Resolved}, []int64{3, 2, 1, 1})
		check("reminders", []int64{r.Reminders.Sent, r.Reminders.RepliedIn48h, r.Reminders.PaidWithin7d}, []int64{3, 1, 1})
		var steps []string
		for _, st := range r.ByStep {
			steps = append(steps, fmt.Sprintf("%s %d/%d/%d", st.Step, st.Sent, st.RepliedIn48h, st.PaidWithin7d))
		}
		check("by step", steps, []string{"d-3 1/0/0", "d+1 1/1/1", "d+30 1/0/0"})
		check("messages by transport", r.Reminders.MessagesByMean, map[string]int64{"cloudapi": 1, "sim": 2})
		// Overdue steps reached A-1 (paid after) and G-3 (still open).
		check("recovery", []int64{r.OverdueContacted, r.OverdueRecovered}, []int64{2, 1})
		check("promises", []int64{r.PromisesMade, r.PromisesKept, r.PromisesBroken, r.PromisesPending}, []int64{3, 1, 1, 1})
		check("plans", []int64{r.PlansAccepted, r.PlansTotalCents}, []int64{1, 12345})
		check("events", []int64{r.OptOuts, r.WrongNumbers, r.Disputes, r.Handoffs, r.AlreadyPaid}, []int64{1, 1, 1, 2, 1})

		// A one-day period: 30 Nov in business time holds D-1's payment
		// (02:00Z on 1 Dec) and the opt-out at 20:00.
		r, err = s.CollectionReport(b.ctx, store.ReportQuery{From: policy.NewDate(2026, 11, 30), To: policy.NewDate(2026, 11, 30),
			Location: brt, Today: policy.NewDate(2026, 12, 31), DefaultAfterDays: 60})
		if err != nil {
			t.Fatal(err)
		}
		check("30 Nov", []int64{r.Paid, r.PaidCents, r.OptOuts, r.Reminders.Sent, r.Started}, []int64{1, 700, 1, 0, 1})
	})
}

func TestSettlementOfACancelledInvoiceThenPaid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := &reportBook{t: t, s: s, ctx: context.Background()}
		b.invoice("cus_01", "A-1", "2026-11-30", 1000)
		b.settle("A-1", bot.InvoiceCancelled, utc("2026-12-02T12:00:00Z"))
		b.settle("A-1", bot.InvoicePaid, utc("2026-12-03T12:00:00Z"))
		r, err := s.CollectionReport(b.ctx, store.ReportQuery{From: policy.NewDate(2026, 12, 1), To: policy.NewDate(2026, 12, 31),
			Today: policy.NewDate(2026, 12, 31), DefaultAfterDays: 60})
		if err != nil || r.Paid != 1 || r.Cancelled != 1 || r.PaidCents != 1000 || r.DaysLateSum != 3 {
			t.Fatalf("cancelled then paid: %+v %v", r, err)
		}
	})
}
