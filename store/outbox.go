package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/quitabot/quita/bot"
)

// ClaimOutbox leases up to limit pending items of kind that are due at now
// and not leased by anybody else, until now+lease. Restricting to ids lets
// a caller deliver the items it just created without waiting for a poll.
// The lease is taken with one conditional UPDATE so two instances never
// claim the same item; an instance that dies loses its lease when it
// expires and the item is claimed again.
func (s *Store) ClaimOutbox(ctx context.Context, kind string, now time.Time, lease time.Duration, limit int, ids []string) ([]bot.OutboxItem, error) {
	now = now.UTC()
	token := claimToken()
	db := s.Gorm.WithContext(ctx)
	due := func(q *gorm.DB) *gorm.DB {
		q = q.Where("kind = ? AND status = ? AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)",
			kind, bot.OutboxPending, now, now)
		if len(ids) > 0 {
			q = q.Where("id IN ?", ids)
		}
		return q
	}
	candidates := due(db.Model(&outboxRow{}).Select("id")).Order("next_attempt_at, id").Limit(limit)
	// The outer conditions repeat the inner ones: PostgreSQL re-checks them
	// on a row another transaction just claimed, so it is skipped.
	res := due(db.Model(&outboxRow{}).Where("id IN (?)", candidates)).
		Updates(map[string]any{"claimed_until": now.Add(lease), "claim_token": token})
	if res.Error != nil {
		return nil, fmt.Errorf("store: claim outbox: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, nil
	}
	var rows []outboxRow
	// "<> ''" lets the partial index outbox_claim_token serve a generic plan.
	if err := db.Where("claim_token = ? AND claim_token <> ''", token).Order("next_attempt_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: load claimed outbox: %w", err)
	}
	return fromRows[bot.OutboxItem](rows), nil
}

func claimToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// MarkOutboxSent records a delivery and moves linked transcript entries
// from queued to sent, in one transaction.
func (s *Store) MarkOutboxSent(ctx context.Context, id, externalID string, at time.Time) error {
	return s.finishOutbox(ctx, id, map[string]any{
		"status": bot.OutboxSent, "external_id": externalID, "sent_at": at.UTC(), "claimed_until": nil,
		"attempts": gorm.Expr("attempts + 1"),
	}, bot.DeliverySent)
}

// MarkOutboxFailed gives up on an item and marks linked entries failed.
func (s *Store) MarkOutboxFailed(ctx context.Context, id, reason string, at time.Time) error {
	return s.finishOutbox(ctx, id, map[string]any{
		"status": bot.OutboxFailed, "last_error": reason, "claimed_until": nil, "attempts": gorm.Expr("attempts + 1"),
	}, bot.DeliveryFailed)
}

// MarkOutboxRetry records a failed attempt and schedules the next one.
func (s *Store) MarkOutboxRetry(ctx context.Context, id, reason string, next time.Time) error {
	err := s.Gorm.WithContext(ctx).Model(&outboxRow{}).Where("id = ?", id).Updates(map[string]any{
		"last_error": reason, "next_attempt_at": next.UTC(), "claimed_until": nil, "attempts": gorm.Expr("attempts + 1"),
	}).Error
	if err != nil {
		return fmt.Errorf("store: outbox retry: %w", err)
	}
	return nil
}

// DueMessages counts outbox messages due by now and not yet finished,
// whether claimed or not.
func (s *Store) DueMessages(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.Gorm.WithContext(ctx).Model(&outboxRow{}).
		Where("kind = ? AND status = ? AND next_attempt_at <= ?", bot.OutboxMessage, bot.OutboxPending, now.UTC()).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("store: due messages: %w", err)
	}
	return n, nil
}

// DeferOutbox puts an item back until next without counting an attempt.
func (s *Store) DeferOutbox(ctx context.Context, id, reason string, next time.Time) error {
	err := s.Gorm.WithContext(ctx).Model(&outboxRow{}).Where("id = ?", id).Updates(map[string]any{
		"last_error": reason, "next_attempt_at": next.UTC(), "claimed_until": nil,
	}).Error
	if err != nil {
		return fmt.Errorf("store: outbox defer: %w", err)
	}
	return nil
}

func (s *Store) finishOutbox(ctx context.Context, id string, fields map[string]any, entryStatus string) error {
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&outboxRow{}).Where("id = ?", id).Updates(fields).Error; err != nil {
			return err
		}
		// Status is outside the hash chain, so updating it keeps the chain valid.
		// The repeated condition lets SQLite use the partial index
		// transcript_outbox (WHERE outbox_id <> ''); without it, every send
		// scanned the transcript table.
		return tx.Model(&transcriptRow{}).Where("outbox_id = ? AND outbox_id <> ''", id).Update("status", entryStatus).Error
	})
	if err != nil {
		return fmt.Errorf("store: finish outbox %s: %w", id, err)
	}
	return nil
}

// OutboxItems returns the items with the given ids, in id order.
func (s *Store) OutboxItems(ctx context.Context, ids []string) ([]bot.OutboxItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []outboxRow
	if err := s.Gorm.WithContext(ctx).Where("id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: outbox items: %w", err)
	}
	return fromRows[bot.OutboxItem](rows), nil
}

// OutboxCounts returns the number of items per kind and status, for metrics.
func (s *Store) OutboxCounts(ctx context.Context) (map[[2]string]int64, error) {
	var rows []struct {
		Kind   string
		Status string
		N      int64
	}
	err := s.Gorm.WithContext(ctx).Model(&outboxRow{}).Select("kind, status, COUNT(*) AS n").Group("kind, status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: outbox counts: %w", err)
	}
	out := make(map[[2]string]int64, len(rows))
	for _, r := range rows {
		out[[2]string{r.Kind, r.Status}] = r.N
	}
	return out, nil
}
