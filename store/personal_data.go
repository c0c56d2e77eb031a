package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/quitabot/quita/bot"
)

// CustomerData is everything Quita holds about one customer: what a
// debtor's LGPD access or portability request (art. 18) is answered with.
type CustomerData struct {
	Customer      bot.Customer
	Invoices      []bot.Invoice
	Conversations []ConversationData
	// Events are the outbound events to the billing system raised in the
	// customer's conversations, oldest first.
	Events []bot.OutboxItem
	// Media are the attachments the transcripts refer to, without bytes.
	Media []bot.Media
}

// ConversationData is one conversation with its transcript.
type ConversationData struct {
	Conversation bot.Conversation
	Transcript   []bot.TranscriptEntry
}

// CustomerByExternalID returns the customer with the billing system's id
// (or, for a customer billing never named, Quita's own id); not_found
// otherwise.
func (s *Store) CustomerByExternalID(ctx context.Context, id string) (bot.Customer, error) {
	row, err := customerByExternalID(s.Gorm.WithContext(ctx), id)
	if err != nil {
		return bot.Customer{}, err
	}
	return row.toDomain(), nil
}

func customerByExternalID(db *gorm.DB, id string) (customerRow, error) {
	var row customerRow
	// The repeated condition lets SQLite use the partial unique index.
	err := db.Where("external_id = ? AND external_id <> ''", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		err = db.Where("id = ? AND external_id = ''", id).Take(&row).Error
	}
	if err != nil {
		return customerRow{}, notFound(err, "customer %s", id)
	}
	return row, nil
}

// CustomerData gathers everything held about the customer billing knows
// as id, read in one transaction so the parts agree.
func (s *Store) CustomerData(ctx context.Context, id string) (CustomerData, error) {
	var out CustomerData
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := customerByExternalID(tx, id)
		if err != nil {
			return err
		}
		out.Customer = row.toDomain()
		var invoices []invoiceRow
		if err := tx.Where("customer_id = ?", row.ID).Order("due_date, id").Find(&invoices).Error; err != nil {
			return fmt.Errorf("store: customer invoices: %w", err)
		}
		out.Invoices = fromRows[bot.Invoice](invoices)
		convs, err := customerConversations(tx, row)
		if err != nil {
			return err
		}
		ids := make([]string, len(convs))
		seen := map[string]bool{}
		for i, c := range convs {
			ids[i] = c.ID
			var entries []transcriptRow
			if err := tx.Where("conversation_id = ?", c.ID).Order("seq").Find(&entries).Error; err != nil {
				return fmt.Errorf("store: customer transcript: %w", err)
			}
			cd := ConversationData{Conversation: c.toDomain(), Transcript: fromRows[bot.TranscriptEntry](entries)}
			out.Conversations = append(out.Conversations, cd)
			for _, e := range cd.Transcript {
				if e.Media == nil {
					continue
				}
				mid, ok := strings.CutPrefix(e.Media.URL, "/v1/media/")
				if !ok || seen[mid] {
					continue
				}
				seen[mid] = true
				var m mediaRow
				err := tx.Select("id", "sha256", "mime", "filename", "size").Where("id = ?", mid).Take(&m).Error
				if errors.Is(err, gorm.ErrRecordNotFound) {
					continue
				}
				if err != nil {
					return fmt.Errorf("store: customer media: %w", err)
				}
				out.Media = append(out.Media, bot.Media{Type: e.Media.Type, MIME: m.MIME, Filename: m.Filename,
					Size: m.Size, SHA256: m.SHA256, URL: "/v1/media/" + m.ID})
			}
		}
		if len(ids) > 0 {
			var events []outboxRow
			if err := tx.Where("kind = 'event' AND conversation_id IN ?", ids).
				Order("created_at, id").Find(&events).Error; err != nil {
				return fmt.Errorf("store: customer events: %w", err)
			}
			out.Events = fromRows[bot.OutboxItem](events)
		}
		return nil
	})
	return out, err
}

// customerConversations are the conversations linked to the customer, and
// those with its phone that no customer was linked to yet.
func customerConversations(tx *gorm.DB, c customerRow) ([]conversationRow, error) {
	var convs []conversationRow
	q := tx.Where("customer_id = ?", c.ID)
	if c.Phone != "" {
		q = q.Or("customer_id IS NULL AND phone = ?", c.Phone)
	}
	if err := q.Order("created_at, id").Find(&convs).Error; err != nil {
		return nil, fmt.Errorf("store: customer conversations: %w", err)
	}
	return convs, nil
}
