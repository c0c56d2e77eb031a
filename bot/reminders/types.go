package reminders

import (
	"context"
	"errors"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// ErrAlreadyDone is returned by a commit whose reminder log key exists:
// another pass (another instance, or one that crashed after committing)
// did this work. Nothing was written; the caller skips it.
var ErrAlreadyDone = errors.New("reminders: step already logged")

// ErrStale is returned by a commit when an invoice it is about is no longer
// open or was re-dated since it was planned. Nothing was written; the
// caller plans again from fresh facts.
var ErrStale = errors.New("reminders: invoice changed since it was planned")

// Candidate is an open invoice that may have reminder work, with its
// debtor and collection state (zero when active).
type Candidate struct {
	Invoice    bot.Invoice
	Customer   bot.Customer
	Collection bot.Collection
}

// CandidateQuery selects candidates: open invoices due in [DueFrom, DueTo],
// or in [OldFrom, DueFrom) and not handed over for that due date yet (no
// "escalation@<due date>" logged), or whose plan, extension, promise or
// receipt review ends on or after UntilFrom, ordered by customer then
// invoice id, after the cursor. OldFrom empty means DueFrom.
type CandidateQuery struct {
	DueFrom, DueTo string // ISO dates
	// OldFrom reaches back to the oldest due date not time-barred: an
	// invoice first reminded late runs its whole (spaced) cadence and
	// escalation from then on, however old it is; once handed over, it
	// costs the pass nothing more.
	OldFrom       string
	UntilFrom     string
	AfterCustomer string
	AfterInvoice  string
	Limit         int
}

// Mark is one reminder log row, written in the same transaction as the
// turn that acted on it. (InvoiceID, Key) is unique.
type Mark struct {
	InvoiceID  string
	Key        string
	CustomerID string
	Kind       string // LoggedSent, LoggedSuperseded, LoggedFollowUp, LoggedEscalated, LoggedClaimReview
	OutboxID   string // the message that carried it; "" when none
	Day        policy.Date
	At         time.Time
	// DueDate is the invoice's due date as planned: the commit refuses
	// (ErrStale) an invoice re-dated, paid or cancelled since.
	DueDate string
}

// MarkedTurn is a conversation turn with the reminder log rows it
// settles. Once bot.Turn carries the marks itself (Turn.Reminders), this
// becomes a plain bot.Turn.
type MarkedTurn struct {
	Turn  bot.Turn
	Marks []Mark
}

// Counts are the proactive messages a debtor received today and in the
// seven days ending today, for policy.Caps.
type Counts struct{ Today, Week int }

// Store is the persistence the runner needs.
type Store interface {
	// ReminderCandidates returns up to q.Limit candidates after the cursor.
	ReminderCandidates(ctx context.Context, q CandidateQuery) ([]Candidate, error)
	// ReminderLog returns the log of the given invoices by invoice, then key.
	ReminderLog(ctx context.Context, invoiceIDs []string) (map[string]map[string]Logged, error)
	// ReminderCounts returns the messages logged for each customer.
	ReminderCounts(ctx context.Context, customerIDs []string, today policy.Date) (map[string]Counts, error)
}

// Debtor is one customer's due work for a pass, with the facts it was
// planned from.
type Debtor struct {
	Customer    bot.Customer
	Invoices    []bot.Invoice // the candidate invoices of the customer
	Collections map[string]bot.Collection
	Due         []Due
}

// Outcome is what the engine did with a debtor's work.
type Outcome struct {
	CustomerID string
	Done       int // work items logged (sent, escalated, followed up)
	Messages   int // proactive messages queued (0 or 1)
	// Suppressed says why nothing was done: opted_out, wrong_number,
	// with_agent, no_message (the flow had nothing to say), duplicate
	// (another pass committed it first), raced (planned again from fresh
	// facts, nothing was due any more: another pass sent it, or it was
	// paid meanwhile), error (the turn could not be built; logged), capped
	// and busy (left for a later pass).
	Suppressed string
}

// Engine runs planned work through the debtors' conversations.
type Engine interface {
	Remind(ctx context.Context, debtors []Debtor) ([]Outcome, error)
}

// Observer is told the counts of each batch of a pass and each pass's
// duration, for metrics. It must be cheap and safe for concurrent use.
type Observer interface {
	Counted(r Report)
	Pass(d time.Duration, err error)
}

type nopObserver struct{}

func (nopObserver) Counted(Report)            {}
func (nopObserver) Pass(time.Duration, error) {}

// Report counts a pass (or a batch of one) in work items: one invoice's
// step, follow-up or escalation each.
type Report struct {
	Due      int // found due
	Sent     int // done and logged: queued for sending, or escalated
	Messages int // messages queued (one per debtor however many invoices)
	// Deferred counts items due but held to a later pass: "window"
	// (outside contact hours) and "cap" (the debtor's daily or weekly
	// limit, or one message per pass). They are planned again next pass,
	// so an item held all day is counted in every pass.
	Deferred map[string]int
	// Suppressed counts items not sent for a reason that is not timing:
	// a pause (disputed, claimed, promised), time_barred, or a stop of the
	// conversation (opted_out, wrong_number, with_agent), duplicate…
	Suppressed map[string]int
}

func (r *Report) add(o Report) {
	r.Due, r.Sent, r.Messages = r.Due+o.Due, r.Sent+o.Sent, r.Messages+o.Messages
	for k, v := range o.Deferred {
		r.deferItems(k, v)
	}
	for k, v := range o.Suppressed {
		r.suppressItems(k, v)
	}
}

func (r *Report) deferItems(reason string, n int) {
	if n == 0 || reason == "" {
		return
	}
	if r.Deferred == nil {
		r.Deferred = map[string]int{}
	}
	r.Deferred[reason] += n
}

func (r *Report) suppressItems(reason string, n int) {
	if n == 0 || reason == "" {
		return
	}
	if r.Suppressed == nil {
		r.Suppressed = map[string]int{}
	}
	r.Suppressed[reason] += n
}
