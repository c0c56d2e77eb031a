package webhooks

import (
	"strings"
	"testing"

	"github.com/quitabot/quita/bot"
)

func validInvoice() InvoiceData {
	return InvoiceData{InvoiceID: "INV-1234", AmountCents: 15990, Currency: "brl", DueDate: "2026-11-25",
		Customer: CustomerData{ID: "C-1", Name: "Maria Souza", Phone: "(11) 98888-7777", Locale: "pt-br"}}
}

func TestInvoiceDataToDomain(t *testing.T) {
	c, inv, err := validInvoice().ToDomain("data.")
	if err != nil {
		t.Fatal(err)
	}
	if c.Phone != "+5511988887777" || c.ExternalID != "C-1" || c.Locale != "pt-BR" || inv.Currency != "BRL" || inv.Status != bot.InvoiceOpen {
		t.Fatalf("got %+v %+v", c, inv)
	}
	cases := []struct {
		name  string
		edit  func(*InvoiceData)
		field string
	}{
		{"missing invoice id", func(d *InvoiceData) { d.InvoiceID = " " }, "data.invoice_id"},
		{"missing phone", func(d *InvoiceData) { d.Customer.Phone = "" }, "data.customer.phone"},
		{"invalid phone", func(d *InvoiceData) { d.Customer.Phone = "12345" }, "data.customer.phone"},
		{"missing name", func(d *InvoiceData) { d.Customer.Name = "" }, "data.customer.name"},
		{"zero amount", func(d *InvoiceData) { d.AmountCents = 0 }, "data.amount_cents"},
		{"negative amount", func(d *InvoiceData) { d.AmountCents = -5 }, "data.amount_cents"},
		{"unknown currency", func(d *InvoiceData) { d.Currency = "XYZ" }, "data.currency"},
		{"invalid date", func(d *InvoiceData) { d.DueDate = "2026-02-30" }, "data.due_date"},
		{"brazilian date format is for CSV only", func(d *InvoiceData) { d.DueDate = "25/11/2026" }, "data.due_date"},
		{"bad locale", func(d *InvoiceData) { d.Customer.Locale = "fr" }, "data.customer.locale"},
		{"bad link", func(d *InvoiceData) { d.Payment.Link = "javascript:alert(1)" }, "data.payment.link"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := validInvoice()
			tc.edit(&d)
			_, _, err := d.ToDomain("data.")
			var be *bot.Error
			if err == nil || !asBotError(err, &be) || be.Code != bot.CodeInvalid || be.Field != tc.field || !strings.HasPrefix(be.Message, tc.field) {
				t.Fatalf("err = %v, want invalid %s", err, tc.field)
			}
		})
	}
}

func asBotError(err error, target **bot.Error) bool {
	e, ok := err.(*bot.Error)
	*target = e
	return ok
}
