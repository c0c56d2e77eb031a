package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/transcript"
)

// ConversationByPhone returns the conversation with phone on transport, or
// nil when there is none yet.
func (s *Store) ConversationByPhone(ctx context.Context, transport, phone string) (*bot.Conversation, error) {
	var row conversationRow
	err := s.Gorm.WithContext(ctx).Where("transport = ? AND phone = ?", transport, phone).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: conversation by phone: %w", err)
	}
	c := row.toDomain()
	return &c, nil
}

// Conversation returns one conversation by id.
func (s *Store) Conversation(ctx context.Context, id string) (bot.Conversation, error) {
	var row conversationRow
	if err := s.Gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return bot.Conversation{}, notFound(err, "conversation %s", id)
	}
	return row.toDomain(), nil
}

// ConversationFilter narrows Conversations; empty fields match all.
type ConversationFilter struct {
	Status string
	Phones []string
	Limit  int
}

// Conversations lists conversations, most recently updated first.
func (s *Store) Conversations(ctx context.Context, f ConversationFilter) ([]bot.Conversation, error) {
	q := s.Gorm.WithContext(ctx).Order("updated_at DESC, id DESC")
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if len(f.Phones) > 0 {
		q = q.Where("phone IN ?", f.Phones)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var rows []conversationRow
	if err := q.Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list conversations: %w", err)
	}
	return fromRows[bot.Conversation](rows), nil
}

// Transcript returns a conversation's entries in order.
func (s *Store) Transcript(ctx context.Context, conversationID string) ([]bot.TranscriptEntry, error) {
	var rows []transcriptRow
	err := s.Gorm.WithContext(ctx).Where("conversation_id = ?", conversationID).Order("seq").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: transcript: %w", err)
	}
	return fromRows[bot.TranscriptEntry](rows), nil
}

// CommitTurn writes one step of a conversation atomically: the new state
// (guarded by the loaded version), transcript entries sealed onto the
// chain, outbox items, and the consumed inbox message. Nothing is written
// when it returns an error.
func (s *Store) CommitTurn(ctx context.Context, t bot.Turn) ([]bot.TranscriptEntry, error) {
	var sealed []bot.TranscriptEntry
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if t.InboxID != "" {
			res := tx.Model(&inboxRow{}).Where("id = ? AND processed_at IS NULL", t.InboxID).
				Updates(map[string]any{"processed_at": t.Conversation.UpdatedAt.UTC(), "conversation_id": t.Conversation.ID, "result": string(t.Result)})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return bot.ErrAlreadyProcessed
			}
		}
		head, err := s.saveConversation(tx, t)
		if err != nil {
			return err
		}
		sealed = make([]bot.TranscriptEntry, len(t.Entries))
		copy(sealed, t.Entries)
		for i := range sealed {
			sealed[i].ConversationID = t.Conversation.ID
		}
		transcript.Seal(head, sealed)
		if len(sealed) > 0 {
			rows := make([]transcriptRow, len(sealed))
			for i, e := range sealed {
				rows[i] = transcriptToRow(e)
			}
			if err := tx.Create(&rows).Error; err != nil {
				return err
			}
			last := sealed[len(sealed)-1]
			// UpdateColumns: gorm's Updates would also stamp updated_at with
			// the wall clock, overwriting the turn's (injected) time.
			if err := tx.Model(&conversationRow{}).Where("id = ?", t.Conversation.ID).
				UpdateColumns(map[string]any{"last_seq": last.Seq, "last_hash": last.Hash}).Error; err != nil {
				return err
			}
		}
		if err := saveCollections(tx, t.Collections); err != nil {
			return err
		}
		if len(t.PaidInvoices) > 0 {
			// Money received wins over a cancellation, as with billing's
			// invoice.paid; an invoice already paid is left as it is.
			if err := tx.Model(&invoiceRow{}).Where("id IN ? AND status <> ?", t.PaidInvoices, string(bot.InvoicePaid)).
				Updates(map[string]any{"status": string(bot.InvoicePaid), "updated_at": t.Conversation.UpdatedAt.UTC()}).Error; err != nil {
				return err
			}
		}
		if len(t.Outbox) > 0 {
			rows := make([]outboxRow, len(t.Outbox))
			for i, o := range t.Outbox {
				rows[i] = outboxToRow(o)
			}
			if err := tx.Create(&rows).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, bot.ErrAlreadyProcessed) || errors.Is(err, bot.ErrVersionConflict) {
			return nil, err
		}
		return nil, fmt.Errorf("store: commit turn: %w", err)
	}
	return sealed, nil
}

// saveConversation inserts or version-checks-and-updates the conversation
// and returns the head of its transcript chain (nil when empty).
func (s *Store) saveConversation(tx *gorm.DB, t bot.Turn) (*bot.TranscriptEntry, error) {
	row := conversationToRow(t.Conversation)
	if t.IsNew {
		row.Version = 1
		if err := tx.Create(&row).Error; err != nil {
			if isUniqueViolation(err) {
				return nil, bot.ErrVersionConflict
			}
			return nil, err
		}
		return nil, nil
	}
	res := tx.Model(&conversationRow{}).Where("id = ? AND version = ?", row.ID, row.Version).Updates(map[string]any{
		"customer_id": row.CustomerID, "status": row.Status, "state": row.State, "memory": row.Memory,
		"agent": row.Agent, "locale": row.Locale, "version": row.Version + 1, "updated_at": row.UpdatedAt,
	})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, bot.ErrVersionConflict
	}
	var head struct {
		LastSeq  int64
		LastHash string
	}
	if err := tx.Model(&conversationRow{}).Select("last_seq, last_hash").Where("id = ?", row.ID).Take(&head).Error; err != nil {
		return nil, err
	}
	if head.LastSeq == 0 {
		return nil, nil
	}
	return &bot.TranscriptEntry{Seq: head.LastSeq, Hash: head.LastHash}, nil
}

// ConversationDebtor returns the customer a conversation was tied to and
// all their invoices, for transcripts. It is the customer recorded on the
// conversation, not whoever holds the number today, so a transcript never
// names a stranger; a customer erased since yields nil.
func (s *Store) ConversationDebtor(ctx context.Context, conv bot.Conversation) (*bot.Customer, []bot.Invoice, error) {
	if conv.CustomerID == "" {
		return nil, nil, nil
	}
	cust, err := s.Customer(ctx, conv.CustomerID)
	if bot.ErrorCodeOf(err) == bot.CodeNotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var rows []invoiceRow
	if err := s.Gorm.WithContext(ctx).Where("customer_id = ?", cust.ID).Order("due_date, id").Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("store: invoices of %s: %w", cust.ID, err)
	}
	invoices := make([]bot.Invoice, len(rows))
	for i, r := range rows {
		invoices[i] = r.toDomain()
	}
	return &cust, invoices, nil
}
