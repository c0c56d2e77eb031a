package retention

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store/coord"
)

type countingStore struct{ prunes atomic.Int64 }

func (s *countingStore) RetentionCandidates(context.Context, time.Time, string, int) ([]Candidate, error) {
	return nil, nil
}

func (s *countingStore) EraseForRetention(context.Context, Candidate, string, time.Time, string, string) (map[string]int64, error) {
	return nil, nil
}

func (s *countingStore) EraseIdleConversations(context.Context, time.Time, time.Time, int) (map[string]int64, error) {
	return nil, nil
}

func (s *countingStore) PruneOperational(_ context.Context, before, _ time.Time) (map[string]int64, error) {
	s.prunes.Add(1)
	return map[string]int64{"outbox": 1}, nil
}

// The job runs once per service day, and not while another instance holds
// its lock.
func TestLoopRunsOncePerDayAndOneInstanceAtATime(t *testing.T) {
	st := &countingStore{}
	clk := clock.NewManual(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	co := coord.NewMemory()
	job := New(Config{Store: st, Policy: policy.Default(), IDs: bot.NewIDs()})
	ctx := context.Background()

	other, err := co.TryLock(ctx, LockKey, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	job.lockedRun(ctx, clk, co, time.UTC)
	if n := st.prunes.Load(); n != 0 {
		t.Fatalf("ran %d times while another instance held the lock", n)
	}
	if err := other.Release(ctx); err != nil {
		t.Fatal(err)
	}
	job.lockedRun(ctx, clk, co, time.UTC)
	job.lockedRun(ctx, clk, co, time.UTC)
	if n := st.prunes.Load(); n != 1 {
		t.Fatalf("ran %d times on one day, want 1", n)
	}
	clk.Advance(24 * time.Hour)
	job.lockedRun(ctx, clk, co, time.UTC)
	if n := st.prunes.Load(); n != 2 {
		t.Fatalf("ran %d times over two days, want 2", n)
	}
	// The simulator's moved clock runs it too.
	clk.Advance(31 * 24 * time.Hour)
	if _, err := DueRunner(job, clk, time.UTC)(ctx); err != nil || st.prunes.Load() != 3 {
		t.Fatalf("due runner: %v, %d runs", err, st.prunes.Load())
	}
}
