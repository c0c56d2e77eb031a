package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

// seedMediaURL is the receipt seedDebtor stored.
var seedMediaURL string

// seedDebtor stores customer C-1 (Maria) with one invoice in status, a
// conversation with an inbound receipt image and a bot reply, and an
// outbound event; it returns the conversation.
func seedDebtor(t *testing.T, s *store.Store, status bot.InvoiceStatus) bot.Conversation {
	t.Helper()
	ctx := context.Background()
	cust := bot.Customer{ID: "cus_1", ExternalID: "C-1", Name: "Maria Souza", Phone: "+5511988887777",
		Email: "maria@example.com", Document: "123.456.789-09", Locale: "pt-BR", CreatedAt: t0, UpdatedAt: t0}
	inv := bot.Invoice{ID: "INV-1", CustomerID: "cus_1", AmountCents: 15990, Currency: "BRL", DueDate: "2026-11-25",
		Status: status, CreatedAt: t0, UpdatedAt: t0}
	if err := s.UpsertInvoice(ctx, cust, inv); err != nil {
		t.Fatal(err)
	}
	media, err := s.SaveMedia(ctx, bot.Media{Type: "image", MIME: "image/png", Filename: "comprovante.png", Data: []byte("png bytes")})
	if err != nil {
		t.Fatal(err)
	}
	seedMediaURL = media.URL
	conv := bot.Conversation{ID: "cnv_1", CustomerID: "cus_1", Phone: cust.Phone, Transport: "sim", Status: bot.StatusOpen,
		State: "start", CreatedAt: t0, UpdatedAt: t0}
	if _, _, err := s.RecordInbound(ctx, bot.InboxRecord{ID: "inb_1", ReceivedAt: t0, Message: bot.InboundMessage{
		Transport: "sim", ExternalID: "m1", From: cust.Phone, Text: "já paguei", Media: &media, SentAt: t0}}); err != nil {
		t.Fatal(err)
	}
	turn := newTurn(conv, "inb_1", "Obrigado, Maria")
	turn.Entries = append([]bot.TranscriptEntry{{At: t0, Direction: bot.DirectionIn, Author: bot.AuthorDebtor,
		Text: "já paguei", Media: &media}}, turn.Entries...)
	turn.Outbox = append(turn.Outbox, bot.OutboxItem{ID: "evt_1", Kind: bot.OutboxEvent, ConversationID: conv.ID,
		EventType: "payment.claimed", Payload: []byte(`{"type":"payment.claimed"}`), NextAttemptAt: t0, CreatedAt: t0})
	if _, err := s.CommitTurn(ctx, turn); err != nil {
		t.Fatal(err)
	}
	conv.Version = 1
	return conv
}

func TestCustomerDataExportsEverything(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seedDebtor(t, s, bot.InvoiceOpen)
		d, err := s.CustomerData(ctx, "C-1")
		if err != nil {
			t.Fatal(err)
		}
		if d.Customer.Name != "Maria Souza" || d.Customer.Document != "123.456.789-09" {
			t.Errorf("customer = %+v", d.Customer)
		}
		if len(d.Invoices) != 1 || d.Invoices[0].ID != "INV-1" {
			t.Errorf("invoices = %+v", d.Invoices)
		}
		if len(d.Conversations) != 1 || len(d.Conversations[0].Transcript) != 2 ||
			d.Conversations[0].Transcript[0].Text != "já paguei" {
			t.Fatalf("conversations = %+v", d.Conversations)
		}
		if len(d.Events) != 1 || d.Events[0].EventType != "payment.claimed" {
			t.Errorf("events = %+v", d.Events)
		}
		if len(d.Media) != 1 || d.Media[0].Filename != "comprovante.png" || d.Media[0].Data != nil {
			t.Errorf("media = %+v", d.Media)
		}
		if _, err := s.CustomerData(ctx, "C-404"); bot.ErrorCodeOf(err) != bot.CodeNotFound {
			t.Errorf("unknown customer: %v", err)
		}
	})
}

func TestEraseRefusedWhileInvoicesAreOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seedDebtor(t, s, bot.InvoiceOpen)
		req := store.ErasureRequest{CustomerID: "C-1", Reason: "titular pediu", Actor: "api", At: t0, ID: "era_1", EventID: "evt_era_1"}
		_, err := s.EraseCustomer(ctx, req)
		if bot.ErrorCodeOf(err) != bot.CodeConflict || !strings.Contains(err.Error(), "INV-1") {
			t.Fatalf("erase with an open invoice: %v", err)
		}
		if c, _ := s.CustomerByExternalID(ctx, "C-1"); c.Name != "Maria Souza" {
			t.Fatalf("a refused erasure changed the customer: %+v", c)
		}
		if _, err := s.EraseCustomer(ctx, store.ErasureRequest{CustomerID: "C-404", Reason: "x", ID: "era_2", EventID: "evt_2"}); bot.ErrorCodeOf(err) != bot.CodeNotFound {
			t.Fatalf("unknown customer: %v", err)
		}
		// An admin may force it; the decision is recorded with its reason.
		req.Force, req.Actor = true, "admin:ana"
		e, err := s.EraseCustomer(ctx, req)
		if err != nil || !e.Forced || len(e.OpenInvoices) != 1 {
			t.Fatalf("forced erasure: %+v %v", e, err)
		}
		var forced []struct {
			Actor, Reason string
			Forced        bool
		}
		s.Gorm.Raw("SELECT actor, reason, forced FROM erasures").Scan(&forced)
		if len(forced) != 1 || !forced[0].Forced || forced[0].Actor != "admin:ana" || forced[0].Reason != "titular pediu" {
			t.Fatalf("erasure record: %+v", forced)
		}
	})
}

func TestEraseAnonymisesAndKeepsTheChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seedDebtor(t, s, bot.InvoicePaid)
		e, err := s.EraseCustomer(ctx, store.ErasureRequest{CustomerID: "C-1", Reason: "titular pediu", Actor: "api",
			At: t0.Add(time.Hour), ID: "era_1", EventID: "evt_era_1"})
		if err != nil {
			t.Fatal(err)
		}
		if e.Forced || e.Erased.TranscriptEntries != 2 || e.Erased.Media != 1 || e.Erased.Conversations != 1 ||
			e.Erased.InboxMessages != 1 || len(e.Kept) != 1 || e.Kept[0].AmountCents != 15990 || e.Kept[0].DueDate != "2026-11-25" {
			t.Fatalf("erasure report: %+v", e)
		}
		d, err := s.CustomerData(ctx, "C-1")
		if err != nil {
			t.Fatal(err)
		}
		c := d.Customer
		if c.Name != store.ErasedName || c.Phone != "" || c.Email != "" || c.Document != "" {
			t.Fatalf("customer not anonymised: %+v", c)
		}
		if len(d.Invoices) != 1 || d.Invoices[0].AmountCents != 15990 {
			t.Fatalf("invoice not kept: %+v", d.Invoices)
		}
		if len(d.Conversations) != 1 {
			t.Fatalf("conversations: %+v", d.Conversations)
		}
		for _, en := range d.Conversations[0].Transcript {
			if en.Text != "" || en.Media != nil || !en.Erased {
				t.Fatalf("entry not erased: %+v", en)
			}
		}
		if v := transcript.Verify(d.Conversations[0].Transcript); !v.OK || v.Erased != 2 || v.Entries != 2 {
			t.Fatalf("erased chain: %+v", v)
		}
		if _, err := s.MediaFile(ctx, strings.TrimPrefix(seedMediaURL, "/v1/media/")); bot.ErrorCodeOf(err) != bot.CodeNotFound {
			t.Fatalf("receipt kept: %v", err)
		}
		// The number is free: a new message starts as an unknown number.
		if got, err := s.CustomerByPhone(ctx, []string{"+5511988887777"}); got != nil || err != nil {
			t.Fatalf("customer by the erased number: %+v %v", got, err)
		}
		if got, err := s.ConversationByPhone(ctx, "sim", "+5511988887777"); got != nil || err != nil {
			t.Fatalf("conversation by the erased number: %+v %v", got, err)
		}
		// Billing hears of it, without the number.
		var payloads []string
		s.Gorm.Raw("SELECT payload FROM outbox WHERE event_type = 'customer.erased'").Scan(&payloads)
		if len(payloads) != 1 || !strings.Contains(payloads[0], `"customer_id":"C-1"`) || strings.Contains(payloads[0], "98888") {
			t.Fatalf("customer.erased event: %v", payloads)
		}
		var leftovers int64
		s.Gorm.Raw("SELECT COUNT(*) FROM outbox WHERE conversation_id = 'cnv_1' AND kind = 'message'").Scan(&leftovers)
		if leftovers != 0 {
			t.Fatalf("%d messages to the debtor kept", leftovers)
		}
	})
}

// customer.updated with a new phone: the history moves with the customer
// and what was queued for the old number is not sent.
func TestCorrectedPhoneMovesTheHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		seedDebtor(t, s, bot.InvoiceOpen)
		c, err := s.CustomerByExternalID(ctx, "C-1")
		if err != nil {
			t.Fatal(err)
		}
		c.Phone, c.UpdatedAt = "+5511977776666", t0.Add(time.Hour)
		if _, changed, err := s.UpdateCustomerByExternalID(ctx, c); err != nil || !changed {
			t.Fatalf("update: %v %v", changed, err)
		}
		moved, err := s.ConversationByPhone(ctx, "sim", "+5511977776666")
		if err != nil || moved == nil || moved.ID != "cnv_1" {
			t.Fatalf("conversation on the new number: %+v %v", moved, err)
		}
		if old, _ := s.ConversationByPhone(ctx, "sim", "+5511988887777"); old != nil {
			t.Fatalf("a conversation is still on the old number: %+v", old)
		}
		if entries, _ := s.Transcript(ctx, "cnv_1"); len(entries) != 2 {
			t.Fatalf("history: %+v", entries)
		}
		items, _ := s.OutboxItems(ctx, []string{"out_Obrigado, Maria"})
		if len(items) != 1 || items[0].Status != bot.OutboxFailed {
			t.Fatalf("a message queued for the old number: %+v", items)
		}
		// Events to billing are untouched.
		if ev, _ := s.OutboxItems(ctx, []string{"evt_1"}); len(ev) != 1 || ev[0].Status != bot.OutboxPending {
			t.Fatalf("event: %+v", ev)
		}
	})
}
