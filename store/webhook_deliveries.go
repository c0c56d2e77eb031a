package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Statuses of a received billing webhook delivery.
const (
	WebhookApplied  = "applied"  // its effect is in the database
	WebhookIgnored  = "ignored"  // valid, but an unknown type: recorded, nothing to do
	WebhookRejected = "rejected" // invalid; the sender may fix it and send the same id again
)

// WebhookDelivery is one billing webhook as received, kept for idempotency
// and for support.
type WebhookDelivery struct {
	ID         string    `gorm:"primaryKey"`
	Type       string    `gorm:"column:type"`
	Status     string    `gorm:"column:status"`
	Error      string    `gorm:"column:error"`
	Body       string    `gorm:"column:body"`
	ReceivedAt time.Time `gorm:"column:received_at"`
}

// TableName implements gorm's tabler.
func (WebhookDelivery) TableName() string { return "webhook_deliveries" }

// WebhookDeliveryByID returns a recorded delivery, or nil.
func (s *Store) WebhookDeliveryByID(ctx context.Context, id string) (*WebhookDelivery, error) {
	var d WebhookDelivery
	err := s.Gorm.WithContext(ctx).Where("id = ?", id).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: webhook delivery: %w", err)
	}
	return &d, nil
}

// RecordWebhookDelivery stores a delivery. A rejected one may be replaced
// by a later attempt with the same id; an applied or ignored one never is,
// and recording it again fails with a conflict so a concurrent duplicate
// rolls back its transaction.
func (s *Store) RecordWebhookDelivery(ctx context.Context, d WebhookDelivery) error {
	d.ReceivedAt = d.ReceivedAt.UTC()
	res := s.Gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"type", "status", "error", "body", "received_at"}),
		Where:     clause.Where{Exprs: []clause.Expression{clause.Eq{Column: clause.Column{Table: "webhook_deliveries", Name: "status"}, Value: WebhookRejected}}},
	}).Create(&d)
	if res.Error != nil {
		return fmt.Errorf("store: record webhook delivery: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrDuplicateDelivery
	}
	return nil
}

// ErrDuplicateDelivery means the webhook id was already applied.
var ErrDuplicateDelivery = errors.New("store: webhook delivery already applied")

// WebhookDeliveries lists received deliveries, newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, status string, limit int) ([]WebhookDelivery, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := s.Gorm.WithContext(ctx).Order("received_at DESC, id DESC").Limit(limit)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var out []WebhookDelivery
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	return out, nil
}
