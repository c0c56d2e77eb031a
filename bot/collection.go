package bot

import "time"

// CollectionStatus says whether an invoice is being collected and, when
// not, why. Reminders (and anything proactive) act only on active ones.
type CollectionStatus string

// Collection statuses. Until, where it applies, is when the pause ends.
const (
	CollectionActive   CollectionStatus = "active"
	CollectionClaimed  CollectionStatus = "claimed"  // debtor says it is paid; receipt under review until Until
	CollectionDisputed CollectionStatus = "disputed" // debtor disputes it; an agent decides
	CollectionPromised CollectionStatus = "promised" // debtor promised to pay on Until
	CollectionPlan     CollectionStatus = "plan"     // an installment plan replaces it (Detail holds the schedule)
	CollectionExtended CollectionStatus = "extended" // a new due date, Until, was granted
)

// Collection is the collection state of one invoice, written by the
// conversation in the same transaction as the turn that changed it.
type Collection struct {
	InvoiceID string
	Status    CollectionStatus
	Until     string // ISO date, when the pause ends or the promise falls due
	Detail    []byte // JSON specific to the status (plan schedule, dispute reason)
	UpdatedAt time.Time
}
