package coord

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// subscribeTimeout bounds the wait for Redis to confirm a subscription
// when ctx carries no earlier deadline.
const subscribeTimeout = 10 * time.Second

// redisSub is one Subscribe call: its own go-redis PubSub (one connection)
// and a forwarder that moves messages into out without ever blocking.
type redisSub struct {
	r    *Redis
	ps   *redis.PubSub
	out  chan []byte
	done chan struct{} // closed when the forwarder has closed out
	once sync.Once
	stop func() bool // deregisters the ctx watcher
}

// Subscribe subscribes to channel and returns once Redis has confirmed the
// subscription, so a Publish that follows it is delivered. Messages flow
// until ctx ends, cancel is called or the coordinator is closed; then the
// channel is closed (cancel returns after it is). Messages already
// buffered can still be read after that.
//
// Delivery is Redis pub/sub's: at most once, and messages published while
// go-redis reconnects a broken connection are lost.
func (r *Redis) Subscribe(ctx context.Context, channel string) (<-chan []byte, func(), error) {
	if r.closed.Load() {
		return nil, nil, ErrClosed
	}
	ps := r.client.Subscribe(ctx, r.channelName(channel))
	if err := confirm(ctx, ps); err != nil {
		_ = ps.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, fmt.Errorf("coord: subscribe %q: %w", channel, err)
	}

	s := &redisSub{r: r, ps: ps, out: make(chan []byte, SubscriptionBuffer), done: make(chan struct{})}
	// go-redis's own buffer stays small: the forwarder drains it at once,
	// and the drop decision is made here, per subscriber, without waiting.
	in := ps.Channel(redis.WithChannelSize(SubscriptionBuffer))
	go s.forward(in)

	r.mu.Lock()
	if r.closed.Load() {
		r.mu.Unlock()
		s.close()
		return nil, nil, ErrClosed
	}
	r.subs[s] = struct{}{}
	s.stop = context.AfterFunc(ctx, s.close)
	r.mu.Unlock()
	return s.out, s.close, nil
}

// confirm reads the reply to SUBSCRIBE. Until it arrives the server may not
// yet route messages to this connection.
func confirm(ctx context.Context, ps *redis.PubSub) error {
	// ps.Close (from the watcher) unblocks a read that ctx alone, without a
	// deadline, would not interrupt.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	for {
		msg, err := ps.ReceiveTimeout(ctx, subscribeTimeout)
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				return nil
			}
			return fmt.Errorf("unexpected %s reply", m.Kind)
		case *redis.Pong:
			// A health-check reply; keep waiting.
		default:
			return fmt.Errorf("unexpected %T before subscription was confirmed", msg)
		}
	}
}

// forward copies messages from go-redis into out, dropping (and counting)
// those that find out full, and closes out when go-redis closes in.
func (s *redisSub) forward(in <-chan *redis.Message) {
	defer close(s.done)
	defer close(s.out)
	for msg := range in {
		select {
		case s.out <- []byte(msg.Payload):
		default:
			s.r.dropped.Add(1)
		}
	}
}

// close ends the subscription and waits until out is closed. It is safe to
// call more than once and from several goroutines.
func (s *redisSub) close() {
	s.once.Do(func() {
		s.r.mu.Lock()
		delete(s.r.subs, s)
		stop := s.stop
		s.r.mu.Unlock()
		if stop != nil {
			stop()
		}
		_ = s.ps.Close()
	})
	<-s.done
}
