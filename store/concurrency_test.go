package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

func TestConcurrentSettlementChangesOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := bot.Customer{ID: "cus_1", Name: "M", Phone: "+5511988887777", CreatedAt: t0, UpdatedAt: t0}
		if err := s.UpsertInvoice(ctx, c, bot.Invoice{ID: "INV-1", CustomerID: c.ID, AmountCents: 1, Currency: "BRL",
			DueDate: "2026-11-25", Status: bot.InvoiceOpen, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		var changed atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := s.SetInvoiceStatus(ctx, "INV-1", bot.InvoicePaid, t0)
				if err != nil {
					t.Error(err)
				}
				if ok {
					changed.Add(1)
				}
			}()
		}
		wg.Wait()
		if changed.Load() != 1 {
			t.Fatalf("%d concurrent payments changed the invoice, want exactly 1", changed.Load())
		}
	})
}

func TestConcurrentInvoicesForANewCustomer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := bot.Customer{ExternalID: "C-new", Name: "Ana", Phone: "+5511977770000", CreatedAt: t0, UpdatedAt: t0}
				inv := bot.Invoice{ID: fmt.Sprintf("INV-%d", i), AmountCents: 100, Currency: "BRL", DueDate: "2026-11-25",
					Status: bot.InvoiceOpen, CreatedAt: t0, UpdatedAt: t0}
				if _, _, err := s.ApplyInvoice(ctx, c, inv, fmt.Sprintf("cus_%d", i)); err != nil {
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		got, err := s.CustomerByPhone(ctx, []string{"+5511977770000"})
		if err != nil || got == nil {
			t.Fatalf("customer: %v %v", got, err)
		}
		open, _ := s.OpenInvoices(ctx, got.ID)
		if len(open) != 10 {
			t.Fatalf("%d invoices on the one customer, want 10", len(open))
		}
	})
}

func TestConcurrentMigrationsOnAFreshDatabase(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			url := storetest.URLFor(t, backend)
			var wg sync.WaitGroup
			for i := 0; i < 3; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := store.Open(context.Background(), url)
					if err != nil {
						t.Error(err)
						return
					}
					defer s.Close()
					if _, err := s.Migrate(context.Background()); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		})
	}
}
