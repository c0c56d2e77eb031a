package store

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/quitabot/quita/bot"
)

// Rows mirror the tables of migrations/ exactly; they never leave the
// package. Nullable timestamps are pointers.

type customerRow struct {
	ID         string `gorm:"primaryKey"`
	ExternalID string
	Name       string
	Phone      string
	Email      string
	Document   string
	Locale     string
	Tags       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ErasedAt   *time.Time
}

func (customerRow) TableName() string { return "customers" }

func customerToRow(c bot.Customer) customerRow {
	return customerRow{ID: c.ID, ExternalID: c.ExternalID, Name: c.Name, Phone: c.Phone, Email: c.Email,
		Document: c.Document, Locale: c.Locale, Tags: strings.Join(c.Tags, ","), CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

func (r customerRow) toDomain() bot.Customer {
	var tags []string
	if r.Tags != "" {
		tags = strings.Split(r.Tags, ",")
	}
	return bot.Customer{ID: r.ID, ExternalID: r.ExternalID, Name: r.Name, Phone: r.Phone, Email: r.Email,
		Document: r.Document, Locale: r.Locale, Tags: tags, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type invoiceRow struct {
	ID           string `gorm:"primaryKey"`
	CustomerID   string
	AmountCents  int64
	Currency     string
	DueDate      string
	Description  string
	Items        string
	PaymentLink  string
	PixCopyPaste string
	BoletoLine   string
	PDFURL       string `gorm:"column:pdf_url"`
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (invoiceRow) TableName() string { return "invoices" }

func invoiceToRow(i bot.Invoice) invoiceRow {
	items, _ := json.Marshal(i.Items)
	if i.Items == nil {
		items = []byte("[]")
	}
	return invoiceRow{ID: i.ID, CustomerID: i.CustomerID, AmountCents: i.AmountCents, Currency: i.Currency,
		DueDate: i.DueDate, Description: i.Description, Items: string(items), PaymentLink: i.Payment.Link,
		PixCopyPaste: i.Payment.PixCopyPaste, BoletoLine: i.Payment.BoletoLine, PDFURL: i.PDFURL,
		Status: string(i.Status), CreatedAt: i.CreatedAt.UTC(), UpdatedAt: i.UpdatedAt.UTC()}
}

func (r invoiceRow) toDomain() bot.Invoice {
	var items []bot.InvoiceItem
	_ = json.Unmarshal([]byte(r.Items), &items)
	return bot.Invoice{ID: r.ID, CustomerID: r.CustomerID, AmountCents: r.AmountCents, Currency: r.Currency,
		DueDate: r.DueDate, Description: r.Description, Items: items,
		Payment: bot.PaymentMeans{Link: r.PaymentLink, PixCopyPaste: r.PixCopyPaste, BoletoLine: r.BoletoLine},
		PDFURL:  r.PDFURL, Status: bot.InvoiceStatus(r.Status), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type conversationRow struct {
	ID         string `gorm:"primaryKey"`
	CustomerID *string
	Phone      string
	Transport  string
	Status     string
	State      string
	Memory     string
	Agent      string
	Locale     string
	Version    int64
	LastSeq    int64
	LastHash   string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (conversationRow) TableName() string { return "conversations" }

func conversationToRow(c bot.Conversation) conversationRow {
	var customerID *string
	if c.CustomerID != "" {
		id := c.CustomerID
		customerID = &id
	}
	memory := string(c.Memory)
	if memory == "" {
		memory = "{}"
	}
	return conversationRow{ID: c.ID, CustomerID: customerID, Phone: c.Phone, Transport: c.Transport,
		Status: string(c.Status), State: c.State, Memory: memory, Agent: c.Agent, Locale: c.Locale,
		Version: c.Version, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

func (r conversationRow) toDomain() bot.Conversation {
	c := bot.Conversation{ID: r.ID, Phone: r.Phone, Transport: r.Transport, Status: bot.ConversationStatus(r.Status),
		State: r.State, Memory: []byte(r.Memory), Agent: r.Agent, Locale: r.Locale, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.CustomerID != nil {
		c.CustomerID = *r.CustomerID
	}
	return c
}

type inboxRow struct {
	ID             string `gorm:"primaryKey"`
	Transport      string
	ExternalID     string
	Sender         string
	Text           string
	Media          string
	SentAt         time.Time
	ReceivedAt     time.Time
	ProcessedAt    *time.Time
	ConversationID string
	Result         string
	Kind           string
	ReplyTo        string
}

func (inboxRow) TableName() string { return "inbox" }

func inboxToRow(r bot.InboxRecord) inboxRow {
	return inboxRow{ID: r.ID, Transport: r.Message.Transport, ExternalID: r.Message.ExternalID, Sender: r.Message.From,
		Text: r.Message.Text, Media: mediaJSON(r.Message.Media), SentAt: r.Message.SentAt.UTC(), ReceivedAt: r.ReceivedAt.UTC(),
		Kind: string(r.Message.Kind), ReplyTo: r.Message.Reply}
}

func (r inboxRow) toDomain() bot.InboxRecord {
	return bot.InboxRecord{ID: r.ID, ReceivedAt: r.ReceivedAt, ProcessedAt: r.ProcessedAt, ConversationID: r.ConversationID,
		Result: []byte(r.Result), Message: bot.InboundMessage{Transport: r.Transport, ExternalID: r.ExternalID,
			From: r.Sender, Text: r.Text, Media: mediaFromJSON(r.Media), SentAt: r.SentAt, Kind: bot.InboundKind(r.Kind), Reply: r.ReplyTo}}
}

type transcriptRow struct {
	ConversationID string `gorm:"primaryKey"`
	Seq            int64  `gorm:"primaryKey"`
	At             time.Time
	Direction      string
	Author         string
	Text           string
	Media          string
	Intent         string
	StateFrom      string
	StateTo        string
	Status         string
	OutboxID       string
	PrevHash       string
	Hash           string
	ContentHash    string
	ErasedAt       *time.Time
}

func (transcriptRow) TableName() string { return "transcript_entries" }

func transcriptToRow(e bot.TranscriptEntry) transcriptRow {
	return transcriptRow{ConversationID: e.ConversationID, Seq: e.Seq, At: e.At.UTC(), Direction: e.Direction,
		Author: e.Author, Text: e.Text, Media: mediaJSON(e.Media), Intent: e.Intent, StateFrom: e.StateFrom,
		StateTo: e.StateTo, Status: e.Status, OutboxID: e.OutboxID, PrevHash: e.PrevHash, Hash: e.Hash,
		ContentHash: e.ContentHash}
}

func (r transcriptRow) toDomain() bot.TranscriptEntry {
	return bot.TranscriptEntry{ConversationID: r.ConversationID, Seq: r.Seq, At: r.At.UTC(), Direction: r.Direction,
		Author: r.Author, Text: r.Text, Media: mediaFromJSON(r.Media), Intent: r.Intent, StateFrom: r.StateFrom,
		StateTo: r.StateTo, Status: r.Status, OutboxID: r.OutboxID, PrevHash: r.PrevHash, Hash: r.Hash,
		ContentHash: r.ContentHash, Erased: r.ErasedAt != nil}
}

type outboxRow struct {
	ID             string `gorm:"primaryKey"`
	Kind           string
	ConversationID string
	Transport      string
	Recipient      string
	EventType      string
	Payload        string
	Status         string
	Attempts       int
	NextAttemptAt  time.Time
	ClaimedUntil   *time.Time
	ClaimToken     string
	LastError      string
	ExternalID     string
	CreatedAt      time.Time
	SentAt         *time.Time
}

func (outboxRow) TableName() string { return "outbox" }

func outboxToRow(o bot.OutboxItem) outboxRow {
	status := o.Status
	if status == "" {
		status = bot.OutboxPending
	}
	return outboxRow{ID: o.ID, Kind: o.Kind, ConversationID: o.ConversationID, Transport: o.Transport,
		Recipient: o.Recipient, EventType: o.EventType, Payload: string(o.Payload), Status: status,
		Attempts: o.Attempts, NextAttemptAt: o.NextAttemptAt.UTC(), CreatedAt: o.CreatedAt.UTC()}
}

func (r outboxRow) toDomain() bot.OutboxItem {
	return bot.OutboxItem{ID: r.ID, Kind: r.Kind, ConversationID: r.ConversationID, Transport: r.Transport,
		Recipient: r.Recipient, EventType: r.EventType, Payload: []byte(r.Payload), Status: r.Status,
		Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt, LastError: r.LastError, ExternalID: r.ExternalID,
		CreatedAt: r.CreatedAt, SentAt: r.SentAt}
}

type mediaRow struct {
	ID        string `gorm:"primaryKey"`
	SHA256    string `gorm:"column:sha256"`
	MIME      string `gorm:"column:mime"`
	Filename  string
	Size      int64
	Data      []byte
	CreatedAt time.Time
}

func (mediaRow) TableName() string { return "media" }

func mediaJSON(m *bot.Media) string {
	if m == nil {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func mediaFromJSON(s string) *bot.Media {
	if s == "" {
		return nil
	}
	var m bot.Media
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return &m
}

// fromRows converts rows read from the database to domain values.
func fromRows[T any, R interface{ toDomain() T }](rows []R) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out
}
