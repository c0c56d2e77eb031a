package cloudapi

import (
	"errors"

	"github.com/quitabot/quita/bot"
)

// Links reports the health of the business number's Cloud API link: one
// entry. It implements the listing half of the web package's Linker.
func (t *Transport) Links() []bot.LinkState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return []bot.LinkState{t.link}
}

// observe updates the link state after a Graph API call; err is nil for a
// 2xx answer. A refusal that concerns one message (an invalid number, a
// rate limit, a closed window) still proves the API answers for us, so
// only network, server, token and configuration failures disconnect.
func (t *Transport) observe(err error) {
	var ge *GraphError
	if err == nil || !errors.As(err, &ge) {
		t.setLink(bot.LinkConnected, "the Graph API accepts this number's requests", "")
		return
	}
	switch ge.Kind {
	case KindNetwork, KindServer:
		t.setLink(bot.LinkDisconnected, "the Graph API cannot be reached or is failing: messages wait in the outbox and are retried; check the network if it lasts", "")
	case KindAuth, KindConfig:
		t.setLink(bot.LinkDisconnected, ge.explain(), "")
	default:
		t.setLink(bot.LinkConnected, "the Graph API accepts this number's requests", "")
	}
}

// webhookSeen records that Meta delivered a webhook for this number. It
// proves Meta reaches us, not that our token works, so it only settles
// the initial connecting state and never hides a failure of our calls.
func (t *Transport) webhookSeen(number string) {
	t.mu.Lock()
	connecting := t.link.State == bot.LinkConnecting
	t.mu.Unlock()
	if connecting {
		t.setLink(bot.LinkConnected, "webhooks arrive from Meta", number)
	} else if number != "" {
		t.setLink("", "", number)
	}
}

// setLink changes the link state and tells the Sink when anything an
// operator sees changed. Empty state or number keep the current one.
func (t *Transport) setLink(state, detail, number string) {
	t.mu.Lock()
	next := t.link
	if state != "" {
		next.State, next.Detail = state, detail
	}
	if number != "" && t.cfg.Number == "" {
		next.Number = number
	}
	if next == t.link {
		t.mu.Unlock()
		return
	}
	if next.State != t.link.State {
		next.Since = t.cfg.Clock.Now()
	}
	t.link = next
	// Under the lock so the Sink hears changes in the order they happened;
	// the Sink promises Link does not block.
	t.cfg.Sink.Link(next)
	t.mu.Unlock()
}
