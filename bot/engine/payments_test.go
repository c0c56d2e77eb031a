package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/pix"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// TestPaymentsOverTheRealPipeline pays, asks for a copy and claims a
// payment with a photo, through NLU, engine, store and simulator.
func TestPaymentsOverTheRealPipeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		code, _ := pix.Payload{Key: "pix@example.com", MerchantName: "Quita Demo", MerchantCity: "SAO PAULO", AmountCents: 10000, TxID: "INV7"}.Encode()
		c := bot.Customer{ID: "cus_maria", Name: "Maria Souza", Phone: "+5511988887777", Email: "maria@example.com", CreatedAt: now, UpdatedAt: now}
		inv := bot.Invoice{ID: "INV-7", CustomerID: c.ID, AmountCents: 10000, Currency: "BRL", DueDate: "2026-09-24",
			Description: "Internet outubro", Status: bot.InvoiceOpen, PDFURL: "https://billing.example/INV-7.pdf",
			Payment:   bot.PaymentMeans{Link: "https://pay.example/INV-7", PixCopyPaste: code, BoletoLine: "23791.23405 90000.000001 07001.234504 6 15790000010000"},
			CreatedAt: now, UpdatedAt: now}
		if err := st.UpsertInvoice(ctx, c, inv); err != nil {
			t.Fatal(err)
		}
		r := newRig(t, st, coord.NewMemory())
		send := func(id, text string, media *bot.Media) engine.Outcome {
			t.Helper()
			in := inbound(id, text)
			in.Media = media
			out, err := r.engine.HandleInbound(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.sender.Deliver(ctx, out.OutboxIDs); err != nil {
				t.Fatal(err)
			}
			return out
		}
		send("p1", "oi", nil)
		send("p2", "sim", nil)

		out := send("p3", "quero pagar com pix", nil)
		msgs, _ := st.SimMessages(ctx, "+5511988887777")
		if out.State != "menu" || len(out.OutboxIDs) != 2 || msgs[len(msgs)-1].Text != code {
			t.Fatalf("pix: %+v, last message %q", out, msgs[len(msgs)-1].Text)
		}
		// R$ 100,00 due 24/09, 60 days late (R$ 104,00 with charges), no
		// Pix key: billing's code goes as it is, quoted at the R$ 100,00 it
		// carries, and the late charges are left to billing.
		if intro := msgs[len(msgs)-2].Text; !strings.Contains(intro, "Pix copia e cola de R$ 100,00") || strings.Contains(intro, "R$ 104,00") {
			t.Fatalf("pix intro:\n%s", intro)
		}

		out = send("p4", "não recebi o boleto, manda a segunda via", nil)
		if out.State != "invoice_offer_email" {
			t.Fatalf("copy: %+v", out)
		}
		items, _ := st.OutboxItems(ctx, out.OutboxIDs)
		first, _ := engine.DecodeMessage(items[0])
		if first.Document == nil || first.Document.Filename != "fatura-INV-7.pdf" || first.Document.URL != inv.PDFURL {
			t.Fatalf("document: %+v", first)
		}
		if last, _ := engine.DecodeMessage(items[len(items)-1]); !strings.Contains(last.Text, "e-mail m***@example.com?\n1 - Sim\n2 - Não") {
			t.Fatalf("e-mail offer: %q", last.Text)
		}
		send("p5", "1", nil)

		out = send("p6", "já paguei", nil)
		if out.State != "awaiting_receipt" {
			t.Fatalf("claim: %+v", out)
		}
		out = send("p7", "", &bot.Media{Type: "image", MIME: "image/jpeg", Filename: "comprovante.jpg", Data: []byte("jpeg bytes")})
		conv, _ := st.ConversationByPhone(ctx, sim.Name, "+5511988887777")
		if out.State != "menu" || conv.Status != bot.StatusNeedsAgent {
			t.Fatalf("receipt: %+v status %s", out, conv.Status)
		}
		cols, _ := st.Collections(ctx, []string{"INV-7"})
		if col := cols["INV-7"]; col.Status != bot.CollectionClaimed || col.Until != "2026-11-26" {
			t.Fatalf("collection: %+v", col)
		}
		if got, _ := st.Invoice(ctx, "INV-7"); got.Status != bot.InvoiceOpen {
			t.Fatalf("a claim must not settle the invoice: %s", got.Status)
		}
		var events []bot.OutboxItem
		if err := st.Gorm.Raw("SELECT id, event_type, payload FROM outbox WHERE kind = 'event' ORDER BY id").Scan(&events).Error; err != nil {
			t.Fatal(err)
		}
		var types []string
		var claim map[string]any
		for _, ev := range events {
			types = append(types, ev.EventType)
			if ev.EventType == "payment.claimed" {
				var body struct{ Data map[string]any }
				_ = json.Unmarshal(ev.Payload, &body)
				claim = body.Data
			}
		}
		if strings.Join(types, " ") != "invoice.resend_requested invoice.resend_requested payment.claimed" {
			t.Fatalf("events: %v", types)
		}
		if claim["invoice_id"] != "INV-7" || claim["amount_cents"] != float64(10400) ||
			!strings.HasPrefix(claim["receipt_url"].(string), "/v1/media/") || claim["conversation_id"] != out.ConversationID {
			t.Fatalf("payment.claimed data: %v", claim)
		}
		msgs, _ = st.SimMessages(ctx, "+5511988887777")
		if testing.Verbose() { // the whole exchange, for reading the texts
			for _, m := range msgs {
				t.Logf("bot: %s", m.Text)
			}
		}
		if last := msgs[len(msgs)-1].Text; !strings.Contains(last, "3 dias úteis (até 26/11)") || !strings.Contains(last, "Recebi seu comprovante") {
			t.Fatalf("claim reply:\n%s", last)
		}
	})
}
