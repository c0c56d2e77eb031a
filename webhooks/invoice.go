package webhooks

import (
	"strings"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/boleto"
	"github.com/quitabot/quita/bot/input"
	"github.com/quitabot/quita/bot/phone"
)

// CustomerData is the customer object of billing payloads (contract §4.1).
type CustomerData struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
	Document string `json:"document"`
	Locale   string `json:"locale"`
}

// PaymentData is the payment means of an invoice payload.
type PaymentData struct {
	Link         string `json:"link"`
	PixCopyPaste string `json:"pix_copy_paste"`
	BoletoLine   string `json:"boleto_line"`
}

// InvoiceData is the data of invoice.created / invoice.updated, the body of
// POST /v1/invoices and one row of `quita import`: all three validate and
// convert the same way.
type InvoiceData struct {
	InvoiceID   string            `json:"invoice_id"`
	Customer    CustomerData      `json:"customer"`
	AmountCents int64             `json:"amount_cents"`
	Currency    string            `json:"currency"`
	DueDate     string            `json:"due_date"`
	Description string            `json:"description"`
	Items       []bot.InvoiceItem `json:"items"`
	Payment     PaymentData       `json:"payment"`
	PDFURL      string            `json:"pdf_url"`
}

// Currencies accepted; Quita collects in reais only for now, and rejecting
// others beats showing "R$" on a dollar amount.
var Currencies = map[string]bool{"BRL": true}

var locales = map[string]string{"": "", "pt-br": "pt-BR", "pt": "pt-BR", "en": "en", "es": "es"}

// ToDomain validates the payload and returns the customer and invoice it
// describes. Errors are bot.Invalid naming the field (prefix + JSON path).
// The customer's ID is left empty for the store to resolve by external id
// or phone.
func (d InvoiceData) ToDomain(prefix string) (bot.Customer, bot.Invoice, error) {
	field := func(name string) string { return prefix + name }
	if err := d.checkText(prefix); err != nil {
		return bot.Customer{}, bot.Invoice{}, err
	}
	d.InvoiceID = strings.TrimSpace(d.InvoiceID)
	switch {
	case d.InvoiceID == "":
		return bot.Customer{}, bot.Invoice{}, bot.Invalid(field("invoice_id"), "is required")
	case len(d.InvoiceID) > 100:
		return bot.Customer{}, bot.Invoice{}, bot.Invalid(field("invoice_id"), "must be at most 100 characters")
	}
	c, err := d.Customer.ToDomain(field("customer."))
	if err != nil {
		return bot.Customer{}, bot.Invoice{}, err
	}
	if d.AmountCents <= 0 {
		return bot.Customer{}, bot.Invoice{}, bot.Invalid(field("amount_cents"), "must be a positive number of cents, got %d", d.AmountCents)
	}
	currency := strings.ToUpper(strings.TrimSpace(d.Currency))
	if currency == "" {
		currency = "BRL"
	}
	if !Currencies[currency] {
		return bot.Customer{}, bot.Invoice{}, bot.Invalid(field("currency"), "unknown or unsupported currency %q (supported: BRL)", d.Currency)
	}
	due, err := time.Parse("2006-01-02", strings.TrimSpace(d.DueDate))
	if err != nil {
		return bot.Customer{}, bot.Invoice{}, bot.Invalid(field("due_date"), "must be a date like 2026-11-25, got %q", d.DueDate)
	}
	for i, it := range d.Items {
		if it.AmountCents < 0 {
			return bot.Customer{}, bot.Invoice{}, bot.Invalid(field("items"), "item %d has a negative amount", i+1)
		}
	}
	inv := bot.Invoice{ID: d.InvoiceID, AmountCents: d.AmountCents, Currency: currency, DueDate: due.Format("2006-01-02"),
		Description: strings.TrimSpace(d.Description), Items: d.Items, PDFURL: strings.TrimSpace(d.PDFURL),
		Payment: bot.PaymentMeans{Link: strings.TrimSpace(d.Payment.Link), PixCopyPaste: strings.TrimSpace(d.Payment.PixCopyPaste),
			BoletoLine: strings.TrimSpace(d.Payment.BoletoLine)}, Status: bot.InvoiceOpen}
	for name, u := range map[string]string{"payment.link": inv.Payment.Link, "pdf_url": inv.PDFURL} {
		if u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return bot.Customer{}, bot.Invoice{}, bot.Invalid(field(name), "must be an http(s) URL")
		}
	}
	if line := inv.Payment.BoletoLine; line != "" {
		// A debtor types this line into a banking app: a wrong digit found
		// now is a billing-system bug, found by the debtor it is a failed
		// payment. Stored in the printed grouping, whatever the input's.
		b, err := boleto.Parse(line)
		if err != nil {
			return bot.Customer{}, bot.Invoice{}, bot.Invalid(field("payment.boleto_line"), "%q is not a valid linha digitável: %s",
				line, strings.TrimPrefix(err.Error(), "boleto: "))
		}
		inv.Payment.BoletoLine = b.Format()
	}
	return c, inv, nil
}

// Caps on invoice and customer fields, in characters. They are generous
// for real data (a BR Code is under 512, a URL under 2048 in practice) and
// keep one record from filling a row with megabytes.
const (
	maxIDChars          = 100
	maxNameChars        = 200
	maxDescriptionChars = 1000
	maxURLChars         = 2048
	maxPaymentChars     = 512
	maxShortChars       = 32 // currency, due date, locale, document
)

// checkText passes every text field through the input gate: a billing
// system's data is refused, never altered (package input), so a NUL or
// invalid UTF-8 is a 422 naming the field on every database, instead of a
// 500 on PostgreSQL and a stored NUL on SQLite.
func (d InvoiceData) checkText(prefix string) error {
	fields := []input.Field{
		{Name: prefix + "invoice_id", Value: d.InvoiceID, Max: maxIDChars},
		{Name: prefix + "currency", Value: d.Currency, Max: maxShortChars},
		{Name: prefix + "due_date", Value: d.DueDate, Max: maxShortChars},
		{Name: prefix + "description", Value: d.Description, Max: maxDescriptionChars},
		{Name: prefix + "payment.link", Value: d.Payment.Link, Max: maxURLChars},
		{Name: prefix + "payment.pix_copy_paste", Value: d.Payment.PixCopyPaste, Max: maxPaymentChars},
		{Name: prefix + "payment.boleto_line", Value: d.Payment.BoletoLine, Max: maxShortChars * 2},
		{Name: prefix + "pdf_url", Value: d.PDFURL, Max: maxURLChars},
	}
	for _, it := range d.Items {
		fields = append(fields, input.Field{Name: prefix + "items", Value: it.Description, Max: maxDescriptionChars})
	}
	return input.CheckAll(fields...) // the customer's fields: CustomerData.ToDomain
}

// checkText is InvoiceData.checkText for a customer object.
func (d CustomerData) checkText(prefix string) error {
	return input.CheckAll(
		input.Field{Name: prefix + "id", Value: d.ID, Max: maxIDChars},
		input.Field{Name: prefix + "name", Value: d.Name, Max: maxNameChars},
		input.Field{Name: prefix + "phone", Value: d.Phone, Max: maxShortChars},
		input.Field{Name: prefix + "email", Value: d.Email, Max: maxNameChars},
		input.Field{Name: prefix + "document", Value: d.Document, Max: maxShortChars},
		input.Field{Name: prefix + "locale", Value: d.Locale, Max: maxShortChars},
	)
}

// ToDomain validates a customer object.
func (d CustomerData) ToDomain(prefix string) (bot.Customer, error) {
	if err := d.checkText(prefix); err != nil {
		return bot.Customer{}, err
	}
	name := strings.TrimSpace(d.Name)
	if name == "" {
		return bot.Customer{}, bot.Invalid(prefix+"name", "is required")
	}
	if strings.TrimSpace(d.Phone) == "" {
		return bot.Customer{}, bot.Invalid(prefix+"phone", "is required")
	}
	e164, err := phone.Normalize(d.Phone, "BR")
	if err != nil {
		return bot.Customer{}, bot.Invalid(prefix+"phone", "%q is not a valid phone number: %s", d.Phone, strings.TrimPrefix(err.Error(), "phone: "))
	}
	locale, ok := locales[strings.ToLower(strings.TrimSpace(d.Locale))]
	if !ok {
		return bot.Customer{}, bot.Invalid(prefix+"locale", "must be pt-BR, en or es, got %q", d.Locale)
	}
	return bot.Customer{ExternalID: strings.TrimSpace(d.ID), Name: name, Phone: e164, Email: strings.TrimSpace(d.Email),
		Document: strings.TrimSpace(d.Document), Locale: locale}, nil
}
