package flows

import (
	"strings"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// State names. They appear in the transcript and the API.
const (
	StateStart           = "start"            // nothing said yet
	StateConfirmIdentity = "confirm_identity" // asked "falo com …?"
	StateMenu            = "menu"             // identity settled, waiting for a request
	StateClosed          = "closed"           // wrong person: never contact this number again
)

// Memory is what a conversation remembers between steps, stored as JSON.
type Memory struct {
	IdentityConfirmed bool       `json:"identity_confirmed,omitempty"`
	PendingIntent     bot.Intent `json:"pending_intent,omitempty"`
	// PendingText and PendingEntities keep the words of a request asked
	// before the identity check, so it is answered in full afterwards.
	PendingText     string       `json:"pending_text,omitempty"`
	PendingEntities bot.Entities `json:"pending_entities,omitempty"`
	PendingMedia    *bot.Media   `json:"pending_media,omitempty"`
	Unknowns        int          `json:"unknowns,omitempty"`
	// IdentityPrompts counts proactive "falo com …?" questions left
	// unanswered; any message from the number resets it. Under
	// reminders.first_contact identity, two of them stop the reminders
	// until the person writes.
	IdentityPrompts int `json:"identity_prompts,omitempty"`
	// Introduced is set once a message gave the creditor's document (CNPJ
	// or CPF): the first contact carries it (CDC art. 42-A).
	Introduced bool `json:"introduced,omitempty"`
	// LastProactive is the catalog key that led the last proactive
	// message, so the next one never repeats the same text.
	LastProactive string `json:"last_proactive,omitempty"`
	// MenuShown is set when the last answer showed the full numbered
	// menu: the next one points to it instead of repeating it.
	MenuShown bool `json:"menu_shown,omitempty"`
	// WroteOn is the last day the person wrote: no reminder goes out on a
	// day they already talked with us.
	WroteOn string `json:"wrote_on,omitempty"`
	// Detailed is set once the person read a detailed reminder (amounts,
	// invoices): the first one is never a formal or final notice.
	Detailed bool `json:"detailed,omitempty"`
	// LocaleCandidate is a language other than the conversation's that the
	// person's last messages were detected in, and LocaleStreak how many
	// in a row; the engine (bot/engine) switches the conversation's
	// language at two, so one stray message in another language does not.
	LocaleCandidate string `json:"locale_candidate,omitempty"`
	LocaleStreak    int    `json:"locale_streak,omitempty"`
	// InvoiceID is the invoice being discussed when the debtor has several.
	InvoiceID string `json:"invoice_id,omitempty"`
	// Topic memories, each owned by its topic's file.
	Pay  PayMemory  `json:"pay,omitempty"`
	Deal DealMemory `json:"deal,omitempty"`
	Care CareMemory `json:"care,omitempty"`
}

// Events that reach a conversation without a debtor message.
const (
	EventInvoicePaid = "invoice.paid" // the billing system confirmed a payment
)

// Input is one thing that happened to the conversation: a debtor message,
// or an event (Event set) such as a payment the billing system confirmed.
type Input struct {
	Text    string
	Class   bot.Classification
	Media   *bot.Media
	Event   string
	Invoice *bot.Invoice // the invoice an event is about
	// Reminder is an EventReminder's items; when nil they are read from
	// Text (EncodeReminder), as a reminder left pending in memory is.
	Reminder []ReminderItem
}

// option returns the menu option the input selects: the classifier's
// option entity, or a message that is only a digit.
func (in Input) option() string {
	if in.Class.Entities.Option != "" {
		return in.Class.Entities.Option
	}
	t := strings.TrimSpace(in.Text)
	if len(t) == 1 && t[0] >= '0' && t[0] <= '9' {
		return t
	}
	return ""
}

// Charge is an invoice's amount today under the policy.
type Charge struct {
	LateFeeCents  int64
	InterestCents int64
	TotalCents    int64
}

// Env is what Step may know about the world. Now is in the business
// timezone; Today is its civil date (YYYY-MM-DD).
type Env struct {
	Now      time.Time
	Today    string
	Customer *bot.Customer
	Invoices []bot.Invoice
	Charges  map[string]Charge // by invoice id; absent means no charges
	// Collections holds the paused or replaced invoices; absent means active.
	Collections map[string]bot.Collection
	Policy      policy.Policy
	// Agent is the person who took the conversation over, "" while it
	// only waits in the queue.
	Agent string
}

// Money is an amount in cents; Date an ISO civil date. The engine formats
// both per locale.
type (
	Money int64
	Date  string
)

// Args are a message's placeholder values: string, int, Money or Date.
type Args map[string]any

// Part is one catalog message inside a reply.
type Part struct {
	Key  string
	Args Args
}

// Button is a quick reply; Key is its catalog title.
type Button struct {
	ID  string
	Key string
}

// Action is something Step asks the engine to do.
type Action interface{ action() }

// Reply sends one message made of catalog parts joined by line breaks,
// optionally with a document (an invoice PDF).
type Reply struct {
	Parts    []Part
	Buttons  []Button
	Document *Document
	// PixQR, when set, is a Pix copia-e-cola code to attach as a QR image
	// (for a debtor paying from another device or a banking app that
	// reads QR images).
	PixQR string
	// About lists the invoices a proactive message (a reminder) is about:
	// if every one of them is paid or cancelled before it goes out, it is
	// not sent.
	About []string
}

// Document is a file sent with a reply.
type Document struct {
	URL      string
	Filename string
}

// SetCollection changes an invoice's collection state (a pause, a plan).
type SetCollection struct {
	InvoiceID string
	Status    bot.CollectionStatus
	Until     string // ISO date
	Detail    []byte // JSON
}

// SetStatus changes the conversation's agent-facing status.
type SetStatus struct{ Status bot.ConversationStatus }

// Emit records an event for the billing system (contract §4.2).
type Emit struct {
	Type string
	Data map[string]any
}

func (Reply) action()         {}
func (SetStatus) action()     {}
func (Emit) action()          {}
func (SetCollection) action() {}

// Result is the outcome of one step.
type Result struct {
	State   string
	Memory  Memory
	Actions []Action
}

func say(key string, args Args) Part { return Part{Key: key, Args: args} }

func reply(parts ...Part) Reply { return Reply{Parts: parts} }
