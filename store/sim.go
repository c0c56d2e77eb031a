package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// SimMessage is one message the simulator transport delivered.
type SimMessage struct {
	ID        string
	Recipient string
	At        time.Time
	Text      string
	Payload   string // JSON with buttons/document, for the chat page
	OutboxID  string
}

type simRow struct {
	ID        string `gorm:"primaryKey"`
	Recipient string
	At        time.Time
	Text      string
	Payload   string
	OutboxID  string
}

func (simRow) TableName() string { return "sim_messages" }

// AppendSimMessage records a simulated delivery. It is idempotent per
// outbox id, so a retried send after a crash is not shown twice.
func (s *Store) AppendSimMessage(ctx context.Context, m SimMessage) error {
	row := simRow(m)
	row.At = row.At.UTC()
	err := s.Gorm.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "outbox_id"}}, DoNothing: true}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: append sim message: %w", err)
	}
	return nil
}

// SimMessages lists what the simulator delivered to recipient, in order.
func (s *Store) SimMessages(ctx context.Context, recipient string) ([]SimMessage, error) {
	var rows []simRow
	if err := s.Gorm.WithContext(ctx).Where("recipient = ?", recipient).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: sim messages: %w", err)
	}
	out := make([]SimMessage, len(rows))
	for i, r := range rows {
		out[i] = SimMessage(r)
	}
	return out, nil
}

// LastSimMessageID returns the id of the latest simulated delivery ("" if
// none); ids grow with time, so it marks a point in the log.
func (s *Store) LastSimMessageID(ctx context.Context) (string, error) {
	var ids []string
	if err := s.Gorm.WithContext(ctx).Model(&simRow{}).Order("id DESC").Limit(1).Pluck("id", &ids).Error; err != nil {
		return "", fmt.Errorf("store: last sim message: %w", err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// SimMessagesAfter lists simulated deliveries to anyone after the given id.
func (s *Store) SimMessagesAfter(ctx context.Context, afterID string) ([]SimMessage, error) {
	var rows []simRow
	if err := s.Gorm.WithContext(ctx).Where("id > ?", afterID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: sim messages: %w", err)
	}
	out := make([]SimMessage, len(rows))
	for i, r := range rows {
		out[i] = SimMessage(r)
	}
	return out, nil
}
