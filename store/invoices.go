package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/quitabot/quita/bot"
)

// InvoiceChange says what ApplyInvoice did.
type InvoiceChange string

// Outcomes of ApplyInvoice.
const (
	InvoiceCreated   InvoiceChange = "created"
	InvoiceUpdated   InvoiceChange = "updated"
	InvoiceUnchanged InvoiceChange = "unchanged"
)

// ApplyInvoice stores an invoice and its customer from a billing system in
// one transaction. The customer is found by its external id, else by
// phone, else created with newCustomerID. Sending the same content twice
// changes nothing (not even updated_at) and reports InvoiceUnchanged.
func (s *Store) ApplyInvoice(ctx context.Context, c bot.Customer, inv bot.Invoice, newCustomerID string) (InvoiceChange, bot.Invoice, error) {
	var change InvoiceChange
	apply := func() error {
		return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			change, inv, err = applyInvoiceTx(tx, c, inv, newCustomerID)
			return err
		})
	}
	err := apply()
	if err != nil && isUniqueViolation(err) {
		// Two events for a new customer raced to create it; the loser
		// retries and finds the winner's row.
		err = apply()
	}
	if err != nil {
		return "", bot.Invoice{}, fmt.Errorf("store: apply invoice %s: %w", inv.ID, err)
	}
	return change, inv, nil
}

// applyInvoiceTx is ApplyInvoice inside the caller's transaction, so a bulk
// import can apply many invoices per commit.
func applyInvoiceTx(tx *gorm.DB, c bot.Customer, inv bot.Invoice, newCustomerID string) (InvoiceChange, bot.Invoice, error) {
	existing, err := resolveCustomer(tx, c)
	if err != nil {
		return "", inv, err
	}
	if existing != nil {
		c.ID, c.CreatedAt = existing.ID, existing.CreatedAt
		if c.ExternalID == "" {
			c.ExternalID = existing.ExternalID
		}
		if customerToRow(c).sameAs(*existing) {
			c.UpdatedAt = existing.UpdatedAt
		} else if err := upsertCustomer(tx, c); err != nil {
			return "", inv, err
		} else if c.Phone != existing.Phone && existing.Phone != "" && c.Phone != "" {
			// A corrected phone takes the history with it (see movePhone).
			if err := movePhone(tx, existing.ID, existing.Phone, c.Phone, c.UpdatedAt); err != nil {
				return "", inv, err
			}
		}
	} else {
		c.ID = newCustomerID
		if err := upsertCustomer(tx, c); err != nil {
			return "", inv, err
		}
	}
	inv.CustomerID = c.ID
	change := InvoiceCreated
	var old invoiceRow
	err = tx.Where("id = ?", inv.ID).Take(&old).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return "", inv, err
	default:
		inv.CreatedAt = old.CreatedAt
		if old.Status != string(bot.InvoiceOpen) {
			// Paid and cancelled are final: a late invoice.updated must not reopen collection.
			inv.Status = bot.InvoiceStatus(old.Status)
		}
		if invoiceToRow(inv).sameAs(old) {
			return InvoiceUnchanged, old.toDomain(), nil
		}
		change = InvoiceUpdated
	}
	row := invoiceToRow(inv)
	err = tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"customer_id", "amount_cents", "currency", "due_date", "description",
			"items", "payment_link", "pix_copy_paste", "boleto_line", "pdf_url", "status", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return "", inv, err
	}
	return change, inv, nil
}

func resolveCustomer(tx *gorm.DB, c bot.Customer) (*customerRow, error) {
	var row customerRow
	q := tx.Where("phone = ?", c.Phone)
	if c.ExternalID != "" {
		// The redundant condition repeats the partial index's predicate:
		// SQLite uses a partial index only when the query states it, and
		// without it every lookup scanned the table (an import slowed
		// quadratically).
		q = tx.Where("external_id = ? AND external_id <> ''", c.ExternalID)
	}
	err := q.Order("updated_at DESC, id").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &row, err
}

// sameAs compares the content a billing system controls.
func (r customerRow) sameAs(o customerRow) bool {
	return r.ExternalID == o.ExternalID && r.Name == o.Name && r.Phone == o.Phone && r.Email == o.Email &&
		r.Document == o.Document && r.Locale == o.Locale
}

func (r invoiceRow) sameAs(o invoiceRow) bool {
	return r.CustomerID == o.CustomerID && r.AmountCents == o.AmountCents && r.Currency == o.Currency &&
		r.DueDate == o.DueDate && r.Description == o.Description && r.Items == o.Items && r.PaymentLink == o.PaymentLink &&
		r.PixCopyPaste == o.PixCopyPaste && r.BoletoLine == o.BoletoLine && r.PDFURL == o.PDFURL && r.Status == o.Status
}
