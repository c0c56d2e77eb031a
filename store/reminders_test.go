package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

func seedReminderBook(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	add := func(cust, inv, due string, status bot.InvoiceStatus, tags ...string) {
		c := bot.Customer{ID: cust, Name: "Cliente " + cust, Phone: "+5511988880" + cust[len(cust)-3:], Tags: tags, CreatedAt: t0, UpdatedAt: t0}
		i := bot.Invoice{ID: inv, CustomerID: cust, AmountCents: 1000, Currency: "BRL", DueDate: due, Status: status,
			Payment: bot.PaymentMeans{Link: "https://pay/" + inv}, CreatedAt: t0, UpdatedAt: t0}
		if err := s.UpsertInvoice(ctx, c, i); err != nil {
			t.Fatal(err)
		}
	}
	add("cus_001", "A-1", "2026-11-25", bot.InvoiceOpen, "good_payer", "vip")
	add("cus_001", "A-2", "2026-11-30", bot.InvoiceOpen, "good_payer", "vip")
	add("cus_002", "B-1", "2026-11-25", bot.InvoicePaid)
	add("cus_002", "B-2", "2026-01-10", bot.InvoiceOpen) // too old for the window…
	add("cus_003", "C-1", "2026-12-20", bot.InvoiceOpen) // too far ahead
	add("cus_003", "C-2", "2026-11-26", bot.InvoiceOpen)
	add("cus_004", "D-1", "2026-02-01", bot.InvoiceOpen) // old, but under a plan still running
	plan := bot.Collection{InvoiceID: "D-1", Status: bot.CollectionPlan, Until: "2027-01-10", Detail: []byte(`{"installments":2}`), UpdatedAt: t0}
	turn := bot.Turn{Conversation: bot.Conversation{ID: "cnv_d", Phone: "+5511988880004", Transport: "sim", Status: bot.StatusOpen,
		State: "menu", CreatedAt: t0, UpdatedAt: t0}, IsNew: true, Collections: []bot.Collection{plan}}
	if _, err := s.CommitTurn(ctx, turn); err != nil {
		t.Fatal(err)
	}
}

func TestReminderCandidatesWalkDebtorsInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seedReminderBook(t, s)
		q := reminders.CandidateQuery{DueFrom: "2026-08-01", DueTo: "2026-11-30", UntilFrom: "2026-08-01", Limit: 2}
		var got []string
		var all []reminders.Candidate
		for {
			page, err := s.ReminderCandidates(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				got = append(got, c.Customer.ID+"/"+c.Invoice.ID)
				all = append(all, c)
			}
			if len(page) < q.Limit {
				break
			}
			q.AfterCustomer, q.AfterInvoice = page[len(page)-1].Customer.ID, page[len(page)-1].Invoice.ID
		}
		want := []string{"cus_001/A-1", "cus_001/A-2", "cus_003/C-2", "cus_004/D-1"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("candidates %v, want %v", got, want)
		}
		a, d := all[0], all[3]
		if a.Customer.Name != "Cliente cus_001" || len(a.Customer.Tags) != 2 || a.Invoice.Payment.Link != "https://pay/A-1" ||
			a.Invoice.Status != bot.InvoiceOpen || a.Collection.Status != "" {
			t.Fatalf("candidate A-1: %+v", a)
		}
		if d.Collection.Status != bot.CollectionPlan || d.Collection.Until != "2027-01-10" || string(d.Collection.Detail) != `{"installments":2}` {
			t.Fatalf("candidate D-1 collection: %+v", d.Collection)
		}
	})
}

// reminderTurn is a first reminder to a new conversation: a system line,
// the message and the reminder.sent event, with its log rows.
func reminderTurn(conv bot.Conversation, isNew bool, n int, marks ...reminders.Mark) reminders.MarkedTurn {
	out := fmt.Sprintf("out_%s_%d", conv.ID, n)
	turn := bot.Turn{Conversation: conv, IsNew: isNew, Entries: []bot.TranscriptEntry{
		{At: t0, Direction: bot.DirectionSystem, Author: bot.AuthorSystem, Text: "reminder", StateFrom: conv.State, StateTo: "menu"},
		{At: t0, Direction: bot.DirectionOut, Author: bot.AuthorBot, Text: "Olá!", Status: bot.DeliveryQueued, OutboxID: out},
	}, Outbox: []bot.OutboxItem{
		{ID: out, Kind: bot.OutboxMessage, ConversationID: conv.ID, Transport: "sim", Recipient: conv.Phone, Payload: []byte(`{"text":"Olá!"}`), NextAttemptAt: t0, CreatedAt: t0},
		{ID: out + "_evt", Kind: bot.OutboxEvent, ConversationID: conv.ID, EventType: "reminder.sent", Payload: []byte(`{}`), NextAttemptAt: t0, CreatedAt: t0},
	}}
	for i := range marks {
		if marks[i].Kind == reminders.LoggedSent {
			marks[i].OutboxID = out
		}
	}
	return reminders.MarkedTurn{Turn: turn, Marks: marks}
}

func mark(inv, key, customer, kind, due string, day policy.Date) reminders.Mark {
	return reminders.Mark{InvoiceID: inv, Key: key, CustomerID: customer, Kind: kind, Day: day, At: t0, DueDate: due}
}

func TestCommitReminderTurnsIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seedReminderBook(t, s)
		today := policy.NewDate(2026, time.November, 25)
		c1 := bot.Conversation{ID: "cnv_1", Phone: "+5511988880001", Transport: "sim", Status: bot.StatusOpen, State: "start", CreatedAt: t0, UpdatedAt: t0}
		c3 := bot.Conversation{ID: "cnv_3", Phone: "+5511988880003", Transport: "sim", Status: bot.StatusOpen, State: "start", CreatedAt: t0, UpdatedAt: t0}
		// Two debtors in one transaction; one message about two invoices.
		err := s.CommitReminderTurns(ctx, []reminders.MarkedTurn{
			reminderTurn(c1, true, 1, mark("A-1", "d0@2026-11-25", "cus_001", reminders.LoggedSent, "2026-11-25", today),
				mark("A-2", "d-3@2026-11-30", "cus_001", reminders.LoggedSent, "2026-11-30", today),
				mark("A-1", "d-3@2026-11-25", "cus_001", reminders.LoggedSuperseded, "2026-11-25", today)),
			reminderTurn(c3, true, 1, mark("C-2", "d-3@2026-11-26", "cus_003", reminders.LoggedSent, "2026-11-26", today)),
		})
		if err != nil {
			t.Fatal(err)
		}
		logs, err := s.ReminderLog(ctx, []string{"A-1", "A-2", "C-2", "D-1"})
		if err != nil || len(logs["A-1"]) != 2 || logs["A-1"]["d-3@2026-11-25"].Kind != reminders.LoggedSuperseded ||
			logs["C-2"]["d-3@2026-11-26"].Day != today || len(logs["D-1"]) != 0 {
			t.Fatalf("log %+v %v", logs, err)
		}
		counts, err := s.ReminderCounts(ctx, []string{"cus_001", "cus_003", "cus_004"}, today)
		if err != nil || counts["cus_001"] != (reminders.Counts{Today: 1, Week: 1}) || counts["cus_004"] != (reminders.Counts{}) {
			t.Fatalf("counts %+v %v", counts, err)
		}
		if c, _ := s.ReminderCounts(ctx, []string{"cus_001"}, today.AddDays(6)); c["cus_001"] != (reminders.Counts{Week: 1}) {
			t.Fatalf("six days later: %+v", c)
		}
		if c, _ := s.ReminderCounts(ctx, []string{"cus_001"}, today.AddDays(7)); c["cus_001"] != (reminders.Counts{}) {
			t.Fatalf("a week later: %+v", c)
		}

		// The next day: c1 again (now at version 1) and a step c3 already had.
		c1.Version, c3.Version = 1, 1
		next := today.AddDays(1)
		dup := []reminders.MarkedTurn{
			reminderTurn(c1, false, 2, mark("A-1", "d+1@2026-11-25", "cus_001", reminders.LoggedSent, "2026-11-25", next)),
			reminderTurn(c3, false, 2, mark("C-2", "d-3@2026-11-26", "cus_003", reminders.LoggedSent, "2026-11-26", next)),
		}
		if err := s.CommitReminderTurns(ctx, dup); !errors.Is(err, reminders.ErrAlreadyDone) {
			t.Fatalf("duplicate step: %v", err)
		}
		if logs, _ := s.ReminderLog(ctx, []string{"A-1"}); len(logs["A-1"]) != 2 {
			t.Fatalf("a failed batch left log rows: %+v", logs)
		}
		// A stale version, and an invoice paid since it was planned.
		stale := c1
		stale.Version = 7
		if err := s.CommitReminderTurns(ctx, dup[:1:1]); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitReminderTurns(ctx, []reminders.MarkedTurn{reminderTurn(stale, false, 3,
			mark("A-2", "d0@2026-11-30", "cus_001", reminders.LoggedSent, "2026-11-30", next))}); !errors.Is(err, bot.ErrVersionConflict) {
			t.Fatalf("stale version: %v", err)
		}
		if _, _, err := s.SetInvoiceStatus(ctx, "C-2", bot.InvoicePaid, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitReminderTurns(ctx, []reminders.MarkedTurn{reminderTurn(c3, false, 3,
			mark("C-2", "d0@2026-11-26", "cus_003", reminders.LoggedSent, "2026-11-26", next))}); !errors.Is(err, reminders.ErrStale) {
			t.Fatalf("paid invoice: %v", err)
		}
		// The chain stayed whole across batched commits.
		entries, err := s.Transcript(ctx, "cnv_1")
		if err != nil || len(entries) != 4 || !transcript.Verify(entries).OK {
			t.Fatalf("transcript of cnv_1: %d entries, %v", len(entries), err)
		}
		conv, err := s.Conversation(ctx, "cnv_1")
		if err != nil || conv.Version != 2 {
			t.Fatalf("conversation %+v %v", conv, err)
		}
		items, err := s.OutboxItems(ctx, []string{"out_cnv_1_2", "out_cnv_3_2"})
		if err != nil || len(items) != 1 {
			t.Fatalf("outbox %+v %v", items, err)
		}
	})
}

func TestConversationsByPhones(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i, p := range []string{"+5511988880001", "+5511988880002"} {
			turn := bot.Turn{Conversation: bot.Conversation{ID: fmt.Sprintf("cnv_%d", i), Phone: p, Transport: "sim",
				Status: bot.StatusOpen, State: "menu", Memory: []byte(`{"identity_confirmed":true}`), CreatedAt: t0, UpdatedAt: t0}, IsNew: true}
			if _, err := s.CommitTurn(ctx, turn); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ConversationsByPhones(ctx, []string{"sim", "whatsapp"}, []string{"+5511988880002", "+5511900000000"})
		if err != nil || len(got) != 1 || got[0].ID != "cnv_1" || string(got[0].Memory) != `{"identity_confirmed":true}` || got[0].Version != 1 {
			t.Fatalf("got %+v %v", got, err)
		}
		if got, _ := s.ConversationsByPhones(ctx, []string{"whatsapp"}, []string{"+5511988880002"}); len(got) != 0 {
			t.Fatalf("other transport: %+v", got)
		}
	})
}

// An invoice older than the usual window stays a candidate, back to
// OldFrom, until its escalation for its due date is logged: a late start's
// spaced cadence may end long after the due date.
func TestReminderCandidatesKeepOldInvoicesUntilHandedOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seedReminderBook(t, s)
		candidates := func(q reminders.CandidateQuery) string {
			q.Limit = 100
			page, err := s.ReminderCandidates(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range page {
				got = append(got, c.Invoice.ID)
			}
			return fmt.Sprint(got)
		}
		q := reminders.CandidateQuery{OldFrom: "2021-12-01", DueFrom: "2026-08-01", DueTo: "2026-11-30", UntilFrom: "2026-08-01"}
		if got := candidates(q); got != "[A-1 A-2 B-2 C-2 D-1]" {
			t.Fatalf("with OldFrom: %s", got)
		}
		if got := candidates(reminders.CandidateQuery{DueFrom: q.DueFrom, DueTo: q.DueTo, UntilFrom: q.UntilFrom}); got != "[A-1 A-2 C-2 D-1]" {
			t.Fatalf("without OldFrom: %s", got)
		}
		today := policy.NewDate(2026, time.November, 25)
		conv := bot.Conversation{ID: "cnv_2", Phone: "+5511988880002", Transport: "sim", Status: bot.StatusOpen, State: "start", CreatedAt: t0, UpdatedAt: t0}
		// An escalation under another date (an extension's) does not count.
		if err := s.CommitReminderTurns(ctx, []reminders.MarkedTurn{reminderTurn(conv, true, 1,
			mark("B-2", "escalation@2026-01-20", "cus_002", reminders.LoggedEscalated, "2026-01-10", today))}); err != nil {
			t.Fatal(err)
		}
		if got := candidates(q); got != "[A-1 A-2 B-2 C-2 D-1]" {
			t.Fatalf("escalated under another date: %s", got)
		}
		conv.Version = 1
		if err := s.CommitReminderTurns(ctx, []reminders.MarkedTurn{reminderTurn(conv, false, 2,
			mark("B-2", "escalation@2026-01-10", "cus_002", reminders.LoggedEscalated, "2026-01-10", today))}); err != nil {
			t.Fatal(err)
		}
		if got := candidates(q); got != "[A-1 A-2 C-2 D-1]" {
			t.Fatalf("handed over: %s", got)
		}
	})
}
