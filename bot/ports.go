package bot

import (
	"context"
	"errors"
	"time"
)

// ErrVersionConflict means another writer changed a conversation between
// load and commit; the caller reloads and steps again.
var ErrVersionConflict = errors.New("conversation changed by another writer")

// ErrAlreadyProcessed means the inbound message was handled before; its
// stored result stands and nothing else is written.
var ErrAlreadyProcessed = errors.New("inbound message already processed")

// InboxRecord is an inbound message as stored before it is acknowledged.
type InboxRecord struct {
	ID             string
	Message        InboundMessage
	ReceivedAt     time.Time
	ProcessedAt    *time.Time
	ConversationID string
	Result         []byte // the engine's serialised outcome, for replays
}

// Outbox kinds.
const (
	OutboxMessage = "message" // to a debtor through a transport
	OutboxEvent   = "event"   // to the billing system's webhook
)

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed" // gave up; see LastError
)

// OutboxItem is one unit of work leaving the service.
type OutboxItem struct {
	ID             string
	Kind           string
	ConversationID string
	Transport      string
	Recipient      string
	EventType      string
	Payload        []byte
	Status         string
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	ExternalID     string
	CreatedAt      time.Time
	SentAt         *time.Time
}

// Turn is everything one step of a conversation writes, committed in one
// transaction: the conversation's new state, transcript entries (sealed
// into the chain by the store), outbox items, and the inbox message it
// consumed, if any.
type Turn struct {
	Conversation Conversation // Version is the version that was loaded; 0 for a new one
	IsNew        bool
	Entries      []TranscriptEntry
	Outbox       []OutboxItem
	InboxID      string
	Result       []byte
	Collections  []Collection // invoice collection states to upsert
	// PaidInvoices are invoices an agent confirmed paid (after checking a
	// receipt): marked paid in the same transaction unless already paid.
	PaidInvoices []string
}

// ConversationStore is the persistence the engine needs.
type ConversationStore interface {
	// RecordInbound stores msg unless (transport, external id) is known; it
	// returns the stored record and whether it was a duplicate.
	RecordInbound(ctx context.Context, rec InboxRecord) (InboxRecord, bool, error)
	// UnprocessedInbound lists stored messages received before the given
	// time and not yet handled, oldest first.
	UnprocessedInbound(ctx context.Context, receivedBefore time.Time, limit int) ([]InboxRecord, error)
	// Conversation returns one conversation by id.
	Conversation(ctx context.Context, id string) (Conversation, error)
	// Invoice returns one invoice by the billing system's id.
	Invoice(ctx context.Context, id string) (Invoice, error)
	// InboxRecord returns one stored inbound message.
	InboxRecord(ctx context.Context, id string) (InboxRecord, error)
	// ConversationByPhone returns the conversation with phone on transport,
	// or nil when there is none yet.
	ConversationByPhone(ctx context.Context, transport, phone string) (*Conversation, error)
	// CustomerByPhone returns the customer with one of the given phone
	// variants, or nil.
	CustomerByPhone(ctx context.Context, phones []string) (*Customer, error)
	// Customer returns one customer by Quita id.
	Customer(ctx context.Context, id string) (Customer, error)
	// OpenInvoices lists a customer's open invoices by due date.
	OpenInvoices(ctx context.Context, customerID string) ([]Invoice, error)
	// Collections returns the collection state of the given invoices; an
	// invoice without a row is active.
	Collections(ctx context.Context, invoiceIDs []string) (map[string]Collection, error)
	// SaveMedia stores an attachment's bytes and returns it with URL set.
	SaveMedia(ctx context.Context, m Media) (Media, error)
	// CommitTurn writes a turn atomically. It fails with ErrVersionConflict
	// or ErrAlreadyProcessed and then writes nothing.
	CommitTurn(ctx context.Context, t Turn) ([]TranscriptEntry, error)
}

// OutboxStore is the persistence the outbound senders need.
type OutboxStore interface {
	// ClaimOutbox leases up to limit due items of kind until now+lease; if
	// ids is non-empty only those are considered.
	ClaimOutbox(ctx context.Context, kind string, now time.Time, lease time.Duration, limit int, ids []string) ([]OutboxItem, error)
	// MarkOutboxSent records a delivery and moves the linked transcript
	// entries to status sent.
	MarkOutboxSent(ctx context.Context, id, externalID string, at time.Time) error
	// MarkOutboxRetry records a failed attempt to be retried at next.
	MarkOutboxRetry(ctx context.Context, id, reason string, next time.Time) error
	// DeferOutbox puts an item back until next without counting an
	// attempt (the transport declined it for now).
	DeferOutbox(ctx context.Context, id, reason string, next time.Time) error
	// ReleaseOutbox gives claimed items back untouched, for another round.
	ReleaseOutbox(ctx context.Context, ids []string) error
	// MarkOutboxFailed gives up on an item and marks linked entries failed.
	MarkOutboxFailed(ctx context.Context, id, reason string, at time.Time) error
	// OutboxItems returns the items with the given ids.
	OutboxItems(ctx context.Context, ids []string) ([]OutboxItem, error)
	// AnyInvoiceOpen reports whether at least one of the invoices is still
	// open (unknown ids count as not open).
	AnyInvoiceOpen(ctx context.Context, ids []string) (bool, error)
}
