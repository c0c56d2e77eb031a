package reminders_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
	"github.com/quitabot/quita/store/coord"
)

// countingStore is an empty book that counts the passes reading it.
type countingStore struct{ passes atomic.Int32 }

func (s *countingStore) ReminderCandidates(context.Context, reminders.CandidateQuery) ([]reminders.Candidate, error) {
	s.passes.Add(1)
	return nil, nil
}

func (s *countingStore) ReminderLog(context.Context, []string) (map[string]map[string]reminders.Logged, error) {
	return nil, nil
}

func (s *countingStore) ReminderCounts(context.Context, []string, policy.Date) (map[string]reminders.Counts, error) {
	return nil, nil
}

type noEngine struct{}

func (noEngine) Remind(context.Context, []reminders.Debtor) ([]reminders.Outcome, error) {
	return nil, nil
}

func TestLoopRunsOnePassAtATimeAcrossInstances(t *testing.T) {
	st := &countingStore{}
	r, err := reminders.New(reminders.Config{Store: st, Engine: noEngine{}, Policy: policy.Default(), Location: saoPaulo})
	if err != nil {
		t.Fatal(err)
	}
	co := coord.NewMemory()
	other, err := co.TryLock(context.Background(), reminders.LockKey, time.Minute) // another instance's pass
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	clk := clock.NewManual(time.Date(2026, 11, 25, 10, 0, 0, 0, saoPaulo))
	go func() { r.Loop(ctx, clk, co, 5*time.Millisecond); close(done) }()
	time.Sleep(50 * time.Millisecond)
	if n := st.passes.Load(); n != 0 {
		t.Fatalf("%d passes while another instance held the lock", n)
	}
	if err := other.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return st.passes.Load() > 0 })
	// Outside the contact windows: one pass to count what waits, then none.
	clk.Advance(10 * time.Hour) // 20:00
	before := st.passes.Load()
	time.Sleep(60 * time.Millisecond)
	if n := st.passes.Load() - before; n > 2 {
		t.Fatalf("%d passes after hours", n)
	}
	cancel()
	<-done
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

// queryStore is an empty book that records the queries of a pass.
type queryStore struct {
	countingStore
	queries []reminders.CandidateQuery
}

func (s *queryStore) ReminderCandidates(_ context.Context, q reminders.CandidateQuery) ([]reminders.Candidate, error) {
	s.queries = append(s.queries, q)
	return nil, nil
}

// A pass selects ahead past the days without contact after today (a D-3
// on them is due today) and back to the oldest due date not time-barred.
func TestRunDueSelectsPastDaysOffAndOldInvoices(t *testing.T) {
	cases := []struct{ now, dueTo string }{
		{"2026-11-25T10:00:00-03:00", "2026-11-28"}, // Wednesday: D-3 of Saturday's due date
		{"2026-11-27T10:00:00-03:00", "2026-12-02"}, // Friday: the weekend's D-3s too
		{"2026-12-24T10:00:00-03:00", "2026-12-30"}, // Christmas Eve: Christmas and the weekend
	}
	for _, tc := range cases {
		st := &queryStore{}
		r, err := reminders.New(reminders.Config{Store: st, Engine: noEngine{}, Policy: policy.Default(), Location: saoPaulo})
		if err != nil {
			t.Fatal(err)
		}
		now, _ := time.Parse(time.RFC3339, tc.now)
		if _, err := r.RunDue(context.Background(), now); err != nil {
			t.Fatal(err)
		}
		q := st.queries[0]
		if q.DueTo != tc.dueTo || q.OldFrom != "2021"+tc.now[4:10] {
			t.Errorf("%s: DueTo %s OldFrom %s, want %s and five years back", tc.now, q.DueTo, q.OldFrom, tc.dueTo)
		}
	}
}
