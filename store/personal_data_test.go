package store_test

import (
	"context"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

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
