package engine

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errStopped is returned once the engine is shutting down.
var errStopped = errors.New("engine: shutting down")

// actors runs jobs one at a time per key (a conversation), concurrently
// across keys. Each key gets a goroutine with a bounded queue that exits
// after being idle, so idle conversations cost nothing.
type actors struct {
	mu       sync.Mutex
	queues   map[string]chan job
	stopped  bool
	wg       sync.WaitGroup
	idle     time.Duration
	queueLen int
	quit     chan struct{}
}

type job struct {
	ctx  context.Context
	run  func(context.Context)
	done chan struct{}
}

// execute runs the job unless its caller gave up, then releases the caller.
func (j job) execute() {
	if j.ctx.Err() == nil {
		j.run(j.ctx)
	}
	close(j.done)
}

func newActors(idle time.Duration, queueLen int) *actors {
	return &actors{queues: map[string]chan job{}, idle: idle, queueLen: queueLen, quit: make(chan struct{})}
}

// do runs fn on key's actor and waits for it to finish or ctx to end.
// A full queue makes the caller wait: back-pressure instead of unbounded
// memory.
func (a *actors) do(ctx context.Context, key string, fn func(context.Context)) error {
	j := job{ctx: ctx, run: fn, done: make(chan struct{})}
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return errStopped
	}
	q, ok := a.queues[key]
	if !ok {
		q = make(chan job, a.queueLen)
		a.queues[key] = q
		a.wg.Add(1)
		go a.loop(key, q)
	}
	// Sending while holding the lock keeps loop from retiring q between
	// lookup and send; the send blocks only when the queue is full.
	select {
	case q <- j:
	case <-ctx.Done():
		a.mu.Unlock()
		return ctx.Err()
	}
	a.mu.Unlock()
	select {
	case <-j.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *actors) loop(key string, q chan job) {
	defer a.wg.Done()
	timer := time.NewTimer(a.idle)
	defer timer.Stop()
	for {
		select {
		case j := <-q:
			j.execute()
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(a.idle)
		case <-a.quit:
			// Shutting down: finish what was queued before the stop, then exit.
			for {
				select {
				case j := <-q:
					j.execute()
				default:
					return
				}
			}
		case <-timer.C:
			a.mu.Lock()
			if len(q) == 0 {
				delete(a.queues, key)
				a.mu.Unlock()
				return
			}
			a.mu.Unlock()
			timer.Reset(a.idle)
		}
	}
}

// active returns the number of live actors.
func (a *actors) active() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.queues)
}

// stop refuses new jobs and waits until queued ones finish or ctx ends.
func (a *actors) stop(ctx context.Context) error {
	a.mu.Lock()
	if !a.stopped {
		a.stopped = true
		close(a.quit)
	}
	a.mu.Unlock()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
