package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A full mailbox with a retiring actor used to deadlock every conversation:
// tiny idle times and a one-slot mailbox make that interleaving common.
func TestActorsNeverDeadlockUnderChurn(t *testing.T) {
	a := newActors(50*time.Microsecond, 1)
	var ran atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				key := []string{"a", "b", "c"}[(g+i)%3]
				if err := a.do(context.Background(), key, func(context.Context) { ran.Add(1) }); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("actors deadlocked")
	}
	if ran.Load() != 16*200 {
		t.Fatalf("ran %d jobs, want %d", ran.Load(), 16*200)
	}
	if err := a.stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A busy conversation must not hold up another one, and a caller's
// deadline bounds its wait.
func TestActorsIsolateConversations(t *testing.T) {
	a := newActors(time.Minute, 1)
	release := make(chan struct{})
	go a.do(context.Background(), "busy", func(context.Context) { <-release })
	go a.do(context.Background(), "busy", func(context.Context) {})
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := a.do(ctx, "busy", func(context.Context) {}); err == nil {
		t.Fatal("a full mailbox ignored the caller's deadline")
	}
	start := time.Now()
	if err := a.do(context.Background(), "other", func(context.Context) {}); err != nil || time.Since(start) > 2*time.Second {
		t.Fatalf("another conversation waited behind a busy one: %v", err)
	}
	close(release)
	if err := a.stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.do(context.Background(), "late", func(context.Context) {}); err != errStopped {
		t.Fatalf("a stopped engine accepted work: %v", err)
	}
}
