package webhooks

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quitabot/quita/bot"
)

// Inbound event types of contract §4.1.
const (
	InvoiceCreated   = "invoice.created"
	InvoiceUpdated   = "invoice.updated"
	InvoicePaid      = "invoice.paid"
	InvoiceCancelled = "invoice.cancelled"
	CustomerUpdated  = "customer.updated"
)

// Envelope is the outer shape of every billing webhook body.
type Envelope struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// PaidData is invoice.paid's data.
type PaidData struct {
	InvoiceID   string `json:"invoice_id"`
	PaidAt      string `json:"paid_at"`
	AmountCents int64  `json:"amount_cents"`
	Method      string `json:"method"`
}

// CancelledData is invoice.cancelled's data.
type CancelledData struct {
	InvoiceID string `json:"invoice_id"`
	Reason    string `json:"reason"`
}

// CustomerUpdatedData is customer.updated's data.
type CustomerUpdatedData struct {
	Customer CustomerData `json:"customer"`
}

// Event is a parsed, validated inbound billing event. Exactly one of the
// payload fields is set, matching Type; an unknown Type sets none.
type Event struct {
	Type      string
	Known     bool
	Invoice   *InvoiceEvent
	Paid      *PaidEvent
	Cancelled *CancelledData
	Customer  *bot.Customer
}

// InvoiceEvent is invoice.created / invoice.updated, validated.
type InvoiceEvent struct {
	Customer bot.Customer
	Invoice  bot.Invoice
}

// PaidEvent is invoice.paid, validated.
type PaidEvent struct {
	InvoiceID   string
	PaidAt      time.Time
	AmountCents int64
	Method      string
}

// ParseEvent decodes and validates a billing webhook body. Malformed JSON
// is a bot.CodeMalformed error; a missing or invalid field is bot.Invalid
// naming it ("data.customer.phone"). now stamps a paid_at left out.
func ParseEvent(body []byte, now time.Time) (Event, error) {
	if !utf8.Valid(body) {
		return Event{}, bot.Errorf(bot.CodeMalformed, "the body is not valid UTF-8")
	}
	// NUL cannot be stored as text (PostgreSQL refuses it) and has no
	// business in names or ids: refuse it whole, escaped or raw.
	if bytes.IndexByte(body, 0) >= 0 || bytes.Contains(body, []byte(`\u0000`)) {
		return Event{}, bot.Invalid("data", "must not contain NUL characters")
	}
	var env Envelope
	if err := strictDecode(body, &env); err != nil {
		return Event{}, bot.Errorf(bot.CodeMalformed, "the body is not valid JSON: %v", err)
	}
	ev := Event{Type: strings.TrimSpace(env.Type), Known: true}
	if ev.Type == "" {
		return Event{}, bot.Invalid("type", "is required")
	}
	data := env.Data
	switch ev.Type {
	case InvoiceCreated, InvoiceUpdated, InvoicePaid, InvoiceCancelled, CustomerUpdated:
		if len(bytes.TrimSpace(data)) == 0 || bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
			return Event{}, bot.Invalid("data", "is required")
		}
	}
	switch ev.Type {
	case InvoiceCreated, InvoiceUpdated:
		var d InvoiceData
		if err := json.Unmarshal(data, &d); err != nil {
			return Event{}, bot.Invalid("data", "does not match the invoice object: %v", err)
		}
		c, inv, err := d.ToDomain("data.")
		if err != nil {
			return Event{}, err
		}
		ev.Invoice = &InvoiceEvent{Customer: c, Invoice: inv}
	case InvoicePaid:
		var d PaidData
		if err := json.Unmarshal(data, &d); err != nil {
			return Event{}, bot.Invalid("data", "does not match invoice.paid: %v", err)
		}
		p, err := d.validate(now)
		if err != nil {
			return Event{}, err
		}
		ev.Paid = &p
	case InvoiceCancelled:
		var d CancelledData
		if err := json.Unmarshal(data, &d); err != nil {
			return Event{}, bot.Invalid("data", "does not match invoice.cancelled: %v", err)
		}
		if d.InvoiceID = strings.TrimSpace(d.InvoiceID); d.InvoiceID == "" {
			return Event{}, bot.Invalid("data.invoice_id", "is required")
		}
		ev.Cancelled = &d
	case CustomerUpdated:
		var d CustomerUpdatedData
		if err := json.Unmarshal(data, &d); err != nil {
			return Event{}, bot.Invalid("data", "does not match customer.updated: %v", err)
		}
		if strings.TrimSpace(d.Customer.ID) == "" {
			return Event{}, bot.Invalid("data.customer.id", "is required")
		}
		c, err := d.Customer.ToDomain("data.customer.")
		if err != nil {
			return Event{}, err
		}
		ev.Customer = &c
	default:
		ev.Known = false
	}
	return ev, nil
}

func (d PaidData) validate(now time.Time) (PaidEvent, error) {
	p := PaidEvent{InvoiceID: strings.TrimSpace(d.InvoiceID), AmountCents: d.AmountCents, Method: strings.TrimSpace(d.Method), PaidAt: now}
	if p.InvoiceID == "" {
		return PaidEvent{}, bot.Invalid("data.invoice_id", "is required")
	}
	if d.AmountCents < 0 {
		return PaidEvent{}, bot.Invalid("data.amount_cents", "must not be negative")
	}
	if d.PaidAt != "" {
		t, err := time.Parse(time.RFC3339, d.PaidAt)
		if err != nil {
			if day, derr := time.Parse("2006-01-02", d.PaidAt); derr == nil {
				t = day
			} else {
				return PaidEvent{}, bot.Invalid("data.paid_at", "must be an RFC 3339 time or a date, got %q", d.PaidAt)
			}
		}
		p.PaidAt = t
	}
	return p, nil
}

// strictDecode decodes one JSON object and refuses trailing data.
func strictDecode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailing
	}
	return nil
}

type trailingError struct{}

func (trailingError) Error() string { return "unexpected data after the JSON object" }

var errTrailing = trailingError{}
