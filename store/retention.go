package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
	"github.com/quitabot/quita/bot/retention"
)

// RetentionCandidates lists, by id after the cursor, up to limit customers
// not yet erased with no open invoice and no activity since idleSince:
// the customer, its invoices and its conversations all last changed
// before it.
func (s *Store) RetentionCandidates(ctx context.Context, idleSince time.Time, after string, limit int) ([]retention.Candidate, error) {
	var out []retention.Candidate
	at := idleSince.UTC()
	err := s.Gorm.WithContext(ctx).Raw(`SELECT c.id, c.external_id FROM customers c
		WHERE c.erased_at IS NULL AND c.id > ? AND c.updated_at < ?
		AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id AND (i.status = ? OR i.updated_at >= ?))
		AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.customer_id = c.id AND v.updated_at >= ?)
		ORDER BY c.id LIMIT ?`, after, at, string(bot.InvoiceOpen), at, at, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: retention candidates: %w", err)
	}
	return out, nil
}

// EraseForRetention erases a customer the retention job found idle, as
// EraseCustomer does but never forced, and returns the rows erased by kind.
func (s *Store) EraseForRetention(ctx context.Context, c retention.Candidate, reason string, at time.Time, id, eventID string) (map[string]int64, error) {
	e, err := s.EraseCustomer(ctx, ErasureRequest{CustomerID: c.Name(), Reason: reason, Actor: "retention", At: at, ID: id, EventID: eventID})
	if err != nil {
		return nil, err
	}
	return map[string]int64{"customers": 1, "conversations": e.Erased.Conversations,
		"transcript_entries": e.Erased.TranscriptEntries, "media": e.Erased.Media, "inbox": e.Erased.InboxMessages,
		"outbox": e.Erased.OutboxRows, "sim_messages": e.Erased.SimMessages}, nil
}

// EraseIdleConversations erases the conversations of unknown numbers
// (tied to no customer, on a number no customer holds) with no activity
// since idleSince, limit per
// transaction, as an erasure does for a customer's; it returns the rows
// erased by kind.
func (s *Store) EraseIdleConversations(ctx context.Context, idleSince, at time.Time, limit int) (map[string]int64, error) {
	out := map[string]int64{}
	for {
		var n ErasedCounts
		var found int
		err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var convs []conversationRow
			// A number a customer still holds is that customer's to keep or
			// erase.
			if err := tx.Where(`customer_id IS NULL AND phone NOT LIKE 'erased:%' AND updated_at < ? AND NOT EXISTS
				(SELECT 1 FROM customers c WHERE c.phone = conversations.phone)`, idleSince.UTC()).
				Order("id").Limit(limit).Find(&convs).Error; err != nil {
				return fmt.Errorf("store: idle conversations: %w", err)
			}
			found = len(convs)
			if found == 0 {
				return nil
			}
			var phones []string
			for _, c := range convs {
				phones = append(phones, phone.Variants(c.Phone)...)
			}
			return eraseConversations(tx, convs, phones, at.UTC(), &n)
		})
		if err != nil {
			return out, err
		}
		out["unknown_conversations"] += n.Conversations
		out["transcript_entries"] += n.TranscriptEntries
		out["media"] += n.Media
		out["inbox"] += n.InboxMessages
		out["outbox"] += n.OutboxRows
		out["sim_messages"] += n.SimMessages
		if found < limit {
			return out, nil
		}
	}
}

// Prune kinds.
const (
	PruneOutbox    = "outbox"
	PruneInbox     = "inbox"
	PruneSim       = "sim_messages"
	PruneWebhooks  = "webhooks_received"
	PruneSessions  = "sessions"
	pruneBatchSize = 1000
)

// PruneOperational deletes operational records older than before:
// delivered outbox rows (with their delivery attempts), processed inbox
// rows, the simulator's log and received billing webhooks; and sessions,
// sign-in codes and login-failure counts that ended before now (the wall
// clock: they are security state, not records). It deletes in batches so
// no transaction holds a large table for long.
func (s *Store) PruneOperational(ctx context.Context, before, now time.Time) (map[string]int64, error) {
	out := map[string]int64{}
	b := before.UTC()
	db := s.Gorm.WithContext(ctx)
	for {
		var ids []string
		if err := db.Model(&outboxRow{}).Where("status = ? AND sent_at < ?", bot.OutboxSent, b).Limit(pruneBatchSize).
			Pluck("id", &ids).Error; err != nil {
			return out, fmt.Errorf("store: prune outbox: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		var n int64
		err := db.Transaction(func(tx *gorm.DB) (err error) {
			n, err = deleteOutbox(tx, ids)
			return err
		})
		out[PruneOutbox] += n
		if err != nil {
			return out, err
		}
	}
	for _, p := range []struct{ kind, table, where string }{
		{PruneInbox, "inbox", "processed_at IS NOT NULL AND processed_at < ?"},
		{PruneSim, "sim_messages", "at < ?"},
		{PruneWebhooks, "webhook_deliveries", "received_at < ?"},
	} {
		for {
			res := db.Exec("DELETE FROM "+p.table+" WHERE id IN (SELECT id FROM "+p.table+" WHERE "+p.where+" LIMIT ?)", b, pruneBatchSize)
			if res.Error != nil {
				return out, fmt.Errorf("store: prune %s: %w", p.table, res.Error)
			}
			out[p.kind] += res.RowsAffected
			if res.RowsAffected < pruneBatchSize {
				break
			}
		}
	}
	n, err := s.DeleteExpiredSimSessions(ctx, now)
	out[PruneSessions] += n
	if err != nil {
		return out, err
	}
	if n, err = s.DeleteExpiredConsoleSessions(ctx, now); err != nil {
		return out, err
	}
	out[PruneSessions] += n
	n, err = s.DeleteStaleLoginFailures(ctx, now.Add(-24*time.Hour))
	out[PruneSessions] += n
	return out, err
}
