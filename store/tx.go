package store

import (
	"context"

	"gorm.io/gorm"
)

// WithTx runs fn with a Store bound to one transaction: everything fn does
// through it commits together or not at all. Methods that open their own
// transaction nest as savepoints.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.Gorm.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		return fn(&Store{DB: s.DB, Gorm: g, Dialect: s.Dialect, Location: s.Location})
	})
}
