package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

var t0 = time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		applied, err := s.Migrate(context.Background())
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, err %v", applied, err)
		}
	})
}

func TestInboxDeduplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rec := bot.InboxRecord{ID: "inb_1", ReceivedAt: t0, Message: bot.InboundMessage{
			Transport: "sim", ExternalID: "m1", From: "+5511988887777", Text: "oi", SentAt: t0}}
		got, dup, err := s.RecordInbound(ctx, rec)
		if err != nil || dup || got.ID != "inb_1" {
			t.Fatalf("first record: %+v dup=%v err=%v", got, dup, err)
		}
		rec.ID = "inb_2"
		rec.Message.Text = "changed"
		got, dup, err = s.RecordInbound(ctx, rec)
		if err != nil || !dup || got.ID != "inb_1" || got.Message.Text != "oi" {
			t.Fatalf("replay: %+v dup=%v err=%v", got, dup, err)
		}
		pending, err := s.UnprocessedInbound(ctx, t0.Add(time.Second), 10)
		if err != nil || len(pending) != 1 {
			t.Fatalf("unprocessed = %d, %v", len(pending), err)
		}
	})
}

func newTurn(conv bot.Conversation, inboxID string, texts ...string) bot.Turn {
	turn := bot.Turn{Conversation: conv, InboxID: inboxID, IsNew: conv.Version == 0, Result: []byte(`{"ok":true}`)}
	for _, text := range texts {
		outID := "out_" + text
		turn.Entries = append(turn.Entries, bot.TranscriptEntry{At: t0, Direction: bot.DirectionOut, Author: bot.AuthorBot,
			Text: text, Status: bot.DeliveryQueued, OutboxID: outID})
		turn.Outbox = append(turn.Outbox, bot.OutboxItem{ID: outID, Kind: bot.OutboxMessage, ConversationID: conv.ID,
			Transport: "sim", Recipient: conv.Phone, Payload: []byte(`{}`), NextAttemptAt: t0, CreatedAt: t0})
	}
	return turn
}

func TestCommitTurnChainsAndGuards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		conv := bot.Conversation{ID: "cnv_1", Phone: "+5511988887777", Transport: "sim", Status: bot.StatusOpen,
			State: "start", CreatedAt: t0, UpdatedAt: t0}
		if _, _, err := s.RecordInbound(ctx, bot.InboxRecord{ID: "inb_1", ReceivedAt: t0,
			Message: bot.InboundMessage{Transport: "sim", ExternalID: "m1", From: conv.Phone, SentAt: t0}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CommitTurn(ctx, newTurn(conv, "inb_1", "a", "b")); err != nil {
			t.Fatal(err)
		}
		// The same inbox message cannot be consumed twice, and a failed
		// commit leaves nothing behind.
		conv.Version = 1
		if _, err := s.CommitTurn(ctx, newTurn(conv, "inb_1", "c")); !errors.Is(err, bot.ErrAlreadyProcessed) {
			t.Fatalf("second consume: %v", err)
		}
		// A stale version is refused.
		stale := conv
		stale.Version = 0
		stale.ID = conv.ID
		turn := newTurn(stale, "", "d")
		turn.IsNew = false
		if _, err := s.CommitTurn(ctx, turn); !errors.Is(err, bot.ErrVersionConflict) {
			t.Fatalf("stale version: %v", err)
		}
		sealed, err := s.CommitTurn(ctx, newTurn(conv, "", "e"))
		if err != nil || len(sealed) != 1 || sealed[0].Seq != 3 {
			t.Fatalf("continue chain: %+v %v", sealed, err)
		}
		entries, err := s.Transcript(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 3 || entries[2].Text != "e" {
			t.Fatalf("transcript = %+v", entries)
		}
		if v := transcript.Verify(entries); !v.OK {
			t.Fatalf("chain broken after a round trip through the database: %+v", v)
		}
		got, err := s.Conversation(ctx, conv.ID)
		if err != nil || got.Version != 2 {
			t.Fatalf("conversation = %+v %v", got, err)
		}
	})
}

func TestOutboxClaimIsExclusiveAndUpdatesTranscript(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		conv := bot.Conversation{ID: "cnv_1", Phone: "+5511988887777", Transport: "sim", Status: bot.StatusOpen, State: "start", CreatedAt: t0, UpdatedAt: t0}
		texts := []string{"1", "2", "3", "4", "5", "6", "7", "8"}
		if _, err := s.CommitTurn(ctx, newTurn(conv, "", texts...)); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		claimed := map[string]int{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					items, err := s.ClaimOutbox(ctx, bot.OutboxMessage, t0, time.Minute, 2, nil)
					if err != nil {
						t.Error(err)
						return
					}
					if len(items) == 0 {
						return
					}
					mu.Lock()
					for _, it := range items {
						claimed[it.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(claimed) != len(texts) {
			t.Fatalf("claimed %d items, want %d", len(claimed), len(texts))
		}
		for id, n := range claimed {
			if n != 1 {
				t.Fatalf("%s claimed %d times", id, n)
			}
		}
		// An expired lease is claimable again; a sent item never is.
		again, err := s.ClaimOutbox(ctx, bot.OutboxMessage, t0.Add(2*time.Minute), time.Minute, 1, []string{"out_1"})
		if err != nil || len(again) != 1 {
			t.Fatalf("reclaim after lease: %v %v", again, err)
		}
		if err := s.MarkOutboxSent(ctx, "out_1", "ext-1", t0); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.ClaimOutbox(ctx, bot.OutboxMessage, t0.Add(time.Hour), time.Minute, 10, []string{"out_1"}); len(again) != 0 {
			t.Fatal("a sent item was claimed again")
		}
		if err := s.MarkOutboxRetry(ctx, "out_2", "timeout", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if early, _ := s.ClaimOutbox(ctx, bot.OutboxMessage, t0.Add(30*time.Minute), time.Minute, 10, []string{"out_2"}); len(early) != 0 {
			t.Fatal("an item was claimed before its retry time")
		}
		if err := s.MarkOutboxFailed(ctx, "out_3", "invalid number", t0); err != nil {
			t.Fatal(err)
		}
		entries, _ := s.Transcript(ctx, conv.ID)
		status := map[string]string{}
		for _, e := range entries {
			status[e.Text] = e.Status
		}
		if status["1"] != bot.DeliverySent || status["3"] != bot.DeliveryFailed || status["2"] != bot.DeliveryQueued {
			t.Fatalf("entry statuses = %v", status)
		}
		if v := transcript.Verify(entries); !v.OK {
			t.Fatalf("status updates broke the chain: %+v", v)
		}
	})
}

func TestCustomersInvoicesSettingsMedia(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := bot.Customer{ID: "cus_1", ExternalID: "C-1", Name: "Maria Souza", Phone: "+5511988887777", Tags: []string{"vip"}, CreatedAt: t0, UpdatedAt: t0}
		inv := bot.Invoice{ID: "INV-1", CustomerID: c.ID, AmountCents: 15990, Currency: "BRL", DueDate: "2026-11-25",
			Items: []bot.InvoiceItem{{Description: "Plano", AmountCents: 15990}}, Status: bot.InvoiceOpen, CreatedAt: t0, UpdatedAt: t0}
		if err := s.UpsertInvoice(ctx, c, inv); err != nil {
			t.Fatal(err)
		}
		inv.AmountCents = 20000
		if err := s.UpsertInvoice(ctx, c, inv); err != nil {
			t.Fatal(err)
		}
		got, err := s.CustomerByPhone(ctx, []string{"+551188887777", "+5511988887777"})
		if err != nil || got == nil || got.Name != "Maria Souza" || len(got.Tags) != 1 {
			t.Fatalf("customer = %+v %v", got, err)
		}
		open, err := s.OpenInvoices(ctx, c.ID)
		if err != nil || len(open) != 1 || open[0].AmountCents != 20000 || open[0].Items[0].Description != "Plano" {
			t.Fatalf("open invoices = %+v %v", open, err)
		}
		if _, err := s.Invoice(ctx, "nope"); bot.ErrorCodeOf(err) != bot.CodeNotFound {
			t.Fatalf("missing invoice: %v", err)
		}
		v, created, err := s.SettingOrCreate(ctx, "api_token", "first")
		if err != nil || !created || v != "first" {
			t.Fatalf("create setting: %q %v %v", v, created, err)
		}
		v, created, _ = s.SettingOrCreate(ctx, "api_token", "second")
		if created || v != "first" {
			t.Fatalf("setting overwritten: %q %v", v, created)
		}
		m, err := s.SaveMedia(ctx, bot.Media{Type: "image", MIME: "image/png", Filename: "r.png", Data: []byte("png-bytes")})
		if err != nil || m.URL == "" || m.Data != nil || m.Size != 9 {
			t.Fatalf("media = %+v %v", m, err)
		}
		if _, err := s.SaveMedia(ctx, bot.Media{MIME: "image/png", Data: []byte("png-bytes")}); err != nil {
			t.Fatalf("saving the same receipt twice: %v", err)
		}
		back, err := s.MediaFile(ctx, m.URL[len("/v1/media/"):])
		if err != nil || string(back.Data) != "png-bytes" {
			t.Fatalf("media back = %+v %v", back, err)
		}
	})
}

func TestCommitTurnWritesCollectionStates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := bot.Customer{ID: "cus_1", Name: "Maria", Phone: "+5511988887777", CreatedAt: t0, UpdatedAt: t0}
		inv := bot.Invoice{ID: "INV-1", CustomerID: c.ID, AmountCents: 100, Currency: "BRL", DueDate: "2026-11-25", Status: bot.InvoiceOpen, CreatedAt: t0, UpdatedAt: t0}
		if err := s.UpsertInvoice(ctx, c, inv); err != nil {
			t.Fatal(err)
		}
		conv := bot.Conversation{ID: "cnv_1", Phone: c.Phone, Transport: "sim", Status: bot.StatusOpen, State: "start", CreatedAt: t0, UpdatedAt: t0}
		turn := newTurn(conv, "")
		turn.Collections = []bot.Collection{{InvoiceID: "INV-1", Status: bot.CollectionPromised, Until: "2026-12-10", UpdatedAt: t0}}
		if _, err := s.CommitTurn(ctx, turn); err != nil {
			t.Fatal(err)
		}
		conv.Version = 1
		turn = newTurn(conv, "")
		turn.Collections = []bot.Collection{{InvoiceID: "INV-1", Status: bot.CollectionClaimed, Until: "2026-11-30", Detail: []byte(`{"receipt":"x"}`), UpdatedAt: t0}}
		if _, err := s.CommitTurn(ctx, turn); err != nil {
			t.Fatal(err)
		}
		got, err := s.Collections(ctx, []string{"INV-1", "INV-unknown"})
		if err != nil || len(got) != 1 || got["INV-1"].Status != bot.CollectionClaimed || got["INV-1"].Until != "2026-11-30" || string(got["INV-1"].Detail) != `{"receipt":"x"}` {
			t.Fatalf("collections = %+v %v", got, err)
		}
		// A turn whose collection refers to an unknown invoice writes nothing at all.
		conv.Version = 2
		turn = newTurn(conv, "", "never")
		turn.Collections = []bot.Collection{{InvoiceID: "INV-missing", Status: bot.CollectionDisputed, UpdatedAt: t0}}
		if _, err := s.CommitTurn(ctx, turn); err == nil {
			t.Fatal("a collection of an unknown invoice was accepted")
		}
		if items, _ := s.OutboxItems(ctx, []string{"out_never"}); len(items) != 0 {
			t.Fatal("a failed turn left an outbox row behind")
		}
	})
}
