package reminders

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// Config holds a Runner's dependencies; Observer, Logger and BatchSize are
// optional.
type Config struct {
	Store    Store
	Engine   Engine
	Policy   policy.Policy
	Location *time.Location // the business time zone (QUITA_TIMEZONE)
	Observer Observer
	Logger   *slog.Logger
	// BatchSize is how many invoices one selection reads (default 1000).
	// A debtor's invoices always stay in one batch, so their reminders
	// share one message.
	BatchSize int
	// Workers is how many batches are planned, rendered and committed at
	// once (default 4): some render while others wait on the database.
	// With two, a two-core host shared with PostgreSQL sat idle a sixth of
	// a pass; four kept both cores busy (docs/benchmarks.md).
	Workers int
}

// Runner finds due reminders and hands them to the engine. It keeps no
// state between passes: everything it knows is in the database, so any
// instance can run a pass and a pass can stop anywhere.
type Runner struct {
	cfg         Config
	back, ahead int
	log         *slog.Logger
	obs         Observer
}

// New returns a runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Store == nil || cfg.Engine == nil || cfg.Location == nil {
		return nil, errors.New("reminders: store, engine and location are required")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	r := &Runner{cfg: cfg, log: cfg.Logger, obs: cfg.Observer}
	r.back, r.ahead = Horizon(cfg.Policy)
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.obs == nil {
		r.obs = nopObserver{}
	}
	return r, nil
}

// RunDue runs one pass at now: every debtor with reminder work due today
// gets it, within contact windows and caps. Outside the contact windows it
// only counts what waits (deferred "window"); the first pass inside the
// next window sends it. A pass cut short (ctx ended, crash) leaves whole
// turns or nothing, and the next pass carries on.
func (r *Runner) RunDue(ctx context.Context, now time.Time) (Report, error) {
	start := time.Now()
	rep, err := r.run(ctx, now)
	r.obs.Pass(time.Since(start), err)
	if err != nil {
		r.log.Error("reminder pass failed", "err", err, "due", rep.Due, "sent", rep.Sent)
	} else if rep.Due > 0 {
		r.log.Info("reminder pass", "due", rep.Due, "sent", rep.Sent, "messages", rep.Messages,
			"deferred", rep.Deferred, "suppressed", rep.Suppressed, "took", time.Since(start).Round(time.Millisecond))
	}
	return rep, err
}

func (r *Runner) run(ctx context.Context, now time.Time) (Report, error) {
	local := now.In(r.cfg.Location)
	today := policy.DateOf(local)
	open := r.cfg.Policy.Allowed(local)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Batches hold disjoint debtors, so they commit independently: while
	// one batch waits on the database another is planned and rendered.
	batches := make(chan []Candidate)
	var rep Report
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < r.cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range batches {
				b, err := r.batch(ctx, today, open, batch)
				mu.Lock()
				rep.add(b)
				mu.Unlock()
				r.obs.Counted(b)
				if err != nil {
					cancel(err)
				}
			}
		}()
	}
	err := r.select_(ctx, today, batches)
	close(batches)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil {
		err = cause
	}
	return rep, err
}

// select_ reads the candidates page by page and hands them on in batches
// that never split a debtor's invoices, so they share one message.
func (r *Runner) select_(ctx context.Context, today policy.Date, batches chan<- []Candidate) error {
	q := CandidateQuery{DueFrom: today.AddDays(-r.back).String(), DueTo: today.AddDays(aheadOn(r.cfg.Policy, today, r.ahead)).String(),
		OldFrom: oldestCollectable(r.cfg.Policy, today).String(), UntilFrom: today.AddDays(-r.back).String(), Limit: r.cfg.BatchSize}
	var carry []Candidate
	for {
		page, err := r.cfg.Store.ReminderCandidates(ctx, q)
		if err != nil {
			return err
		}
		full := len(page) == q.Limit
		if len(page) > 0 {
			last := page[len(page)-1]
			q.AfterCustomer, q.AfterInvoice = last.Customer.ID, last.Invoice.ID
		}
		batch := page
		if len(carry) > 0 {
			batch = append(carry, page...)
		}
		carry = nil
		if full {
			// The last debtor may have more invoices on the next page:
			// hold them back so all of a debtor's reminders share a message.
			cut := len(batch)
			for cut > 0 && batch[cut-1].Customer.ID == page[len(page)-1].Customer.ID {
				cut--
			}
			if cut > 0 {
				carry = append([]Candidate(nil), batch[cut:]...)
				batch = batch[:cut]
			} else {
				carry, batch = batch, nil // one debtor fills the page: read on
			}
		}
		// A customer erased while owing (an admin's forced erasure) has
		// no number left to remind.
		batch = slices.DeleteFunc(batch, func(c Candidate) bool { return c.Customer.Phone == "" })
		if len(batch) > 0 {
			select {
			case batches <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if !full {
			return nil
		}
	}
}

// aheadOn is how many days after today a due date may lie and have work
// today: the earliest step's (ahead), plus the days without contact right
// after today, since a step before the due date that falls on them is due
// on the latest contact day before it — today (see schedule).
func aheadOn(p policy.Policy, today policy.Date, ahead int) int {
	if ahead <= 0 {
		return ahead
	}
	n := 0
	for n < 14 && !p.ContactDay(today.AddDays(n+1)) {
		n++
	}
	return ahead + n
}

// oldestCollectable is the oldest due date that may still have reminder
// work today: older ones are time-barred (a day's margin either way is
// harmless, the planner decides).
func oldestCollectable(p policy.Policy, today policy.Date) policy.Date {
	return policy.NewDate(today.Year-p.Reminders.TimeBarredYears, today.Month, today.Day)
}

// batch plans one batch of candidates (a debtor's all in it) and sends
// what may go now.
func (r *Runner) batch(ctx context.Context, today policy.Date, open bool, cands []Candidate) (Report, error) {
	var rep Report
	ids := make([]string, len(cands))
	for i, c := range cands {
		ids[i] = c.Invoice.ID
	}
	logs, err := r.cfg.Store.ReminderLog(ctx, ids)
	if err != nil {
		return rep, err
	}
	var debtors []Debtor
	for i := 0; i < len(cands); {
		j := i
		d := Debtor{Customer: cands[i].Customer, Collections: map[string]bot.Collection{}}
		for ; j < len(cands) && cands[j].Customer.ID == d.Customer.ID; j++ {
			c := cands[j]
			d.Invoices = append(d.Invoices, c.Invoice)
			if c.Collection.Status != "" {
				d.Collections[c.Invoice.ID] = c.Collection
			}
			dec := Plan(r.cfg.Policy, Facts{Invoice: c.Invoice, Tags: d.Customer.Tags, Collection: c.Collection, Log: logs[c.Invoice.ID]}, today)
			rep.suppressItems(dec.Held, 1)
			if dec.Due != nil {
				d.Due = append(d.Due, *dec.Due)
			}
		}
		i = j
		if len(d.Due) > 0 {
			rep.Due += len(d.Due)
			debtors = append(debtors, d)
		}
	}
	if len(debtors) == 0 {
		return rep, nil
	}
	if !open {
		rep.deferItems("window", rep.Due)
		return rep, nil
	}
	customerIDs := make([]string, len(debtors))
	for i, d := range debtors {
		customerIDs[i] = d.Customer.ID
	}
	counts, err := r.cfg.Store.ReminderCounts(ctx, customerIDs, today)
	if err != nil {
		return rep, err
	}
	send := debtors[:0]
	for _, d := range debtors {
		var held int
		d.Due, held = Compose(r.cfg.Policy, d.Due, counts[d.Customer.ID])
		rep.deferItems("cap", held)
		if len(d.Due) > 0 {
			send = append(send, d)
		}
	}
	if len(send) == 0 {
		return rep, nil
	}
	outcomes, err := r.cfg.Engine.Remind(ctx, send)
	for i, o := range outcomes {
		switch {
		case o.Suppressed == "capped":
			rep.deferItems("cap", len(send[i].Due))
		case o.Suppressed == "busy":
			rep.deferItems("busy", len(send[i].Due))
		case o.Suppressed != "":
			rep.suppressItems(o.Suppressed, len(send[i].Due))
		default:
			rep.Sent += o.Done
			rep.Messages += o.Messages
		}
	}
	return rep, err
}

// Compose picks what may go to one debtor in a pass: one message's worth —
// every due step together, or a claim review or a promise follow-up alone,
// since each is a message of its own that replaces a step — within
// policy.Caps, plus escalations, which send the debtor nothing. It returns
// the work to do and how many items wait.
//
// A claim review goes first and passes the caps. It is not collection
// pressure: it keeps the word given to a debtor who sent a receipt ("we
// will check by 11/12"), goes once per claim into a chat the debtor
// started, asks for nothing, and hands the case to a person, which must not
// wait a day or a week because a reminder about another invoice went out.
// What it displaces waits for the next pass.
func Compose(p policy.Policy, due []Due, c Counts) (send []Due, held int) {
	var steps, follow, review, escalate []Due
	for _, d := range due {
		switch d.Action {
		case ActionPromiseMissed:
			follow = append(follow, d)
		case ActionClaimReview:
			review = append(review, d)
		case ActionEscalate:
			escalate = append(escalate, d)
		default:
			steps = append(steps, d)
		}
	}
	if len(review) > 0 {
		return append(review[:1], escalate...), len(review) - 1 + len(follow) + len(steps)
	}
	msg := steps
	if len(follow) > 0 {
		msg, held = follow[:1], len(follow)-1+len(steps)
	}
	if len(msg) > 0 && (c.Today >= p.Caps.PerDay || c.Week >= p.Caps.PerWeek) {
		msg, held = nil, held+len(msg)
	}
	return append(msg, escalate...), held
}
