package bot

import (
	"context"
	"time"
)

// Customer is a debtor as the billing system knows them. Phone is E.164.
type Customer struct {
	ID         string // Quita's id
	ExternalID string // the billing system's customer id, may be empty
	Name       string
	Phone      string
	Email      string
	Document   string // CPF/CNPJ as given
	Locale     string // empty means the service default
	Tags       []string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// InvoiceStatus is the billing state of an invoice.
type InvoiceStatus string

// Invoice statuses. Only the billing system (or an agent confirming a
// receipt) moves an invoice to paid; a debtor's word never does.
const (
	InvoiceOpen      InvoiceStatus = "open"
	InvoicePaid      InvoiceStatus = "paid"
	InvoiceCancelled InvoiceStatus = "cancelled"
)

// InvoiceItem is one line of an itemised invoice.
type InvoiceItem struct {
	Description string `json:"description"`
	AmountCents int64  `json:"amount_cents"`
}

// PaymentMeans are the ways to pay an invoice the billing system supplied.
type PaymentMeans struct {
	Link         string `json:"link,omitempty"`
	PixCopyPaste string `json:"pix_copy_paste,omitempty"`
	BoletoLine   string `json:"boleto_line,omitempty"`
}

// Invoice is a charge owed by a customer. DueDate is a civil date
// (YYYY-MM-DD) in the business timezone.
type Invoice struct {
	ID          string // the billing system's invoice_id
	CustomerID  string
	AmountCents int64
	Currency    string
	DueDate     string
	Description string
	Items       []InvoiceItem
	Payment     PaymentMeans
	PDFURL      string
	Status      InvoiceStatus
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ConversationStatus is the coarse, agent-facing status of a conversation.
type ConversationStatus string

// Conversation statuses as exposed by the API (contract §4.4).
const (
	StatusOpen       ConversationStatus = "open"
	StatusNeedsAgent ConversationStatus = "needs_agent"
	StatusResolved   ConversationStatus = "resolved"
)

// Conversation is the bot's ongoing exchange with one phone number over
// one transport. State is the flow's state name; Memory is the flow's
// serialised memory (opaque to everything but flows). Version guards
// against two writers.
type Conversation struct {
	ID         string
	CustomerID string
	Phone      string
	Transport  string
	Status     ConversationStatus
	State      string
	Memory     []byte
	Agent      string
	Locale     string
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Media is an attachment of a message: a receipt image, an invoice PDF.
// Data is present only while in flight; stored media is referenced by URL.
type Media struct {
	Type     string `json:"type"` // image, document, audio, sticker, video
	MIME     string `json:"mime,omitempty"`
	Filename string `json:"filename,omitempty"`
	URL      string `json:"url,omitempty"`
	Size     int64  `json:"size,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Data     []byte `json:"-"`
}

// InboundMessage is a message a debtor sent, as a transport reports it.
type InboundMessage struct {
	Transport  string
	ExternalID string // the transport's message id; unique per transport
	From       string // E.164
	Text       string
	Media      *Media
	SentAt     time.Time
	// Kind says how the engine treats the message; empty is a debtor's
	// message that the bot answers.
	Kind InboundKind
	// Reply is the external id of the message this one quotes or answers
	// (a button press refers to the message that offered the button).
	Reply string
}

// InboundKind tells the engine what an inbound message is.
type InboundKind string

// Inbound kinds.
const (
	// InboundDebtor is a debtor's message: recorded and answered.
	InboundDebtor InboundKind = ""
	// InboundHistory is recorded in the transcript but never answered: a
	// history sync, or a message older than the policy's reply age.
	InboundHistory InboundKind = "history"
	// InboundUndecryptable arrived but could not be read; it becomes a
	// system entry so the transcript shows the gap instead of silence.
	InboundUndecryptable InboundKind = "undecryptable"
	// InboundRefused arrived but could not be accepted as sent (its id is
	// unusable, say); Text says why. It becomes a system entry so an agent
	// sees that something came, and the transport can go on with the rest
	// of a batch instead of failing it.
	InboundRefused InboundKind = "refused"
	// InboundOperator was typed by a person on the linked phone: it is
	// recorded as an agent's message and the agent takes the conversation
	// over, so the bot does not talk over them.
	InboundOperator InboundKind = "operator"
)

// Button is a quick reply offered with an outbound message.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// OutboundMessage is a message the service asks a transport to deliver.
type OutboundMessage struct {
	ID             string // the outbox id; stable across retries
	ConversationID string
	To             string // E.164
	Text           string
	Buttons        []Button
	Document       *Media // a document or, with Type "image", an image
	// Key is the catalog key of the message's first part, Params its
	// formatted arguments and Locale the debtor's locale, so a transport
	// that may only send pre-approved templates (the WhatsApp Cloud API
	// outside the 24-hour window) can map the message to one.
	Key    string
	Params map[string]string
	Locale string
	// Proactive is true for a message the service starts (a reminder), as
	// opposed to an answer: transports that must limit first contacts or
	// cold outreach treat the two differently.
	Proactive bool
}

// Transport delivers messages to debtors (the simulator, WhatsApp).
type Transport interface {
	// Name identifies the transport in inbox keys and conversations.
	Name() string
	// Send delivers msg and returns the transport's id for it. Errors that
	// are worth retrying must be wrapped with Retryable.
	Send(ctx context.Context, msg OutboundMessage) (externalID string, err error)
}

// RetryableError marks a transport failure that may succeed if tried
// again later (a timeout, a dropped connection), as opposed to one that
// never will (an invalid number).
type RetryableError struct{ Err error }

// Error implements error.
func (e *RetryableError) Error() string { return e.Err.Error() }

// Unwrap exposes the cause.
func (e *RetryableError) Unwrap() error { return e.Err }

// Retryable wraps err as worth retrying.
func Retryable(err error) error { return &RetryableError{Err: err} }

// DeferredError is a send a transport declined for now through no fault of
// the message: pacing, a daily cap, no linked number. The sender tries
// again at Until without counting a failed attempt (within a time limit).
// It is also retryable, for callers that only know RetryableError.
type DeferredError struct {
	Err   error
	Until time.Time
}

// Error implements error.
func (e *DeferredError) Error() string { return e.Err.Error() }

// Unwrap exposes the cause as retryable.
func (e *DeferredError) Unwrap() error { return &RetryableError{Err: e.Err} }

// Deferred wraps err as "not now, try again at until".
func Deferred(err error, until time.Time) error { return &DeferredError{Err: err, Until: until} }

// Clock tells the time. Everything that depends on time takes one, so tests
// and the simulator can move it.
type Clock interface {
	Now() time.Time
}
