package coord_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store/coord"
)

func newMemory(t *testing.T) bot.Coordinator {
	m := coord.NewMemory()
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func TestMemory(t *testing.T) {
	runSuite(t, newMemory)
}

func TestMemoryDropsForSlowSubscriber(t *testing.T) {
	m := coord.NewMemory()
	defer m.Close()
	slow, _ := subscribe(t, m, "events")
	fast, _ := subscribe(t, m, "events")

	const extra = 3
	for i := range coord.SubscriptionBuffer + extra {
		publish(t, m, "events", fmt.Sprint(i))
		if got := receive(t, fast); got != fmt.Sprint(i) { // fast keeps up
			t.Fatalf("fast subscriber got %q, want %d", got, i)
		}
	}
	if got := m.Dropped(); got != extra {
		t.Fatalf("Dropped() = %d, want %d", got, extra)
	}
	// slow got the first SubscriptionBuffer messages, in order.
	for i := range coord.SubscriptionBuffer {
		if got := receive(t, slow); got != fmt.Sprint(i) {
			t.Fatalf("slow subscriber got %q, want %d", got, i)
		}
	}
	select {
	case msg := <-slow:
		t.Fatalf("slow subscriber got dropped message %q", msg)
	default:
	}
}

func TestMemoryPayloadIsCopied(t *testing.T) {
	m := coord.NewMemory()
	defer m.Close()
	a, _ := subscribe(t, m, "events")
	b, _ := subscribe(t, m, "events")
	payload := []byte("abc")
	if err := m.Publish(t.Context(), "events", payload); err != nil {
		t.Fatal(err)
	}
	payload[0] = 'X'
	gotA := <-a
	gotA[1] = 'Y'
	if got := string(<-b); got != "abc" {
		t.Fatalf("subscriber saw %q, want abc", got)
	}
}

func TestOpenKeepsPasswordOutOfErrors(t *testing.T) {
	_, err := coord.Open(t.Context(), "redis://user:s3cret@host:badport/0")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Open with a malformed URL = %v; want an error without the password", err)
	}
}

func TestOpen(t *testing.T) {
	c, err := coord.Open(t.Context(), "")
	if err != nil {
		t.Fatalf("Open(\"\"): %v", err)
	}
	defer c.Close()
	if _, ok := c.(*coord.Memory); !ok {
		t.Fatalf("Open(\"\") = %T, want *coord.Memory", c)
	}
	for _, url := range []string{"http://localhost", "redis://127.0.0.1:1/0?max_retries=-1"} {
		c, err := coord.Open(t.Context(), url)
		if err == nil {
			c.Close()
			t.Errorf("Open(%q) succeeded", url)
		}
		if c != nil {
			t.Errorf("Open(%q) returned a non-nil coordinator with its error", url)
		}
	}
}
