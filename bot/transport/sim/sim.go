// Package sim is the simulator transport: it "delivers" messages by
// recording them in the database, where the /v1/sim API and the /sim chat
// page read them. It behaves like a real transport for the engine, so the
// simulator exercises the same path as WhatsApp. It imports bot and store.
package sim

import (
	"context"
	"encoding/json"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
)

// Name is the transport name of the simulator.
const Name = "sim"

// Log is where simulated deliveries are kept.
type Log interface {
	AppendSimMessage(ctx context.Context, m store.SimMessage) error
	SimMessages(ctx context.Context, recipient string) ([]store.SimMessage, error)
}

// Transport records outbound messages instead of sending them.
type Transport struct {
	log   Log
	clock bot.Clock
	ids   bot.IDs
}

// New returns a simulator transport.
func New(log Log, clock bot.Clock, ids bot.IDs) *Transport {
	return &Transport{log: log, clock: clock, ids: ids}
}

// Name implements bot.Transport.
func (t *Transport) Name() string { return Name }

// Extras is the non-text part of a simulated message.
type Extras struct {
	Buttons  []bot.Button `json:"buttons,omitempty"`
	Document *bot.Media   `json:"document,omitempty"`
}

// Send implements bot.Transport. A resend of the same outbox message is
// recorded once.
func (t *Transport) Send(ctx context.Context, msg bot.OutboundMessage) (string, error) {
	extras, err := json.Marshal(Extras{Buttons: msg.Buttons, Document: msg.Document})
	if err != nil {
		return "", err
	}
	id := t.ids.New("sim")
	err = t.log.AppendSimMessage(ctx, store.SimMessage{ID: id, Recipient: msg.To, At: t.clock.Now(), Text: msg.Text,
		Payload: string(extras), OutboxID: msg.ID})
	if err != nil {
		return "", bot.Retryable(err)
	}
	return id, nil
}
