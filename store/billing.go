package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// SetInvoiceStatus moves an open invoice to paid or cancelled. It reports
// whether anything changed: settling an invoice that is already settled is
// a no-op, so a repeated billing event has no second effect.
func (s *Store) SetInvoiceStatus(ctx context.Context, id string, status bot.InvoiceStatus, at time.Time) (bot.Invoice, bool, error) {
	var inv bot.Invoice
	changed := false
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row invoiceRow
		if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
			return notFound(err, "invoice %s", id)
		}
		if row.Status == string(status) || row.Status != string(bot.InvoiceOpen) && status != bot.InvoicePaid {
			inv = row.toDomain()
			return nil
		}
		// A cancelled invoice that the billing system then reports paid is
		// paid: money received wins.
		read := row.Status
		row.Status, row.UpdatedAt = string(status), at.UTC()
		// Conditional on the status read: of two concurrent events for one
		// invoice only one changes it (and only that one thanks the debtor).
		res := tx.Model(&invoiceRow{}).Where("id = ? AND status = ?", id, read).
			Updates(map[string]any{"status": row.Status, "updated_at": row.UpdatedAt})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
				return err
			}
			inv = row.toDomain()
			return nil
		}
		inv, changed = row.toDomain(), true
		return s.recordSettlement(tx, inv, at)
	})
	if err != nil {
		var be *bot.Error
		if errors.As(err, &be) {
			return bot.Invoice{}, false, err
		}
		return bot.Invoice{}, false, fmt.Errorf("store: set invoice %s %s: %w", id, status, err)
	}
	return inv, changed, nil
}

// UpdateCustomerByExternalID applies a billing system's customer.updated.
// It returns not_found when no customer has that external id.
func (s *Store) UpdateCustomerByExternalID(ctx context.Context, c bot.Customer) (bot.Customer, bool, error) {
	var out bot.Customer
	changed := false
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row customerRow
		// The repeated condition lets SQLite use the partial unique index.
		if err := tx.Where("external_id = ? AND external_id <> ''", c.ExternalID).Take(&row).Error; err != nil {
			return notFound(err, "customer %s", c.ExternalID)
		}
		c.ID, c.CreatedAt, c.Tags = row.ID, row.CreatedAt, row.toDomain().Tags
		if customerToRow(c).sameAs(row) {
			out = row.toDomain()
			return nil
		}
		changed = true
		out = c
		if err := upsertCustomer(tx, c); err != nil {
			return err
		}
		if c.Phone != row.Phone && row.Phone != "" && c.Phone != "" {
			return movePhone(tx, row.ID, row.Phone, c.Phone, c.UpdatedAt)
		}
		return nil
	})
	return out, changed, err
}

// movePhone follows a corrected phone: the customer's conversations on the
// old number move to the new one (where the customer has none on that
// transport yet), so the history stays with the customer, and messages
// still queued for the old number are cancelled, so it is not messaged
// again. A later message from the old number starts as an unknown one.
func movePhone(tx *gorm.DB, customerID, oldPhone, newPhone string, at time.Time) error {
	olds := phone.Variants(oldPhone)
	var convs []conversationRow
	if err := tx.Where("customer_id = ? AND phone IN ?", customerID, olds).Find(&convs).Error; err != nil {
		return fmt.Errorf("store: move phone: %w", err)
	}
	ids := make([]string, len(convs))
	for i, cv := range convs {
		ids[i] = cv.ID
		var taken int64
		if err := tx.Model(&conversationRow{}).Where("transport = ? AND phone = ?", cv.Transport, newPhone).
			Count(&taken).Error; err != nil {
			return fmt.Errorf("store: move phone: %w", err)
		}
		if taken == 0 {
			if err := tx.Model(&conversationRow{}).Where("id = ?", cv.ID).UpdateColumns(map[string]any{
				"phone": newPhone, "version": gorm.Expr("version + 1"), "updated_at": at.UTC()}).Error; err != nil {
				return fmt.Errorf("store: move phone: %w", err)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var queued []string
	if err := tx.Model(&outboxRow{}).Where("kind = ? AND status = ? AND recipient IN ? AND conversation_id IN ?",
		bot.OutboxMessage, bot.OutboxPending, olds, ids).
		Pluck("id", &queued).Error; err != nil {
		return fmt.Errorf("store: move phone: queued: %w", err)
	}
	if len(queued) == 0 {
		return nil
	}
	if err := tx.Model(&outboxRow{}).Where("id IN ?", queued).UpdateColumns(map[string]any{
		"status": bot.OutboxFailed, "last_error": "the customer's phone was corrected; not sent to the old number",
		"claimed_until": nil, "claim_token": ""}).Error; err != nil {
		return fmt.Errorf("store: move phone: cancel: %w", err)
	}
	return tx.Model(&transcriptRow{}).Where("outbox_id IN ? AND outbox_id <> ''", queued).
		Update("status", bot.DeliveryFailed).Error
}

// InvoiceFilter narrows Invoices. Overdue means open with a due date
// before Today (YYYY-MM-DD in the business timezone).
type InvoiceFilter struct {
	Status  string
	Overdue bool
	Today   string
	Phones  []string
	After   string // id cursor: invoices with a greater id
	Limit   int
}

// InvoiceWithCustomer pairs an invoice with its debtor for listings.
type InvoiceWithCustomer struct {
	Invoice  bot.Invoice
	Customer bot.Customer
}

// Invoices lists invoices by id, with their customers.
func (s *Store) Invoices(ctx context.Context, f InvoiceFilter) ([]InvoiceWithCustomer, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := s.Gorm.WithContext(ctx).Model(&invoiceRow{}).Order("id").Limit(limit)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Overdue {
		q = q.Where("status = ? AND due_date < ?", bot.InvoiceOpen, f.Today)
	}
	if len(f.Phones) > 0 {
		q = q.Where("customer_id IN (?)", s.Gorm.Model(&customerRow{}).Select("id").Where("phone IN ?", f.Phones))
	}
	if f.After != "" {
		q = q.Where("id > ?", f.After)
	}
	var rows []invoiceRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list invoices: %w", err)
	}
	ids := map[string]bool{}
	var customerIDs []string
	for _, r := range rows {
		if !ids[r.CustomerID] {
			ids[r.CustomerID] = true
			customerIDs = append(customerIDs, r.CustomerID)
		}
	}
	customers := map[string]bot.Customer{}
	if len(customerIDs) > 0 {
		var crows []customerRow
		if err := s.Gorm.WithContext(ctx).Where("id IN ?", customerIDs).Find(&crows).Error; err != nil {
			return nil, fmt.Errorf("store: list invoice customers: %w", err)
		}
		for _, c := range crows {
			customers[c.ID] = c.toDomain()
		}
	}
	out := make([]InvoiceWithCustomer, len(rows))
	for i, r := range rows {
		out[i] = InvoiceWithCustomer{Invoice: r.toDomain(), Customer: customers[r.CustomerID]}
	}
	return out, nil
}

// AnyInvoiceOpen reports whether at least one of ids is an open invoice;
// the sender asks before a proactive message about them goes out.
func (s *Store) AnyInvoiceOpen(ctx context.Context, ids []string) (bool, error) {
	if len(ids) == 0 {
		return false, nil
	}
	var n int64
	err := s.Gorm.WithContext(ctx).Model(&invoiceRow{}).Where("id IN ? AND status = ?", ids, bot.InvoiceOpen).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: open invoices: %w", err)
	}
	return n > 0, nil
}
