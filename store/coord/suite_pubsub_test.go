package coord_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store/coord"
)

func subscribe(t *testing.T, c bot.Coordinator, channel string) (<-chan []byte, func()) {
	t.Helper()
	ch, cancel, err := c.Subscribe(t.Context(), channel)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", channel, err)
	}
	t.Cleanup(cancel)
	return ch, cancel
}

func receive(t *testing.T, ch <-chan []byte) string {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed, want a message")
		}
		return string(msg)
	case <-time.After(deliver):
		t.Fatal("no message delivered")
	}
	return ""
}

// waitClosed drains ch until it is closed.
func waitClosed(t *testing.T, ch <-chan []byte) {
	t.Helper()
	timeout := time.After(deliver)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("subscription channel not closed")
		}
	}
}

func publish(t *testing.T, c bot.Coordinator, channel, payload string) {
	t.Helper()
	if err := c.Publish(t.Context(), channel, []byte(payload)); err != nil {
		t.Fatalf("Publish(%q): %v", channel, err)
	}
}

func testPublishFanOut(t *testing.T, c bot.Coordinator) {
	a, _ := subscribe(t, c, "events")
	b, _ := subscribe(t, c, "events")
	other, _ := subscribe(t, c, "other")

	// Published at once after Subscribe returns: nothing may be lost.
	publish(t, c, "events", "one")
	publish(t, c, "events", "two")
	publish(t, c, "other", "elsewhere")
	for name, ch := range map[string]<-chan []byte{"a": a, "b": b} {
		if got := receive(t, ch) + "," + receive(t, ch); got != "one,two" {
			t.Errorf("subscriber %s got %q, want one,two in order", name, got)
		}
	}
	// other's first message is its own, so "events" did not leak into it.
	if got := receive(t, other); got != "elsewhere" {
		t.Errorf("subscriber of other got %q", got)
	}
	publish(t, c, "nobody", "x") // no subscribers is not an error
}

func testUnsubscribeClosesChannel(t *testing.T, c bot.Coordinator) {
	ch, cancel := subscribe(t, c, "events")
	kept, _ := subscribe(t, c, "events")
	cancel()
	cancel() // idempotent
	waitClosed(t, ch)
	publish(t, c, "events", "after")
	if got := receive(t, kept); got != "after" {
		t.Errorf("remaining subscriber got %q", got)
	}
}

func testContextEndClosesSubscription(t *testing.T, c bot.Coordinator) {
	ctx, cancel := context.WithCancel(t.Context())
	ch, unsubscribe, err := c.Subscribe(ctx, "events")
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	cancel()
	waitClosed(t, ch)
	unsubscribe() // after the context ended: harmless
}

func testPing(t *testing.T, c bot.Coordinator) {
	if err := c.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testClose(t *testing.T, c bot.Coordinator) {
	ch, cancel := subscribe(t, c, "events")
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	waitClosed(t, ch)
	cancel() // after Close: harmless
	ctx := t.Context()
	if _, err := c.TryLock(ctx, "k", longTTL); !errors.Is(err, coord.ErrClosed) {
		t.Errorf("TryLock after Close = %v, want ErrClosed", err)
	}
	if _, err := c.Allow(ctx, "k", 1, longTTL); !errors.Is(err, coord.ErrClosed) {
		t.Errorf("Allow after Close = %v, want ErrClosed", err)
	}
	if err := c.Publish(ctx, "events", nil); !errors.Is(err, coord.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, _, err := c.Subscribe(ctx, "events"); !errors.Is(err, coord.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}
