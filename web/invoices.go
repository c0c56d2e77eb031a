package web

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/webhooks"
)

type customerJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Email    string `json:"email,omitempty"`
	Document string `json:"document,omitempty"`
	Locale   string `json:"locale,omitempty"`
}

type invoiceJSON struct {
	InvoiceID   string               `json:"invoice_id"`
	Customer    customerJSON         `json:"customer"`
	AmountCents int64                `json:"amount_cents"`
	Currency    string               `json:"currency"`
	DueDate     string               `json:"due_date"`
	Status      string               `json:"status"`
	Description string               `json:"description,omitempty"`
	Items       []bot.InvoiceItem    `json:"items"`
	Payment     webhooks.PaymentData `json:"payment"`
	PDFURL      string               `json:"pdf_url,omitempty"`
	UpdatedAt   string               `json:"updated_at"`
}

func (s *server) toInvoiceJSON(inv bot.Invoice, c bot.Customer) invoiceJSON {
	id := c.ExternalID
	if id == "" {
		id = c.ID
	}
	items := inv.Items
	if items == nil {
		items = []bot.InvoiceItem{}
	}
	return invoiceJSON{InvoiceID: inv.ID, AmountCents: inv.AmountCents, Currency: inv.Currency, DueDate: inv.DueDate,
		Status: string(inv.Status), Description: inv.Description, Items: items, PDFURL: inv.PDFURL,
		Payment:   webhooks.PaymentData{Link: inv.Payment.Link, PixCopyPaste: inv.Payment.PixCopyPaste, BoletoLine: inv.Payment.BoletoLine},
		Customer:  customerJSON{ID: id, Name: c.Name, Phone: c.Phone, Email: c.Email, Document: c.Document, Locale: c.Locale},
		UpdatedAt: inv.UpdatedAt.In(s.Location).Format(time.RFC3339)}
}

var invoiceStatuses = []string{string(bot.InvoiceOpen), string(bot.InvoicePaid), string(bot.InvoiceCancelled)}

// listInvoices: GET /v1/invoices?status=&overdue=true&phone=&after=&limit=
func (s *server) listInvoices(c *fiber.Ctx) error {
	f := store.InvoiceFilter{Status: c.Query("status"), After: c.Query("after"), Limit: c.QueryInt("limit", 100),
		Today: s.Clock.Now().In(s.Location).Format("2006-01-02")}
	if f.Status != "" && !contains(invoiceStatuses, f.Status) {
		return bot.Invalid("status", "must be one of %s", strings.Join(invoiceStatuses, ", "))
	}
	switch c.Query("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return bot.Invalid("overdue", "must be true or false")
	}
	if f.Limit < 1 || f.Limit > 500 {
		return bot.Invalid("limit", "must be between 1 and 500")
	}
	if p := c.Query("phone"); p != "" {
		e164, err := phone.Normalize(p, "BR")
		if err != nil {
			return bot.Invalid("phone", "%s", strings.TrimPrefix(err.Error(), "phone: "))
		}
		f.Phones = phone.Variants(e164)
	}
	list, err := s.Store.Invoices(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make([]invoiceJSON, len(list))
	for i, ic := range list {
		out[i] = s.toInvoiceJSON(ic.Invoice, ic.Customer)
	}
	resp := fiber.Map{"invoices": out}
	if len(list) == f.Limit {
		resp["next_after"] = list[len(list)-1].Invoice.ID
	}
	return c.JSON(resp)
}

func (s *server) getInvoice(c *fiber.Ctx) error {
	inv, err := s.Store.Invoice(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	cust, err := s.Store.Customer(c.UserContext(), inv.CustomerID)
	if err != nil {
		return err
	}
	return c.JSON(s.toInvoiceJSON(inv, cust))
}

// createInvoice: POST /v1/invoices with invoice.created's data; the same
// content again is a no-op (200), a new one 201.
func (s *server) createInvoice(c *fiber.Ctx) error {
	var d webhooks.InvoiceData
	if err := json.Unmarshal(c.Body(), &d); err != nil {
		return malformed(err)
	}
	cust, inv, err := d.ToDomain("")
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	cust.CreatedAt, cust.UpdatedAt, inv.CreatedAt, inv.UpdatedAt = now, now, now, now
	change, saved, err := s.Store.ApplyInvoice(c.UserContext(), cust, inv, s.Engine.NewID("cus"))
	if err != nil {
		return err
	}
	stored, err := s.Store.Customer(c.UserContext(), saved.CustomerID)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if change == store.InvoiceCreated {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(s.toInvoiceJSON(saved, stored))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
