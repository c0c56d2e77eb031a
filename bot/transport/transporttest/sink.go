// Package transporttest holds test doubles the transports' tests share.
// It is meant for tests only.
package transporttest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/quitabot/quita/bot"
)

// Sink is a bot.Sink that records what a transport hands to the engine.
// Its zero value is ready to use, and it is safe for concurrent use.
type Sink struct {
	// Fail, when not nil, makes Receive and Report refuse with it and
	// record nothing. Set it while no transport is calling the Sink.
	Fail error

	mu       sync.Mutex
	messages []bot.InboundMessage
	reports  []bot.DeliveryReport
	links    []bot.LinkState
}

var _ bot.Sink = (*Sink)(nil)

// record appends v to *list under the lock unless s.Fail is set.
func record[T any](s *Sink, list *[]T, v T) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	*list = append(*list, v)
	return nil
}

// Receive records msg, or returns Fail.
func (s *Sink) Receive(_ context.Context, msg bot.InboundMessage) error {
	return record(s, &s.messages, msg)
}

// Report records r, or returns Fail.
func (s *Sink) Report(_ context.Context, r bot.DeliveryReport) error {
	return record(s, &s.reports, r)
}

// Link records state; it never fails.
func (s *Sink) Link(state bot.LinkState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.links = append(s.links, state)
}

// Messages returns a copy of the messages received so far, in order.
func (s *Sink) Messages() []bot.InboundMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Reports returns a copy of the delivery reports received so far, in order.
func (s *Sink) Reports() []bot.DeliveryReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reports)
}

// Links returns a copy of the link states received so far, in order.
func (s *Sink) Links() []bot.LinkState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.links)
}

// LinkStates returns the State of every link state received so far, in
// order, with consecutive repeats collapsed into one.
func (s *Sink) LinkStates() []string {
	var out []string
	for _, l := range s.Links() {
		if len(out) == 0 || out[len(out)-1] != l.State {
			out = append(out, l.State)
		}
	}
	return out
}

// LastInbound returns the latest SentAt of the messages received from
// phone, or the zero time if there are none, so the Sink can stand in for
// the inbox as a transport's window.
func (s *Sink) LastInbound(_ context.Context, phone string) (time.Time, error) {
	var last time.Time
	for _, m := range s.Messages() {
		if m.From == phone && m.SentAt.After(last) {
			last = m.SentAt
		}
	}
	return last, nil
}
