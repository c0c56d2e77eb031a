package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// ErasedName replaces an erased customer's name.
const ErasedName = "[erased]"

// ErasureRequest asks for one customer's personal data to be erased
// (LGPD art. 18, VI).
type ErasureRequest struct {
	// CustomerID is the billing system's customer id.
	CustomerID string
	Reason     string
	// Force erases even while invoices are open: an admin's decision,
	// recorded with Reason.
	Force bool
	// Actor is who asked: "api", "admin:<name>", "retention".
	Actor string
	At    time.Time
	// ID names the erasure; EventID the customer.erased event to billing.
	ID, EventID string
}

// Erasure reports what an erasure removed and what it kept.
type Erasure struct {
	ID           string          `json:"id"`
	CustomerID   string          `json:"customer_id"`
	At           time.Time       `json:"at"`
	Actor        string          `json:"actor"`
	Reason       string          `json:"reason"`
	Forced       bool            `json:"forced"`
	OpenInvoices []string        `json:"open_invoices,omitempty"`
	Erased       ErasedCounts    `json:"erased"`
	Kept         []KeptInvoice   `json:"kept"`
	Event        json.RawMessage `json:"-"`
}

// ErasedCounts is how much of each kind of personal data was removed.
type ErasedCounts struct {
	// CustomerFields are the customer's replaced fields.
	CustomerFields    []string `json:"customer_fields"`
	Conversations     int64    `json:"conversations"`
	TranscriptEntries int64    `json:"transcript_entries"`
	Media             int64    `json:"media"`
	InboxMessages     int64    `json:"inbox_messages"`
	OutboxRows        int64    `json:"outbox_rows"`
	SimMessages       int64    `json:"sim_messages"`
}

// KeptInvoice is what stays of an invoice for accounting: no personal data.
type KeptInvoice struct {
	InvoiceID   string    `json:"invoice_id"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	DueDate     string    `json:"due_date"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// EraseCustomer anonymises one customer in a single transaction: the
// customer's name, phone, e-mail and document are replaced; its
// conversations lose their number and memory, so a later message from that
// number starts fresh as an unknown one; transcript texts and media are
// erased (the chain keeps verifying, see transcript.Erase); attachments
// (receipts) are deleted, with the inbound messages, message outbox rows
// and simulator log that carried the same words; and a customer.erased
// event is queued for the billing system. Invoices keep their amounts and
// dates. While invoices are open it refuses with a conflict naming them,
// unless Force. Nothing is written when it returns an error.
func (s *Store) EraseCustomer(ctx context.Context, req ErasureRequest) (Erasure, error) {
	if strings.TrimSpace(req.Reason) == "" {
		return Erasure{}, bot.Invalid("reason", "is required")
	}
	out := Erasure{ID: req.ID, CustomerID: req.CustomerID, At: req.At.UTC(), Actor: req.Actor, Reason: req.Reason,
		Kept: []KeptInvoice{}}
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cust, err := customerByExternalID(tx, req.CustomerID)
		if err != nil {
			return err
		}
		var invoices []invoiceRow
		if err := tx.Where("customer_id = ?", cust.ID).Order("due_date, id").Find(&invoices).Error; err != nil {
			return fmt.Errorf("store: erase: invoices: %w", err)
		}
		for _, inv := range invoices {
			if inv.Status == string(bot.InvoiceOpen) {
				out.OpenInvoices = append(out.OpenInvoices, inv.ID)
			}
			out.Kept = append(out.Kept, KeptInvoice{InvoiceID: inv.ID, AmountCents: inv.AmountCents, Currency: inv.Currency,
				DueDate: inv.DueDate, Status: inv.Status, CreatedAt: inv.CreatedAt, UpdatedAt: inv.UpdatedAt})
		}
		if len(out.OpenInvoices) > 0 && !req.Force {
			return bot.Errorf(bot.CodeConflict, "customer %s has open invoices: %s; the creditor keeps what it needs to collect them (an admin may force the erasure)",
				req.CustomerID, strings.Join(out.OpenInvoices, ", "))
		}
		out.Forced = len(out.OpenInvoices) > 0
		if err := eraseCustomerData(tx, cust, out.At, &out.Erased); err != nil {
			return err
		}
		open, _ := json.Marshal(out.OpenInvoices)
		summary, _ := json.Marshal(struct {
			Erased ErasedCounts  `json:"erased"`
			Kept   []KeptInvoice `json:"kept"`
		}{out.Erased, out.Kept})
		if err := tx.Exec(`INSERT INTO erasures (id, customer_id, external_id, at, actor, reason, forced, open_invoices, summary)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, req.ID, cust.ID, cust.ExternalID, out.At, req.Actor, req.Reason, out.Forced,
			string(open), string(summary)).Error; err != nil {
			return fmt.Errorf("store: erase: record: %w", err)
		}
		payload, err := json.Marshal(map[string]any{"type": "customer.erased", "created_at": out.At.Format(time.RFC3339),
			"data": map[string]any{"customer_id": req.CustomerID, "erasure_id": req.ID, "reason": req.Reason,
				"forced": out.Forced, "open_invoices": out.OpenInvoices, "kept": out.Kept}})
		if err != nil {
			return err
		}
		out.Event = payload
		row := outboxToRow(bot.OutboxItem{ID: req.EventID, Kind: bot.OutboxEvent, EventType: "customer.erased",
			Payload: payload, NextAttemptAt: out.At, CreatedAt: out.At})
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("store: erase: event: %w", err)
		}
		return nil
	})
	if err != nil {
		return Erasure{}, err
	}
	return out, nil
}

// eraseCustomerData removes one customer's personal data inside tx.
func eraseCustomerData(tx *gorm.DB, cust customerRow, at time.Time, n *ErasedCounts) error {
	convs, err := customerConversations(tx, cust)
	if err != nil {
		return err
	}
	var phones []string
	if cust.Phone != "" {
		phones = phone.Variants(cust.Phone)
	}
	for _, c := range convs {
		if strings.HasPrefix(c.Phone, "+") && !slices.Contains(phones, c.Phone) {
			phones = append(phones, phone.Variants(c.Phone)...)
		}
	}
	n.CustomerFields = []string{"name", "phone", "email", "document"}
	if err := tx.Model(&customerRow{}).Where("id = ?", cust.ID).UpdateColumns(map[string]any{
		"name": ErasedName, "phone": "", "email": "", "document": "", "tags": "", "updated_at": at, "erased_at": at,
	}).Error; err != nil {
		return fmt.Errorf("store: erase: customer: %w", err)
	}
	return eraseConversations(tx, convs, phones, at, n)
}

// eraseConversations removes the personal data of convs (and what was
// exchanged with phones) inside tx: transcript texts and media, attachments,
// the number and memory of each conversation, inbound messages, messages
// to the debtor and sent events, and the simulator's log.
func eraseConversations(tx *gorm.DB, convs []conversationRow, phones []string, at time.Time, n *ErasedCounts) error {
	ids := make([]string, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
	}
	var err error
	if len(ids) > 0 {
		// The attachments the transcripts point at: receipts, mostly.
		var mediaJSONs []string
		if err := tx.Model(&transcriptRow{}).Where("conversation_id IN ? AND media <> ''", ids).
			Pluck("media", &mediaJSONs).Error; err != nil {
			return fmt.Errorf("store: erase: media list: %w", err)
		}
		var mediaIDs []string
		for _, mj := range mediaJSONs {
			if m := mediaFromJSON(mj); m != nil {
				if id, ok := strings.CutPrefix(m.URL, "/v1/media/"); ok && !slices.Contains(mediaIDs, id) {
					mediaIDs = append(mediaIDs, id)
				}
			}
		}
		if len(mediaIDs) > 0 {
			res := tx.Where("id IN ?", mediaIDs).Delete(&mediaRow{})
			if res.Error != nil {
				return fmt.Errorf("store: erase: media: %w", res.Error)
			}
			n.Media = res.RowsAffected
		}
		res := tx.Model(&transcriptRow{}).Where("conversation_id IN ? AND erased_at IS NULL", ids).
			UpdateColumns(map[string]any{"text": "", "media": "", "erased_at": at})
		if res.Error != nil {
			return fmt.Errorf("store: erase: transcript: %w", res.Error)
		}
		n.TranscriptEntries = res.RowsAffected
		// The number is freed (a later message starts a new conversation)
		// but each conversation keeps a unique placeholder.
		for _, c := range convs {
			if err := tx.Model(&conversationRow{}).Where("id = ?", c.ID).UpdateColumns(map[string]any{
				"phone": "erased:" + c.ID, "memory": "{}", "status": string(bot.StatusResolved), "agent": "", "updated_at": at,
				// A turn loaded before the erasure must not commit after it.
				"version": gorm.Expr("version + 1"),
			}).Error; err != nil {
				return fmt.Errorf("store: erase: conversation: %w", err)
			}
		}
		n.Conversations = int64(len(convs))
		res = tx.Where("conversation_id IN ?", ids).Delete(&inboxRow{})
		if res.Error != nil {
			return fmt.Errorf("store: erase: inbox: %w", res.Error)
		}
		n.InboxMessages = res.RowsAffected
		// Messages to the debtor carry their words; events already sent
		// carry the number. Pending events still go to billing.
		var outIDs []string
		if err := tx.Model(&outboxRow{}).Where("conversation_id IN ? AND (kind = ? OR status <> ?)", ids, bot.OutboxMessage,
			bot.OutboxPending).Pluck("id", &outIDs).Error; err != nil {
			return fmt.Errorf("store: erase: outbox list: %w", err)
		}
		if n.OutboxRows, err = deleteOutbox(tx, outIDs); err != nil {
			return err
		}
	}
	if len(phones) > 0 {
		res := tx.Where("sender IN ? AND processed_at IS NOT NULL", phones).Delete(&inboxRow{})
		if res.Error != nil {
			return fmt.Errorf("store: erase: inbox by number: %w", res.Error)
		}
		n.InboxMessages += res.RowsAffected
		res = tx.Exec("DELETE FROM sim_messages WHERE recipient IN ?", phones)
		if res.Error != nil {
			return fmt.Errorf("store: erase: simulator log: %w", res.Error)
		}
		n.SimMessages = res.RowsAffected
	}
	return nil
}

// deleteOutbox deletes outbox rows and their delivery attempts, in chunks.
func deleteOutbox(tx *gorm.DB, ids []string) (int64, error) {
	var total int64
	for len(ids) > 0 {
		part := ids[:min(len(ids), 500)]
		ids = ids[len(part):]
		if err := tx.Exec("DELETE FROM delivery_attempts WHERE outbox_id IN ?", part).Error; err != nil {
			return total, fmt.Errorf("store: delete delivery attempts: %w", err)
		}
		res := tx.Where("id IN ?", part).Delete(&outboxRow{})
		if res.Error != nil {
			return total, fmt.Errorf("store: delete outbox: %w", res.Error)
		}
		total += res.RowsAffected
	}
	return total, nil
}
