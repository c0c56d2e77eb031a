// Package retention runs the daily personal-data retention job (LGPD,
// issue 16): it erases customers with no open invoice and no activity for
// the policy's retention_days (and the conversations of unknown numbers
// idle as long), and prunes operational records (delivered
// outbox rows, processed inbox rows, the simulator's log, received billing
// webhooks) older than retention.operational_days, and ended sessions. It
// runs on the service clock, one instance at a time.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// LockKey is the coordinator lock that lets one instance at a time run
// the job.
const LockKey = "retention"

const lockTTL = time.Minute

// Candidate is a customer the job may erase.
type Candidate struct {
	ID         string // Quita's id
	ExternalID string // the billing system's, "" when it never named one
}

// Name is the id erasure takes: the billing system's, else Quita's.
func (c Candidate) Name() string {
	if c.ExternalID != "" {
		return c.ExternalID
	}
	return c.ID
}

// Store is the persistence the job needs; *store.Store implements it.
type Store interface {
	// RetentionCandidates lists, by id after the cursor, customers not yet
	// erased with no open invoice and nothing changed since idleSince.
	RetentionCandidates(ctx context.Context, idleSince time.Time, after string, limit int) ([]Candidate, error)
	// EraseForRetention erases one candidate as EraseCustomer does (never
	// forced) and returns the rows it erased by kind.
	EraseForRetention(ctx context.Context, c Candidate, reason string, at time.Time, id, eventID string) (map[string]int64, error)
	// EraseIdleConversations erases the conversations of unknown numbers
	// (no customer) idle since idleSince, limit at a time, and returns the
	// rows erased by kind.
	EraseIdleConversations(ctx context.Context, idleSince, at time.Time, limit int) (map[string]int64, error)
	// PruneOperational deletes operational rows older than before, and
	// sessions ended before now; it returns the rows deleted by kind.
	PruneOperational(ctx context.Context, before, now time.Time) (map[string]int64, error)
}

// Report is what one run did: rows erased and pruned, by kind.
type Report struct {
	Erased map[string]int64
	Pruned map[string]int64
}

// Config configures a Job.
type Config struct {
	Store  Store
	Policy policy.Policy
	IDs    interface{ New(prefix string) string }
	// Observe, when set, receives each run's report (metrics).
	Observe func(Report)
	Logger  *slog.Logger
	// BatchSize is how many candidates are read at a time (default 200).
	BatchSize int
}

// Job is the retention job.
type Job struct {
	cfg Config
	log *slog.Logger
	mu  sync.Mutex // serialises runs within the instance (loop and simulator)
	// lastDay is the service day of the last run, "" before the first.
	lastDay string
}

// New returns a Job.
func New(cfg Config) *Job {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 200
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Job{cfg: cfg, log: log}
}

// Run erases and prunes what is due at now (the service clock's time).
// A customer whose erasure fails (an invoice opened meanwhile) is left
// for the next run; the rest go on.
func (j *Job) Run(ctx context.Context, now time.Time) (Report, error) {
	rep := Report{Erased: map[string]int64{}, Pruned: map[string]int64{}}
	idleSince := now.AddDate(0, 0, -j.cfg.Policy.RetentionDays)
	reason := fmt.Sprintf("retention: no open invoice and no activity for %d days", j.cfg.Policy.RetentionDays)
	var errs []error
	after := ""
	for {
		page, err := j.cfg.Store.RetentionCandidates(ctx, idleSince, after, j.cfg.BatchSize)
		if err != nil {
			errs = append(errs, err)
			break
		}
		for _, c := range page {
			n, err := j.cfg.Store.EraseForRetention(ctx, c, reason, now, j.cfg.IDs.New("era"), j.cfg.IDs.New("evt"))
			if err != nil {
				if bot.ErrorCodeOf(err) != bot.CodeConflict && bot.ErrorCodeOf(err) != bot.CodeNotFound {
					errs = append(errs, err)
				}
				continue
			}
			for k, v := range n {
				rep.Erased[k] += v
			}
		}
		if len(page) < j.cfg.BatchSize {
			break
		}
		after = page[len(page)-1].ID
	}
	unknown, err := j.cfg.Store.EraseIdleConversations(ctx, idleSince, now, j.cfg.BatchSize)
	for k, v := range unknown {
		rep.Erased[k] += v
	}
	if err != nil {
		errs = append(errs, err)
	}
	days := j.cfg.Policy.Retention.OperationalDays
	pruned, err := j.cfg.Store.PruneOperational(ctx, now.AddDate(0, 0, -days), time.Now())
	for k, v := range pruned {
		rep.Pruned[k] += v
	}
	if err != nil {
		errs = append(errs, err)
	}
	if j.cfg.Observe != nil {
		j.cfg.Observe(rep)
	}
	err = errors.Join(errs...)
	if err != nil {
		j.log.Error("retention run failed", "err", err)
	} else {
		j.log.Info("retention run", "erased", rep.Erased, "pruned", rep.Pruned)
	}
	return rep, err
}

// RunDaily runs the job if now falls on a later service day (in loc) than
// the last run; it reports whether it ran.
func (j *Job) RunDaily(ctx context.Context, now time.Time, loc *time.Location) (bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	day := now.In(loc).Format("2006-01-02")
	if day <= j.lastDay {
		return false, nil
	}
	_, err := j.Run(ctx, now)
	if err == nil {
		j.lastDay = day
	}
	return true, err
}

// Loop checks every interval until ctx ends whether a service day began
// and, holding LockKey, runs the job for it: one instance at a time, once
// a day per instance (a second instance's run finds nothing left to do).
func (j *Job) Loop(ctx context.Context, clock bot.Clock, co bot.Coordinator, loc *time.Location, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		j.lockedRun(ctx, clock, co, loc)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (j *Job) lockedRun(ctx context.Context, clock bot.Clock, co bot.Coordinator, loc *time.Location) {
	j.mu.Lock()
	ran := clock.Now().In(loc).Format("2006-01-02") <= j.lastDay
	j.mu.Unlock()
	if ran {
		return
	}
	lost := func(err error) { j.log.Warn("retention lock lost; stopping the run", "err", err) }
	if _, err := bot.WithLease(ctx, co, LockKey, lockTTL, lost, func(ctx context.Context) { _, _ = j.RunDaily(ctx, clock.Now(), loc) }); err != nil {
		j.log.Error("retention lock failed", "err", err)
	}
}

// DueRunner returns what the simulator runs when its clock moves (it
// matches web.DueRunner): the day's run, if a new service day began.
func DueRunner(j *Job, clock bot.Clock, loc *time.Location) func(context.Context) ([]bot.OutboundMessage, error) {
	return func(ctx context.Context) ([]bot.OutboundMessage, error) {
		_, err := j.RunDaily(ctx, clock.Now(), loc)
		return nil, err
	}
}
