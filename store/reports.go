package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// The collection report (README "Reports") reads what happened in a period
// from the logs the service already keeps — outbound events in the outbox,
// the transcript, the reminder log — and from invoice_settlements, which
// SetInvoiceStatus fills as payments and cancellations arrive. Counting
// rules live here and nowhere else; web only shapes and prices them.

// Settlement kinds in invoice_settlements.
const (
	settlementPaid      = "paid"
	settlementCancelled = "cancelled"
)

type settlementRow struct {
	InvoiceID   string `gorm:"primaryKey"`
	Kind        string `gorm:"primaryKey"`
	At          time.Time
	OnDate      string
	AmountCents int64
	DaysLate    int
	Contacted   int
}

func (settlementRow) TableName() string { return "invoice_settlements" }

// recordSettlement notes, inside SetInvoiceStatus's transaction, that inv
// was just paid or cancelled at at. For a payment it fixes whether Quita
// had contacted the debtor about it before: a reminder of this invoice
// (not one superseded, which never went out) or a conversation of its
// debtor started no later than the payment.
func (s *Store) recordSettlement(tx *gorm.DB, inv bot.Invoice, at time.Time) error {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	on := policy.DateOf(at.In(loc))
	row := settlementRow{InvoiceID: inv.ID, Kind: string(inv.Status), At: at.UTC(), OnDate: on.String(), AmountCents: inv.AmountCents}
	if inv.Status == bot.InvoicePaid {
		if due, err := policy.ParseDate(inv.DueDate); err == nil {
			row.DaysLate = due.DaysUntil(on)
		}
		var n int64
		err := tx.Raw(`SELECT COUNT(*) FROM (SELECT 1 FROM reminder_log WHERE invoice_id = ? AND kind <> 'superseded' AND at <= ? LIMIT 1) x`,
			inv.ID, at.UTC()).Scan(&n).Error
		if err == nil && n == 0 {
			err = tx.Raw(`SELECT COUNT(*) FROM (SELECT 1 FROM conversations WHERE customer_id = ? AND created_at <= ? LIMIT 1) x`,
				inv.CustomerID, at.UTC()).Scan(&n).Error
		}
		if err != nil {
			return err
		}
		if n > 0 {
			row.Contacted = 1
		}
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
}

// Payment is what the report knows of one invoice's payment.
type Payment struct {
	InvoiceID   string
	At          time.Time
	AmountCents int64
	// Contacted: Quita had reminded the invoice or talked with its debtor
	// before the payment arrived, so the payment counts as recovered.
	Contacted bool
}

// InvoicePayment returns the recorded payment of an invoice, or not found.
func (s *Store) InvoicePayment(ctx context.Context, invoiceID string) (Payment, error) {
	var row settlementRow
	err := s.Gorm.WithContext(ctx).Where("invoice_id = ? AND kind = ?", invoiceID, settlementPaid).Take(&row).Error
	if err != nil {
		return Payment{}, notFound(err, "payment of invoice %s", invoiceID)
	}
	return Payment{InvoiceID: row.InvoiceID, At: row.At, AmountCents: row.AmountCents, Contacted: row.Contacted == 1}, nil
}

// ReportQuery is the period of a collection report.
type ReportQuery struct {
	// From and To are inclusive business days; Location is the business
	// time zone that turns them into instants (nil: UTC).
	From, To policy.Date
	Location *time.Location
	// Today is the business day the report is made: a promise for a later
	// day is still pending.
	Today policy.Date
	// DefaultAfterDays is how many days after its due date an invoice still
	// open counts as defaulted: the last cadence step's offset plus 30.
	DefaultAfterDays int
}

// StepCounts are the reminders of one cadence step ("" for all of them).
type StepCounts struct {
	Step           string
	Sent           int64
	RepliedIn48h   int64
	PaidWithin7d   int64
	MessagesByMean map[string]int64 // transport → reminder messages; only on the total
}

// AgingBucket is the open overdue invoices of one age range.
type AgingBucket struct {
	Bucket string
	Count  int64
	Cents  int64
}

// CollectionReport holds the raw counts of a period; ratios and cost are
// the caller's (they need policy).
type CollectionReport struct {
	Open, OpenCents, Overdue, OverdueCents int64
	Paid, PaidCents, Cancelled             int64
	RecoveredCents                         int64
	// DaysLateSum is the sum over the period's payments of payment day
	// minus due day (negative when early): avg_days_to_pay's numerator.
	DaysLateSum int64

	Started, Replied, WithAgent, Resolved int64

	Reminders StepCounts
	ByStep    []StepCounts

	PromisesMade, PromisesKept, PromisesBroken, PromisesPending int64
	PlansAccepted, PlansTotalCents                              int64

	OptOuts, WrongNumbers, Disputes, Handoffs, AlreadyPaid int64

	// OverdueContacted are the invoices reminded in the period by an
	// overdue step (d+1 or later); OverdueRecovered those of them paid
	// after that first reminder: recovery_rate's terms.
	OverdueContacted, OverdueRecovered int64
	// DefaultCohort are the invoices (not cancelled) whose DefaultAfterDays
	// fell in the period; Defaulted those of them still open.
	DefaultCohort, Defaulted int64

	Aging []AgingBucket
}

// reportBatch bounds IN lists.
const reportBatch = 500

// CollectionReport counts what happened between q.From and q.To.
func (s *Store) CollectionReport(ctx context.Context, q ReportQuery) (CollectionReport, error) {
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	start, end := q.From.In(loc).UTC(), q.To.AddDays(1).In(loc).UTC()
	db := s.Gorm.WithContext(ctx)
	var r CollectionReport
	steps := []func() error{
		func() error { return s.reportSettlements(db, start, end, &r) },
		func() error { return s.reportInvoices(db, q, &r) },
		func() error { return s.reportEvents(db, start, end, &r) },
		func() error { return s.reportConversations(db, start, end, &r) },
		func() error { return s.reportReminders(db, start, end, &r) },
		func() error { return s.reportPromises(db, start, end, q.Today, &r) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return CollectionReport{}, fmt.Errorf("store: collection report: %w", err)
		}
	}
	return r, nil
}

func (s *Store) reportSettlements(db *gorm.DB, start, end time.Time, r *CollectionReport) error {
	var paid struct{ N, Cents, Recovered, DaysLate int64 }
	err := db.Raw(`SELECT COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS cents,
		COALESCE(SUM(amount_cents * contacted), 0) AS recovered, COALESCE(SUM(days_late), 0) AS days_late
		FROM invoice_settlements WHERE kind = ? AND at >= ? AND at < ?`, settlementPaid, start, end).Scan(&paid).Error
	if err != nil {
		return err
	}
	r.Paid, r.PaidCents, r.RecoveredCents, r.DaysLateSum = paid.N, paid.Cents, paid.Recovered, paid.DaysLate
	return db.Raw(`SELECT COUNT(*) FROM invoice_settlements WHERE kind = ? AND at >= ? AND at < ?`,
		settlementCancelled, start, end).Scan(&r.Cancelled).Error
}

// reportInvoices reads the open book as of the period's end (today's
// statuses: the history of an invoice's status is not kept) and the
// default cohort.
func (s *Store) reportInvoices(db *gorm.DB, q ReportQuery, r *CollectionReport) error {
	var rows []struct {
		Bucket string
		N      int64
		Cents  int64
	}
	end := q.To
	err := db.Raw(`SELECT CASE WHEN due_date >= ? THEN 'current' WHEN due_date >= ? THEN '1-30'
		WHEN due_date >= ? THEN '31-60' WHEN due_date >= ? THEN '61-90' ELSE '90+' END AS bucket,
		COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS cents
		FROM invoices WHERE status = ? GROUP BY 1`,
		end.String(), end.AddDays(-30).String(), end.AddDays(-60).String(), end.AddDays(-90).String(),
		string(bot.InvoiceOpen)).Scan(&rows).Error
	if err != nil {
		return err
	}
	byBucket := map[string]AgingBucket{}
	for _, row := range rows {
		r.Open += row.N
		r.OpenCents += row.Cents
		if row.Bucket != "current" {
			r.Overdue += row.N
			r.OverdueCents += row.Cents
		}
		byBucket[row.Bucket] = AgingBucket{Bucket: row.Bucket, Count: row.N, Cents: row.Cents}
	}
	for _, b := range []string{"1-30", "31-60", "61-90", "90+"} {
		r.Aging = append(r.Aging, AgingBucket{Bucket: b, Count: byBucket[b].Count, Cents: byBucket[b].Cents})
	}
	var cohort []struct {
		Status string
		N      int64
	}
	err = db.Raw(`SELECT status, COUNT(*) AS n FROM invoices WHERE due_date >= ? AND due_date <= ? GROUP BY status`,
		q.From.AddDays(-q.DefaultAfterDays).String(), q.To.AddDays(-q.DefaultAfterDays).String()).Scan(&cohort).Error
	if err != nil {
		return err
	}
	for _, c := range cohort {
		if c.Status == string(bot.InvoiceCancelled) {
			continue
		}
		r.DefaultCohort += c.N
		if c.Status == string(bot.InvoiceOpen) {
			r.Defaulted += c.N
		}
	}
	return nil
}

// reportEvents counts the outbound events of the period by type.
func (s *Store) reportEvents(db *gorm.DB, start, end time.Time, r *CollectionReport) error {
	var rows []struct {
		EventType     string
		N             int64
		Conversations int64
	}
	types := []string{"reminder.sent", "promise.created", "plan.accepted", "contact.opted_out", "contact.wrong_number",
		"dispute.opened", "conversation.handoff", "conversation.resolved", "payment.claimed"}
	err := db.Raw(`SELECT event_type, COUNT(*) AS n, COUNT(DISTINCT conversation_id) AS conversations FROM outbox
		WHERE kind = 'event' AND event_type IN ? AND created_at >= ? AND created_at < ? GROUP BY event_type`,
		types, start, end).Scan(&rows).Error
	if err != nil {
		return err
	}
	for _, row := range rows {
		switch row.EventType {
		case "promise.created":
			r.PromisesMade = row.N
		case "plan.accepted":
			r.PlansAccepted = row.N
		case "contact.opted_out":
			r.OptOuts = row.N
		case "contact.wrong_number":
			r.WrongNumbers = row.N
		case "dispute.opened":
			r.Disputes = row.N
		case "conversation.handoff":
			r.Handoffs, r.WithAgent = row.N, row.Conversations
		case "conversation.resolved":
			r.Resolved = row.Conversations
		case "payment.claimed":
			r.AlreadyPaid = row.N
		}
	}
	return nil
}

// reportConversations counts conversations started in the period and,
// of those, the ones in which the debtor wrote.
func (s *Store) reportConversations(db *gorm.DB, start, end time.Time, r *CollectionReport) error {
	var row struct{ Started, Replied int64 }
	err := db.Raw(`SELECT COUNT(*) AS started, COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM transcript_entries t
		WHERE t.conversation_id = c.id AND t.direction = ?) THEN 1 ELSE 0 END), 0) AS replied
		FROM conversations c WHERE c.created_at >= ? AND c.created_at < ?`, bot.DirectionIn, start, end).Scan(&row).Error
	r.Started, r.Replied = row.Started, row.Replied
	return err
}

// reminderSQL are the dialect's spellings of the reminder queries: the
// event's JSON read in the database (so a period of hundreds of thousands
// of reminders never travels to Go), and an interval after an instant.
type reminderSQL struct {
	doc      string // the parsed payload of outbox row o
	step     string // the lead step, from doc
	ids      string // a FROM item: one row (v) per invoice of the event
	idStep   string // the step of invoice j.v, from doc
	within48 string // t.at within 48 hours after e.created_at
	within7d string // p.at within 7 days after e.created_at
	// paidAfter is "p.at > …" without letting SQLite answer it from
	// invoice_settlements_kind_at (unary + is a no-op that hides the
	// column from the planner): that index would scan every later payment
	// per reminder instead of probing the invoice's own row.
	paidAfter string
}

var reminderDialect = map[Dialect]reminderSQL{
	// SQLite keeps times as text in one format ("2026-12-01 13:00:00 +0000
	// UTC", always UTC), so they compare as strings; julianday reads their
	// first 19 characters (fractions of a second do not matter here).
	SQLite: {doc: "o.payload", step: "json_extract(e.doc, '$.data.step')",
		ids:       "json_each(e.doc, '$.data.invoice_ids') j",
		idStep:    `COALESCE(json_extract(e.doc, '$.data.steps."' || j.value || '"'), json_extract(e.doc, '$.data.step'))`,
		within48:  "julianday(substr(t.at, 1, 19)) - julianday(substr(e.created_at, 1, 19)) <= 2",
		within7d:  "julianday(substr(p.at, 1, 19)) - julianday(substr(e.created_at, 1, 19)) <= 7",
		paidAfter: "+p.at > "},
	Postgres: {doc: "o.payload::jsonb", step: "(e.doc #>> '{data,step}')",
		ids:      "jsonb_array_elements_text(e.doc #> '{data,invoice_ids}') j(value)",
		idStep:   "COALESCE(e.doc #>> ARRAY['data', 'steps', j.value], e.doc #>> '{data,step}')",
		within48: "t.at <= e.created_at + interval '48 hours'", within7d: "p.at <= e.created_at + interval '7 days'",
		paidAfter: "p.at > "},
}

// reportReminders counts reminder.sent events by lead step with their
// replies within 48 hours and payments within 7 days, the proactive
// messages by transport, and recovery_rate's terms.
func (s *Store) reportReminders(db *gorm.DB, start, end time.Time, r *CollectionReport) error {
	d := reminderDialect[s.Dialect]
	events := `(SELECT o.conversation_id, o.created_at, ` + d.doc + ` AS doc, COALESCE(c.transport, '') AS transport
		FROM outbox o LEFT JOIN conversations c ON c.id = o.conversation_id
		WHERE o.kind = 'event' AND o.event_type = 'reminder.sent' AND o.created_at >= ? AND o.created_at < ?) e`
	var rows []struct {
		Step, Transport     string
		Sent, Replied, Paid int64
	}
	err := db.Raw(`SELECT COALESCE(`+d.step+`, '') AS step, e.transport, COUNT(*) AS sent,
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM transcript_entries t WHERE t.conversation_id = e.conversation_id
			AND t.direction = 'in' AND t.at > e.created_at AND `+d.within48+`) THEN 1 ELSE 0 END), 0) AS replied,
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM `+d.ids+` JOIN invoice_settlements p ON p.invoice_id = j.value AND p.kind = 'paid'
			WHERE `+d.paidAfter+`e.created_at AND `+d.within7d+`) THEN 1 ELSE 0 END), 0) AS paid
		FROM `+events+` GROUP BY 1, e.transport`, start, end).Scan(&rows).Error
	if err != nil {
		return err
	}
	byStep := map[string]*StepCounts{}
	r.Reminders.MessagesByMean = map[string]int64{}
	for _, row := range rows {
		c := byStep[row.Step]
		if c == nil {
			c = &StepCounts{Step: row.Step}
			byStep[row.Step] = c
		}
		for _, t := range []*StepCounts{c, &r.Reminders} {
			t.Sent += row.Sent
			t.RepliedIn48h += row.Replied
			t.PaidWithin7d += row.Paid
		}
		r.Reminders.MessagesByMean[row.Transport] += row.Sent
	}
	for _, c := range byStep {
		r.ByStep = append(r.ByStep, *c)
	}
	sort.Slice(r.ByStep, func(i, j int) bool {
		a, b := stepOffset(r.ByStep[i].Step), stepOffset(r.ByStep[j].Step)
		return a < b || a == b && r.ByStep[i].Step < r.ByStep[j].Step
	})
	// Recovery: each invoice an overdue step (d+1 or later) reached in the
	// period, from its first such reminder; recovered if paid after it.
	var rec struct{ Contacted, Recovered int64 }
	err = db.Raw(`SELECT COUNT(*) AS contacted, COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM invoice_settlements p
			WHERE p.invoice_id = x.inv AND p.kind = 'paid' AND `+d.paidAfter+`x.first) THEN 1 ELSE 0 END), 0) AS recovered
		FROM (SELECT j.value AS inv, MIN(e.created_at) AS first FROM `+events+`, `+d.ids+`
			WHERE `+d.idStep+` LIKE 'd+%' OR `+d.idStep+` LIKE '~d+%' GROUP BY j.value) x`, start, end).Scan(&rec).Error
	r.OverdueContacted, r.OverdueRecovered = rec.Contacted, rec.Recovered
	return err
}

// stepOffset reads a cadence step name ("d-3", "d0", "d+7", "~d+1") as its
// offset in days; other names (installment reminders) sort last.
func stepOffset(step string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(step, "~"), "d"))
	if err != nil || !strings.HasPrefix(strings.TrimPrefix(step, "~"), "d") {
		return 1 << 20
	}
	return n
}

// reportPromises sorts the period's promises: kept when every promised
// invoice was paid on or before the promised day, broken when that day
// has passed without it, pending otherwise.
func (s *Store) reportPromises(db *gorm.DB, start, end time.Time, today policy.Date, r *CollectionReport) error {
	var rows []struct {
		EventType string
		Payload   string
	}
	err := db.Raw(`SELECT event_type, payload FROM outbox WHERE kind = 'event' AND event_type IN ? AND created_at >= ? AND created_at < ?`,
		[]string{"promise.created", "plan.accepted"}, start, end).Scan(&rows).Error
	if err != nil {
		return err
	}
	type promise struct {
		invoices []string
		date     string
	}
	var promises []promise
	ids := map[string]bool{}
	for _, row := range rows {
		var body struct {
			Data struct {
				InvoiceID  string   `json:"invoice_id"`
				InvoiceIDs []string `json:"invoice_ids"`
				Date       string   `json:"date"`
				TotalCents int64    `json:"total_cents"`
			} `json:"data"`
		}
		_ = json.Unmarshal([]byte(row.Payload), &body)
		if row.EventType == "plan.accepted" {
			r.PlansTotalCents += body.Data.TotalCents
			continue
		}
		p := promise{invoices: body.Data.InvoiceIDs, date: body.Data.Date}
		if len(p.invoices) == 0 && body.Data.InvoiceID != "" {
			p.invoices = []string{body.Data.InvoiceID}
		}
		promises = append(promises, p)
		for _, id := range p.invoices {
			ids[id] = true
		}
	}
	paidOn := map[string]string{}
	list := keys(ids)
	for len(list) > 0 {
		n := min(len(list), reportBatch)
		var settled []settlementRow
		if err := db.Where("kind = ? AND invoice_id IN ?", settlementPaid, list[:n]).Find(&settled).Error; err != nil {
			return err
		}
		for _, row := range settled {
			paidOn[row.InvoiceID] = row.OnDate
		}
		list = list[n:]
	}
	for _, p := range promises {
		kept := len(p.invoices) > 0
		for _, id := range p.invoices {
			if on, ok := paidOn[id]; !ok || on > p.date {
				kept = false
			}
		}
		switch {
		case kept:
			r.PromisesKept++
		case p.date < today.String():
			r.PromisesBroken++
		default:
			r.PromisesPending++
		}
	}
	return nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
