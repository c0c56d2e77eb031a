package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

func importRow(id, externalID, phone string, cents int64) store.ImportRow {
	return store.ImportRow{
		Customer:      bot.Customer{ExternalID: externalID, Name: "Cliente " + phone, Phone: phone, CreatedAt: t0, UpdatedAt: t0},
		Invoice:       bot.Invoice{ID: id, AmountCents: cents, Currency: "BRL", DueDate: "2026-11-25", Status: bot.InvoiceOpen, CreatedAt: t0, UpdatedAt: t0},
		NewCustomerID: "cus_" + id,
	}
}

func TestApplyInvoicesBatchSemantics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		batch := []store.ImportRow{
			importRow("INV-1", "", "+5511988887777", 100),
			importRow("INV-2", "", "+5511988887777", 200), // same phone: same customer, found inside the transaction
			importRow("INV-3", "C-3", "+5521999990000", 300),
			importRow("INV-1", "", "+5511988887777", 150), // the same invoice later in the file: an update
		}
		changes, err := s.ApplyInvoices(ctx, batch)
		want := []store.InvoiceChange{store.InvoiceCreated, store.InvoiceCreated, store.InvoiceCreated, store.InvoiceUpdated}
		if err != nil || !slices.Equal(changes, want) {
			t.Fatalf("first load: %v %v", changes, err)
		}
		for id, customer := range map[string]string{"INV-1": "cus_INV-1", "INV-2": "cus_INV-1", "INV-3": "cus_INV-3"} {
			inv, err := s.Invoice(ctx, id)
			if err != nil || inv.CustomerID != customer {
				t.Fatalf("%s: %+v %v", id, inv, err)
			}
		}
		if inv, _ := s.Invoice(ctx, "INV-1"); inv.AmountCents != 150 {
			t.Fatalf("INV-1 amount %d, want the last row's 150", inv.AmountCents)
		}

		again := batch[1:]
		changes, err = s.ApplyInvoices(ctx, again)
		if err != nil || !slices.Equal(changes, []store.InvoiceChange{store.InvoiceUnchanged, store.InvoiceUnchanged, store.InvoiceUnchanged}) {
			t.Fatalf("re-import: %v %v", changes, err)
		}
		again[1].Invoice.DueDate = "2026-12-01"
		changes, err = s.ApplyInvoices(ctx, again)
		if err != nil || !slices.Equal(changes, []store.InvoiceChange{store.InvoiceUnchanged, store.InvoiceUpdated, store.InvoiceUnchanged}) {
			t.Fatalf("one changed row: %v %v", changes, err)
		}
	})
}

func TestApplyInvoicesIsolatesARowTheDatabaseRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		batch := []store.ImportRow{importRow("INV-1", "", "+5511988887777", 100), importRow("INV-2", "", "+5511988887778", 200),
			importRow("INV-3", "", "+5511988887779", 300)}
		// The CHECK (amount_cents > 0) constraint is a database-level failure
		// on both engines; validation normally stops such a row earlier.
		batch[1].Invoice.AmountCents = 0
		changes, err := s.ApplyInvoices(ctx, batch)
		var be *store.BatchError
		if !errors.As(err, &be) || len(be.Rows) != 1 || be.Rows[0].Index != 1 {
			t.Fatalf("err = %v", err)
		}
		if !slices.Equal(changes, []store.InvoiceChange{store.InvoiceCreated, "", store.InvoiceCreated}) {
			t.Fatalf("changes %v", changes)
		}
		for _, id := range []string{"INV-1", "INV-3"} {
			if _, err := s.Invoice(ctx, id); err != nil {
				t.Fatalf("good row %s not loaded: %v", id, err)
			}
		}
		if _, err := s.Invoice(ctx, "INV-2"); err == nil {
			t.Fatal("the refused row was stored")
		}
		if c, err := s.CustomerByPhone(ctx, []string{"+5511988887778"}); err != nil || c != nil {
			t.Fatalf("the refused row's customer was stored: %+v %v", c, err)
		}
	})
}

func TestApplyInvoicesStopsWhenTheContextEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		batch := make([]store.ImportRow, 10)
		for i := range batch {
			batch[i] = importRow(fmt.Sprintf("INV-%d", i), "", "+5511988887777", 100)
		}
		changes, err := s.ApplyInvoices(ctx, batch)
		if !errors.Is(err, context.Canceled) || slices.ContainsFunc(changes, func(c store.InvoiceChange) bool { return c != "" }) {
			t.Fatalf("changes %v err %v", changes, err)
		}
	})
}
