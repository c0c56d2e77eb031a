package main

import (
	"context"
	"fmt"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/pix"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/web"
)

// demoDebtor is one made-up debtor of the demo data set. Everything here
// is marked as demo data: example.com addresses, DEMO invoice ids.
type demoDebtor struct {
	customer bot.Customer
	invoices []demoInvoice
}

type demoInvoice struct {
	id          string
	description string
	cents       int64
	dueOffset   int // days from the day the demo was first loaded
}

var demoSet = []demoDebtor{
	{bot.Customer{ID: "demo-maria", ExternalID: "DEMO-C-1", Name: "Maria Souza", Phone: "+5511988887777",
		Email: "maria@example.com", Document: "123.456.789-09", Locale: "pt-BR"},
		[]demoInvoice{{"DEMO-INV-1001", "Internet 300MB - mês passado", 15990, -25}, {"DEMO-INV-1002", "Internet 300MB - este mês", 15990, 2}}},
	{bot.Customer{ID: "demo-joao", ExternalID: "DEMO-C-2", Name: "João Pereira", Phone: "+5521977776666",
		Email: "joao@example.com", Locale: "pt-BR"},
		[]demoInvoice{{"DEMO-INV-2001", "Mensalidade academia", 12000, 0}}},
	{bot.Customer{ID: "demo-john", ExternalID: "DEMO-C-3", Name: "John Smith", Phone: "+5511966665555",
		Email: "john@example.com", Locale: "en"},
		[]demoInvoice{{"DEMO-INV-3001", "Coworking desk", 45000, -10}}},
	{bot.Customer{ID: "demo-carmen", ExternalID: "DEMO-C-4", Name: "Carmen López", Phone: "+5511955554444",
		Email: "carmen@example.com", Locale: "es"},
		[]demoInvoice{{"DEMO-INV-4001", "Curso de portugués", 8990, 5}}},
}

func demoPhones() []string {
	out := make([]string, len(demoSet))
	for i, d := range demoSet {
		out[i] = d.customer.Name + " " + d.customer.Phone
	}
	return out
}

// The demo creditor's Pix key and city (an example.com address: no real
// account receives these payments).
const (
	demoPixKey  = "pix@example.com"
	demoPixCity = "SAO PAULO"
)

// loadDemo inserts the demo data set unless it is there already, so a
// restart never moves due dates or resurrects a paid demo invoice.
func loadDemo(ctx context.Context, st *store.Store, now time.Time, loc *time.Location) error {
	today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, time.UTC)
	for _, d := range demoSet {
		for _, di := range d.invoices {
			if _, err := st.Invoice(ctx, di.id); err == nil {
				continue
			} else if bot.ErrorCodeOf(err) != bot.CodeNotFound {
				return err
			}
			c := d.customer
			c.CreatedAt, c.UpdatedAt = now, now
			code, err := pix.Payload{Key: demoPixKey, MerchantName: policy.DemoCompanyName, MerchantCity: demoPixCity,
				AmountCents: di.cents, TxID: di.id[len("DEMO-INV-"):]}.Encode()
			if err != nil {
				return fmt.Errorf("demo: pix code: %w", err)
			}
			inv := bot.Invoice{ID: di.id, CustomerID: c.ID, AmountCents: di.cents, Currency: "BRL",
				DueDate: today.AddDate(0, 0, di.dueOffset).Format("2006-01-02"), Description: di.description,
				Items:   []bot.InvoiceItem{{Description: di.description, AmountCents: di.cents}},
				Payment: bot.PaymentMeans{Link: "https://pay.example.com/" + di.id, PixCopyPaste: code},
				Status:  bot.InvoiceOpen, CreatedAt: now, UpdatedAt: now}
			if err := st.UpsertInvoice(ctx, c, inv); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
		}
	}
	return nil
}

// demoDebtors lists the demo debtors present in the database for the
// simulator page, with a one-line summary of what they owe.
func demoDebtors(ctx context.Context, st *store.Store) []web.Debtor {
	var out []web.Debtor
	for _, d := range demoSet {
		c, err := st.Customer(ctx, d.customer.ID)
		if err != nil {
			continue
		}
		open, err := st.OpenInvoices(ctx, c.ID)
		if err != nil {
			continue
		}
		var total int64
		for _, inv := range open {
			total += inv.AmountCents
		}
		out = append(out, web.Debtor{Name: c.Name, Phone: c.Phone, Open: len(open), Total: locales.Money(c.Locale, total), Locale: c.Locale})
	}
	return out
}
