package web

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
)

// agentRoutes registers the API twins of the console's agent actions
// (contract §4.4). auth admits the bearer token and console sessions.
func (s *server) agentRoutes(v1 fiber.Router, auth fiber.Handler) {
	v1.Post("/conversations/:id/takeover", auth, s.agentHandler(func(c *fiber.Ctx, id, agent string, req agentRequest) (bot.Conversation, error) {
		return s.Agents.Takeover(c.UserContext(), id, agent)
	}))
	v1.Post("/conversations/:id/messages", auth, s.agentHandler(func(c *fiber.Ctx, id, agent string, req agentRequest) (bot.Conversation, error) {
		return s.Agents.AgentReply(c.UserContext(), id, agent, req.Text)
	}))
	v1.Post("/conversations/:id/release", auth, s.agentHandler(func(c *fiber.Ctx, id, agent string, req agentRequest) (bot.Conversation, error) {
		return s.Agents.Release(c.UserContext(), id, agent)
	}))
	v1.Post("/conversations/:id/resolve", auth, s.agentHandler(func(c *fiber.Ctx, id, agent string, req agentRequest) (bot.Conversation, error) {
		return s.Agents.Resolve(c.UserContext(), id, agent)
	}))
	// Confirming needs a pending claim (the debtor sent a receipt); an
	// admin may also mark an unclaimed invoice paid, which the transcript
	// records as an admin's action.
	v1.Post("/conversations/:id/payments/confirm", auth, s.agentHandler(func(c *fiber.Ctx, id, agent string, req agentRequest) (bot.Conversation, error) {
		if isAdmin(c) {
			return s.Agents.ConfirmPaymentAsAdmin(c.UserContext(), id, agent, req.InvoiceID)
		}
		return s.Agents.ConfirmPayment(c.UserContext(), id, agent, req.InvoiceID)
	}))
	v1.Post("/conversations/:id/payments/reject", auth, s.agentHandler(func(c *fiber.Ctx, id, agent string, req agentRequest) (bot.Conversation, error) {
		return s.Agents.RejectPayment(c.UserContext(), id, agent, req.InvoiceID, req.Reason)
	}))
}

// agentRequest is the body every agent action accepts; each uses what it
// needs. An empty body is an empty request.
type agentRequest struct {
	Agent     string `json:"agent"`
	Text      string `json:"text"`
	InvoiceID string `json:"invoice_id"`
	Reason    string `json:"reason"`
}

type agentAction func(c *fiber.Ctx, conversationID, agent string, req agentRequest) (bot.Conversation, error)

func (s *server) agentHandler(act agentAction) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.Agents == nil {
			return bot.Errorf(bot.CodeUnavailable, "agent actions are not available on this instance")
		}
		var req agentRequest
		if body := c.Body(); len(body) > 0 {
			if err := json.Unmarshal(body, &req); err != nil {
				return malformed(err)
			}
		}
		id := c.Params("id")
		agent, err := s.actingAgent(c, req.Agent)
		if err != nil {
			return err
		}
		conv, err := act(c, id, agent, req)
		if err != nil {
			return err
		}
		return c.JSON(s.toConversationJSON(conv))
	}
}

// actingAgent is who an action is recorded as: the authenticated
// principal that requireAuth set — a console session's agent, the admin
// who opened the simulator page, or "api" for the bearer token and a
// simulator page signed in with it. A name in the body is never taken on
// its word. A session naming someone else is refused (403). A bearer-token
// call naming an agent — the form the README's HTTP API documents, `{"agent":"ana"}`
// — still works, but acts as "api", which the X-Quita-Acting-Agent header
// and the transcript say: an integration keeps working, and nobody can
// write "as ana" without signing in as ana (README "Sessions and sign-in").
func (s *server) actingAgent(c *fiber.Ctx, named string) (string, error) {
	principal, _ := c.Locals(localsAgent).(string)
	if principal == "" {
		return "", bot.Errorf(bot.CodeUnauthenticated, "no signed-in agent or API token")
	}
	if named != "" && named != principal {
		if !s.validBearer(c.Get(fiber.HeaderAuthorization)) {
			return "", bot.Errorf(bot.CodeForbidden,
				"this request acts as %s and may not name another agent; to act as them, sign in to the console as them", principal)
		}
		s.log.Info("api call named an agent; acting as the api principal", "named", named)
	}
	c.Set("X-Quita-Acting-Agent", principal)
	return principal, nil
}

// isAdmin reports whether the request's principal is an admin (the
// bearer token, a simulator page, an admin's console session).
func isAdmin(c *fiber.Ctx) bool {
	role, _ := c.Locals(localsRole).(string)
	return role == store.RoleAdmin
}
