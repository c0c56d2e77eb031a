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

// deliveryRank orders delivery statuses: a report never moves a message
// backwards (a late "delivered" after "read" is ignored), and a failure
// after delivery is not believed.
var deliveryRank = map[string]int{
	bot.DeliveryQueued: 1, bot.DeliverySent: 2, bot.DeliveryFailed: 3, bot.DeliveryDelivered: 4, bot.DeliveryRead: 5,
}

// ApplyDeliveryReport moves the transcript entries of the message the
// transport knows as r.ExternalID to r.Status. It returns the message's
// conversation and whether anything changed; a report for a message this
// service did not send changes nothing.
func (s *Store) ApplyDeliveryReport(ctx context.Context, r bot.DeliveryReport) (string, bool, error) {
	rank, ok := deliveryRank[r.Status]
	if !ok || r.ExternalID == "" {
		return "", false, bot.Invalid("status", "unknown delivery status %q", r.Status)
	}
	var convID string
	changed := false
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var item outboxRow
		err := tx.Select("id, conversation_id").Where("transport = ? AND external_id = ?", r.Transport, r.ExternalID).Take(&item).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		convID = item.ConversationID
		lower := make([]string, 0, len(deliveryRank))
		for st, rk := range deliveryRank {
			if rk < rank {
				lower = append(lower, st)
			}
		}
		res := tx.Model(&transcriptRow{}).Where("outbox_id = ? AND outbox_id <> '' AND status IN ?", item.ID, lower).Update("status", r.Status)
		changed = res.RowsAffected > 0
		return res.Error
	})
	if err != nil {
		return "", false, fmt.Errorf("store: delivery report: %w", err)
	}
	return convID, changed, nil
}

// LastInbound is when the debtor at phone last wrote on transport; zero
// when never.
func (s *Store) LastInbound(ctx context.Context, transport, phone string) (time.Time, error) {
	var row inboxRow
	err := s.Gorm.WithContext(ctx).Select("sent_at").Where("transport = ? AND sender = ?", transport, phone).
		Order("sent_at DESC").Limit(1).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: last inbound: %w", err)
	}
	return row.SentAt, nil
}

// whatsappRouteRow is the linked number a debtor talks with.
type whatsappRouteRow struct {
	Phone     string `gorm:"primaryKey"`
	Device    string
	UpdatedAt time.Time
}

func (whatsappRouteRow) TableName() string { return "whatsapp_routes" }

// Route returns the linked device the debtor at phone talks with, or ""
// when none is recorded.
func (s *Store) Route(ctx context.Context, phone string) (string, error) {
	var row whatsappRouteRow
	err := s.Gorm.WithContext(ctx).Where("phone = ?", phone).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: whatsapp route: %w", err)
	}
	return row.Device, nil
}

// SetRoute records that the debtor at phone talks with device.
func (s *Store) SetRoute(ctx context.Context, phone, device string) error {
	row := whatsappRouteRow{Phone: phone, Device: device, UpdatedAt: time.Now().UTC()}
	err := s.Gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "phone"}}, DoUpdates: clause.AssignmentColumns([]string{"device", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: set whatsapp route: %w", err)
	}
	return nil
}

// IdleHeldConversations lists conversations an agent holds whose last
// activity is before idleSince, oldest first.
func (s *Store) IdleHeldConversations(ctx context.Context, idleSince time.Time, limit int) ([]bot.Conversation, error) {
	var rows []conversationRow
	err := s.Gorm.WithContext(ctx).Where("agent <> '' AND updated_at < ?", idleSince.UTC()).
		Order("updated_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: idle held conversations: %w", err)
	}
	return fromRows[bot.Conversation](rows), nil
}
