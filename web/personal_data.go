package web

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
)

// customerDataJSON answers an LGPD access or portability request: every
// record Quita holds about one customer.
type customerDataJSON struct {
	Customer      customerJSON           `json:"customer"`
	Invoices      []invoiceJSON          `json:"invoices"`
	Conversations []conversationDataJSON `json:"conversations"`
	Events        []eventJSON            `json:"events"`
	Media         []bot.Media            `json:"media"`
}

type conversationDataJSON struct {
	conversationJSON
	Transcript []bot.TranscriptEntry `json:"transcript"`
}

// eventJSON is one outbound event to the billing system, as sent.
type eventJSON struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	ConversationID string          `json:"conversation_id,omitempty"`
	Status         string          `json:"status"`
	CreatedAt      string          `json:"created_at"`
	Payload        json.RawMessage `json:"payload"`
}

// customerData: GET /v1/customers/{id}/data, {id} being the billing
// system's customer id.
func (s *server) customerData(c *fiber.Ctx) error {
	d, err := s.Store.CustomerData(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	out := customerDataJSON{Invoices: []invoiceJSON{}, Conversations: []conversationDataJSON{}, Events: []eventJSON{},
		Media: []bot.Media{}}
	for _, inv := range d.Invoices {
		out.Invoices = append(out.Invoices, s.toInvoiceJSON(inv, d.Customer))
	}
	out.Customer = s.toInvoiceJSON(bot.Invoice{}, d.Customer).Customer
	for _, cd := range d.Conversations {
		entries := cd.Transcript
		if entries == nil {
			entries = []bot.TranscriptEntry{}
		}
		out.Conversations = append(out.Conversations, conversationDataJSON{s.toConversationJSON(cd.Conversation), entries})
	}
	for _, e := range d.Events {
		payload := json.RawMessage(e.Payload)
		if !json.Valid(payload) {
			payload, _ = json.Marshal(string(e.Payload))
		}
		out.Events = append(out.Events, eventJSON{ID: e.ID, Type: e.EventType, ConversationID: e.ConversationID,
			Status: e.Status, CreatedAt: e.CreatedAt.In(s.Location).Format(time.RFC3339), Payload: payload})
	}
	out.Media = append(out.Media, d.Media...)
	return c.JSON(out)
}
