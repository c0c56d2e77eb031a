package web

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
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

// eraseRequest is POST /v1/customers/{id}/erase's body.
type eraseRequest struct {
	Reason string `json:"reason"`
	Force  bool   `json:"force"`
}

// eraseCustomer: POST /v1/customers/{id}/erase. 409 names the open
// invoices unless force; 200 reports what was erased and what was kept.
func (s *server) eraseCustomer(c *fiber.Ctx) error {
	var req eraseRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return malformed(err)
	}
	if req.Force && !isAdmin(c) {
		return bot.Errorf(bot.CodeForbidden, "only an admin may erase a customer whose invoices are open")
	}
	actor, _ := c.Locals(localsAgent).(string)
	if actor == "" {
		return bot.Errorf(bot.CodeUnauthenticated, "no signed-in agent or API token")
	}
	e, err := s.Store.EraseCustomer(c.UserContext(), store.ErasureRequest{CustomerID: c.Params("id"), Reason: req.Reason,
		Force: req.Force, Actor: actor, At: s.Clock.Now(), ID: s.newID("era"), EventID: s.newID("evt")})
	if err != nil {
		return err
	}
	s.log.Info("customer erased", "customer", e.CustomerID, "erasure", e.ID, "actor", actor, "forced", e.Forced)
	e.At = e.At.In(s.Location)
	return c.JSON(e)
}

// fallbackIDs names records when the server runs without an engine (tests).
var fallbackIDs = bot.NewIDs()

// newID returns a fresh id with prefix, from the engine's generator.
func (s *server) newID(prefix string) string {
	if s.Engine != nil {
		return s.Engine.NewID(prefix)
	}
	return fallbackIDs.New(prefix)
}

// downloadCustomerData: GET /console/customers/{id}/data, an admin's
// download of what GET /v1/customers/{id}/data answers (an LGPD access
// request), as a JSON file.
func (cs *console) downloadCustomerData(c *fiber.Ctx) error {
	name := strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r == '/' {
			return -1
		}
		return r
	}, c.Params("id"))
	if err := cs.customerData(c); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="customer-`+name+`.json"`)
	return nil
}
