package store

import (
	"context"
	"fmt"
	"time"
)

// SystemEvent is a service-level event: a transport link changing state.
type SystemEvent struct {
	ID     string `gorm:"primaryKey"`
	At     time.Time
	Source string // e.g. "whatsapp +55…1234"
	Kind   string // e.g. the link state
	Detail string
}

// TableName maps SystemEvent to its table.
func (SystemEvent) TableName() string { return "system_events" }

// RecordSystemEvent appends one event.
func (s *Store) RecordSystemEvent(ctx context.Context, e SystemEvent) error {
	e.At = e.At.UTC()
	if err := s.Gorm.WithContext(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("store: record system event: %w", err)
	}
	return nil
}

// SystemEvents returns the most recent events, newest first.
func (s *Store) SystemEvents(ctx context.Context, limit int) ([]SystemEvent, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var out []SystemEvent
	if err := s.Gorm.WithContext(ctx).Order("at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: system events: %w", err)
	}
	return out, nil
}
