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
// across keys. Each key gets a goroutine with a bounded mailbox that exits
// after being idle, so idle conversations cost nothing.
//
// The shared mutex is never held while blocking: a caller registers as a
// pending sender under the lock, then sends without it, so a full mailbox
// slows only its own conversation, and a mailbox is retired only when it
// is empty and nobody is about to send to it.
type actors struct {
	mu       sync.Mutex
	boxes    map[string]*mailbox
	stopped  bool
	wg       sync.WaitGroup
	idle     time.Duration
	queueLen int
	quit     chan struct{}
}

type mailbox struct {
	q       chan job
	pending int // callers between registering and sending; guarded by actors.mu
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
	return &actors{boxes: map[string]*mailbox{}, idle: idle, queueLen: queueLen, quit: make(chan struct{})}
}

// do runs fn on key's actor and waits for it to finish or ctx to end.
// A full mailbox makes the caller wait: back-pressure instead of unbounded
// memory, bounded by the caller's context.
func (a *actors) do(ctx context.Context, key string, fn func(context.Context)) error {
	j := job{ctx: ctx, run: fn, done: make(chan struct{})}
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return errStopped
	}
	mb, ok := a.boxes[key]
	if !ok {
		mb = &mailbox{q: make(chan job, a.queueLen)}
		a.boxes[key] = mb
		a.wg.Add(1)
		go a.loop(key, mb)
	}
	mb.pending++
	a.mu.Unlock()

	var err error
	select {
	case mb.q <- j:
	case <-ctx.Done():
		err = ctx.Err()
	}
	a.mu.Lock()
	mb.pending--
	a.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case <-j.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *actors) loop(key string, mb *mailbox) {
	defer a.wg.Done()
	timer := time.NewTimer(a.idle)
	defer timer.Stop()
	for {
		select {
		case j := <-mb.q:
			j.execute()
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(a.idle)
		case <-a.quit:
			a.drain(key, mb)
			return
		case <-timer.C:
			if a.retire(key, mb) {
				return
			}
			timer.Reset(a.idle)
		}
	}
}

// retire removes an idle mailbox unless work is queued or on its way.
func (a *actors) retire(key string, mb *mailbox) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(mb.q) > 0 || mb.pending > 0 {
		return false
	}
	delete(a.boxes, key)
	return true
}

// drain finishes everything queued or being sent when the engine stops;
// no new sender can register once stopped is set.
func (a *actors) drain(key string, mb *mailbox) {
	for {
		select {
		case j := <-mb.q:
			j.execute()
			continue
		default:
		}
		if a.retire(key, mb) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// active returns the number of live actors.
func (a *actors) active() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.boxes)
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
