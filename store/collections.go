package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/quitabot/quita/bot"
)

type collectionRow struct {
	InvoiceID string `gorm:"primaryKey"`
	Status    string
	Until     string
	Detail    string
	UpdatedAt time.Time
}

func (collectionRow) TableName() string { return "collections" }

// Collections returns the collection state of the given invoices; invoices
// without a row are left out (they are active).
func (s *Store) Collections(ctx context.Context, invoiceIDs []string) (map[string]bot.Collection, error) {
	out := map[string]bot.Collection{}
	if len(invoiceIDs) == 0 {
		return out, nil
	}
	var rows []collectionRow
	if err := s.Gorm.WithContext(ctx).Where("invoice_id IN ?", invoiceIDs).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: collections: %w", err)
	}
	for _, r := range rows {
		out[r.InvoiceID] = bot.Collection{InvoiceID: r.InvoiceID, Status: bot.CollectionStatus(r.Status), Until: r.Until,
			Detail: []byte(r.Detail), UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// saveCollections upserts collection states inside a turn's transaction.
func saveCollections(tx *gorm.DB, cs []bot.Collection) error {
	for _, c := range cs {
		row := collectionRow{InvoiceID: c.InvoiceID, Status: string(c.Status), Until: c.Until, Detail: string(c.Detail), UpdatedAt: c.UpdatedAt.UTC()}
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "invoice_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"status", "until", "detail", "updated_at"})}).Create(&row).Error
		if err != nil {
			return fmt.Errorf("collection of %s: %w", c.InvoiceID, err)
		}
	}
	return nil
}
