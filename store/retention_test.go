package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/retention"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

func TestRetentionErasesIdleCustomersOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seedDebtor(t, s, bot.InvoicePaid) // C-1: paid, idle since t0
		for _, c := range []struct {
			id     string
			status bot.InvoiceStatus
			at     time.Time
		}{{"C-2", bot.InvoiceOpen, t0}, {"C-3", bot.InvoicePaid, t0.AddDate(0, 0, 20)}} {
			cust := bot.Customer{ID: "cus_" + c.id, ExternalID: c.id, Name: "Outro", Phone: "+551197777000" + c.id[2:],
				CreatedAt: c.at, UpdatedAt: c.at}
			if err := s.UpsertInvoice(ctx, cust, bot.Invoice{ID: "INV-" + c.id, CustomerID: cust.ID, AmountCents: 100,
				Currency: "BRL", DueDate: "2026-11-25", Status: c.status, CreatedAt: c.at, UpdatedAt: c.at}); err != nil {
				t.Fatal(err)
			}
		}
		// Two unknown numbers: one idle since t0, one that wrote on day 20.
		for i, at := range []time.Time{t0, t0.AddDate(0, 0, 20)} {
			id := []string{"unk_old", "unk_new"}[i]
			conv := bot.Conversation{ID: id, Phone: "+55119666600" + []string{"01", "02"}[i], Transport: "sim",
				Status: bot.StatusOpen, State: "start", CreatedAt: at, UpdatedAt: at}
			turn := newTurn(conv, "", "quem é você?")
			turn.Entries[0].Direction, turn.Entries[0].Author = bot.DirectionIn, bot.AuthorDebtor
			turn.Outbox = nil
			turn.Entries[0].OutboxID, turn.Entries[0].Status = "", ""
			if _, err := s.CommitTurn(ctx, turn); err != nil {
				t.Fatal(err)
			}
		}
		pol := policy.Default()
		pol.RetentionDays = 30
		var observed retention.Report
		job := retention.New(retention.Config{Store: s, Policy: pol, IDs: bot.NewIDs(), BatchSize: 1,
			Observe: func(r retention.Report) { observed = r }})
		now := t0.AddDate(0, 0, 31)
		rep, err := job.Run(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Erased["customers"] != 1 || rep.Erased["transcript_entries"] != 3 || observed.Erased["customers"] != 1 {
			t.Fatalf("report: %+v", rep)
		}
		if rep.Erased["unknown_conversations"] != 1 {
			t.Fatalf("unknown conversations erased: %+v", rep.Erased)
		}
		for id, erased := range map[string]bool{"unk_old": true, "unk_new": false} {
			entries, err := s.Transcript(ctx, id)
			if err != nil || len(entries) != 1 || entries[0].Erased != erased || (entries[0].Text == "") != erased {
				t.Errorf("%s: %+v %v, want erased=%v", id, entries, err, erased)
			}
		}
		for id, erased := range map[string]bool{"C-1": true, "C-2": false, "C-3": false} {
			c, err := s.CustomerByExternalID(ctx, id)
			if err != nil || (c.Name == store.ErasedName) != erased {
				t.Errorf("%s: %+v %v, want erased=%v", id, c, err, erased)
			}
		}
		// A second run the same day finds nothing left.
		if rep, err := job.Run(ctx, now); err != nil || rep.Erased["customers"] != 0 {
			t.Fatalf("second run: %+v %v", rep, err)
		}
		// RunDaily runs once per service day.
		if ran, _ := job.RunDaily(ctx, now, time.UTC); !ran {
			t.Fatal("the day's first RunDaily did not run")
		}
		if ran, _ := job.RunDaily(ctx, now.Add(time.Hour), time.UTC); ran {
			t.Fatal("RunDaily ran twice in a day")
		}
	})
}

func TestPruneOperationalKeepsRecentRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		old, recent := t0, t0.AddDate(0, 0, 80)
		for i, at := range []time.Time{old, recent} {
			id := []string{"old", "new"}[i]
			conv := bot.Conversation{ID: "cnv_" + id, Phone: "+55119888800" + []string{"01", "02"}[i], Transport: "sim",
				Status: bot.StatusOpen, State: "start", CreatedAt: at, UpdatedAt: at}
			if _, _, err := s.RecordInbound(ctx, bot.InboxRecord{ID: "inb_" + id, ReceivedAt: at, Message: bot.InboundMessage{
				Transport: "sim", ExternalID: "m_" + id, From: conv.Phone, Text: "oi", SentAt: at}}); err != nil {
				t.Fatal(err)
			}
			turn := newTurn(conv, "inb_"+id, "ola_"+id)
			if _, err := s.CommitTurn(ctx, turn); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkOutboxSent(ctx, "out_ola_"+id, "ext_"+id, at); err != nil {
				t.Fatal(err)
			}
			if err := s.AppendSimMessage(ctx, store.SimMessage{ID: "sim_" + id, Recipient: conv.Phone, At: at, Text: "ola",
				OutboxID: "out_ola_" + id}); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordWebhookDelivery(ctx, store.WebhookDelivery{ID: "msg_" + id, Type: "invoice.paid", Status: "applied",
				Body: "{}", ReceivedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		pruned, err := s.PruneOperational(ctx, t0.AddDate(0, 0, 1), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{store.PruneOutbox, store.PruneInbox, store.PruneSim, store.PruneWebhooks} {
			if pruned[kind] != 1 {
				t.Errorf("%s: pruned %d, want 1 (%v)", kind, pruned[kind], pruned)
			}
		}
		if items, _ := s.OutboxItems(ctx, []string{"out_ola_old", "out_ola_new"}); len(items) != 1 || items[0].ID != "out_ola_new" {
			t.Errorf("outbox after pruning: %+v", items)
		}
		if msgs, _ := s.SimMessages(ctx, "+5511988880002"); len(msgs) != 1 {
			t.Errorf("recent simulator log pruned: %+v", msgs)
		}
		// Transcripts are not operational records: they stay.
		if entries, _ := s.Transcript(ctx, "cnv_old"); len(entries) != 1 {
			t.Errorf("transcript pruned: %+v", entries)
		}
	})
}

// A year of daily traffic with the daily prune keeps the operational
// tables bounded by operational_days' worth of rows: they level off
// instead of growing with the service's age.
func TestPruningKeepsOperationalTablesBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("a year of traffic")
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const perDay, keepDays = 2, 90
		count := func() (n int64) {
			for _, table := range []string{"outbox", "inbox", "sim_messages", "webhook_deliveries"} {
				var c int64
				s.Gorm.Raw("SELECT COUNT(*) FROM " + table).Scan(&c)
				n += c
			}
			return n
		}
		var atQuarter, peak int64
		for day := 0; day < 365; day++ {
			at := t0.AddDate(0, 0, day)
			for i := 0; i < perDay; i++ {
				id := at.Format("20060102") + "_" + string(rune('a'+i))
				conv := bot.Conversation{ID: "cnv_" + id, Phone: fmt.Sprintf("+551195%03d%04d", day, i), Transport: "sim",
					Status: bot.StatusOpen, State: "start", CreatedAt: at, UpdatedAt: at}
				if _, _, err := s.RecordInbound(ctx, bot.InboxRecord{ID: "inb_" + id, ReceivedAt: at, Message: bot.InboundMessage{
					Transport: "sim", ExternalID: "m_" + id, From: conv.Phone, Text: "oi", SentAt: at}}); err != nil {
					t.Fatal(err)
				}
				turn := newTurn(conv, "inb_"+id, "r"+id)
				if _, err := s.CommitTurn(ctx, turn); err != nil {
					t.Fatal(err)
				}
				if err := s.MarkOutboxSent(ctx, "out_r"+id, "x"+id, at); err != nil {
					t.Fatal(err)
				}
				if err := s.AppendSimMessage(ctx, store.SimMessage{ID: "sim_" + id, Recipient: conv.Phone, At: at,
					OutboxID: "out_r" + id}); err != nil {
					t.Fatal(err)
				}
				if err := s.RecordWebhookDelivery(ctx, store.WebhookDelivery{ID: "wh_" + id, Type: "invoice.paid",
					Status: "applied", Body: "{}", ReceivedAt: at}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.PruneOperational(ctx, at.AddDate(0, 0, -keepDays), time.Now()); err != nil {
				t.Fatal(err)
			}
			n := count()
			peak = max(peak, n)
			if day == 120 {
				atQuarter = n
			}
		}
		bound := int64(4 * perDay * (keepDays + 1))
		if end := count(); end > bound || end != atQuarter || peak > bound {
			t.Fatalf("rows after 120 days %d, after a year %d, peak %d; want level at most %d", atQuarter, end, peak, bound)
		}
	})
}
