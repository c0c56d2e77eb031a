package store_test

import (
	"context"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

func TestApplyInvoiceIsIdempotentAndKeepsFinalStatuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := bot.Customer{ExternalID: "C-1", Name: "Maria Souza", Phone: "+5511988887777", CreatedAt: t0, UpdatedAt: t0}
		inv := bot.Invoice{ID: "INV-1", AmountCents: 15990, Currency: "BRL", DueDate: "2026-11-25", Status: bot.InvoiceOpen, CreatedAt: t0, UpdatedAt: t0}
		change, got, err := s.ApplyInvoice(ctx, c, inv, "cus_new")
		if err != nil || change != store.InvoiceCreated || got.CustomerID != "cus_new" {
			t.Fatalf("create: %s %+v %v", change, got, err)
		}
		later := inv
		later.UpdatedAt = t0.AddDate(0, 0, 1)
		if change, _, err := s.ApplyInvoice(ctx, c, later, "cus_other"); err != nil || change != store.InvoiceUnchanged {
			t.Fatalf("same content again: %s %v", change, err)
		}
		later.DueDate = "2026-12-10"
		if change, got, err := s.ApplyInvoice(ctx, c, later, "cus_other"); err != nil || change != store.InvoiceUpdated || got.CustomerID != "cus_new" {
			t.Fatalf("new due date: %s %+v %v", change, got, err)
		}
		// The same person without an external id is found by phone.
		byPhone := bot.Customer{Name: "Maria Souza", Phone: "+5511988887777", CreatedAt: t0, UpdatedAt: t0}
		second := bot.Invoice{ID: "INV-2", AmountCents: 100, Currency: "BRL", DueDate: "2026-11-30", Status: bot.InvoiceOpen, CreatedAt: t0, UpdatedAt: t0}
		if _, got, err := s.ApplyInvoice(ctx, byPhone, second, "cus_dup"); err != nil || got.CustomerID != "cus_new" {
			t.Fatalf("by phone: %+v %v", got, err)
		}
		if err := s.Gorm.Exec("UPDATE invoices SET status = 'paid' WHERE id = 'INV-1'").Error; err != nil {
			t.Fatal(err)
		}
		later.AmountCents = 20000
		if _, got, err := s.ApplyInvoice(ctx, c, later, "x"); err != nil || got.Status != bot.InvoicePaid {
			t.Fatalf("an update reopened a paid invoice: %+v %v", got, err)
		}
	})
}
