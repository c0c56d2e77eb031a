package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/quitabot/quita/bot"
)

// CustomerByPhone returns the most recently updated customer holding any
// of phones (callers pass the ninth-digit variants), or nil.
func (s *Store) CustomerByPhone(ctx context.Context, phones []string) (*bot.Customer, error) {
	if len(phones) == 0 {
		return nil, nil
	}
	var row customerRow
	err := s.Gorm.WithContext(ctx).Where("phone IN ?", phones).Order("updated_at DESC, id").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: customer by phone: %w", err)
	}
	c := row.toDomain()
	return &c, nil
}

// Customer returns one customer by Quita id.
func (s *Store) Customer(ctx context.Context, id string) (bot.Customer, error) {
	var row customerRow
	if err := s.Gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return bot.Customer{}, notFound(err, "customer %s", id)
	}
	return row.toDomain(), nil
}

// UpsertCustomer creates or updates a customer keyed by ID.
func (s *Store) UpsertCustomer(ctx context.Context, c bot.Customer) error {
	return upsertCustomer(s.Gorm.WithContext(ctx), c)
}

func upsertCustomer(db *gorm.DB, c bot.Customer) error {
	row := customerToRow(c)
	err := db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"external_id", "name", "phone", "email", "document", "locale", "tags", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: upsert customer: %w", err)
	}
	return nil
}

// UpsertInvoice creates or updates an invoice (and its customer) in one
// transaction, keyed by the billing system's invoice id.
func (s *Store) UpsertInvoice(ctx context.Context, c bot.Customer, inv bot.Invoice) error {
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := upsertCustomer(tx, c); err != nil {
			return err
		}
		row := invoiceToRow(inv)
		return tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "id"}},
			DoUpdates: clause.AssignmentColumns([]string{"customer_id", "amount_cents", "currency", "due_date", "description",
				"items", "payment_link", "pix_copy_paste", "boleto_line", "pdf_url", "status", "updated_at"}),
		}).Create(&row).Error
	})
}

// Invoice returns one invoice by the billing system's id.
func (s *Store) Invoice(ctx context.Context, id string) (bot.Invoice, error) {
	var row invoiceRow
	if err := s.Gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return bot.Invoice{}, notFound(err, "invoice %s", id)
	}
	return row.toDomain(), nil
}

// OpenInvoices lists a customer's open invoices, earliest due first.
func (s *Store) OpenInvoices(ctx context.Context, customerID string) ([]bot.Invoice, error) {
	var rows []invoiceRow
	err := s.Gorm.WithContext(ctx).Where("customer_id = ? AND status = ?", customerID, bot.InvoiceOpen).
		Order("due_date, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: open invoices: %w", err)
	}
	return fromRows[bot.Invoice](rows), nil
}

// Setting returns a service-wide value, or "" when unset.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v []string
	if err := s.Gorm.WithContext(ctx).Table("settings").Where("key = ?", key).Pluck("value", &v).Error; err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	if len(v) == 0 {
		return "", nil
	}
	return v[0], nil
}

// SettingOrCreate returns the stored value for key, storing value first if
// there is none; created reports which happened. Two instances starting at
// once agree on one value.
func (s *Store) SettingOrCreate(ctx context.Context, key, value string) (stored string, created bool, err error) {
	res := s.Gorm.WithContext(ctx).Exec(
		"INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING", key, value, time.Now().UTC())
	if res.Error != nil {
		return "", false, fmt.Errorf("store: create setting %s: %w", key, res.Error)
	}
	stored, err = s.Setting(ctx, key)
	return stored, res.RowsAffected == 1, err
}
