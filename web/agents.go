package web

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
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
	v1.Post("/conversations/:id/payments/confirm", auth, s.agentHandler(func(c *fiber.Ctx, id, agent string, req agentRequest) (bot.Conversation, error) {
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
		agent, err := s.actingAgent(c, id, req.Agent)
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

// apiAgent names actions taken with the bearer token without naming an
// agent and on a conversation nobody holds.
const apiAgent = "api"

// actingAgent is who an action is recorded as. A console session acts as
// its own agent and may not speak for another; the bearer token (an admin
// integration) names the agent in the body, or acts as whoever holds the
// conversation, or as "api".
func (s *server) actingAgent(c *fiber.Ctx, conversationID, named string) (string, error) {
	if session, ok := c.Locals("agent").(string); ok && session != "" {
		if named != "" && named != session {
			return "", bot.Errorf(bot.CodeForbidden, "a console session acts only as its own agent (%s)", session)
		}
		return session, nil
	}
	if named != "" {
		return named, nil
	}
	conv, err := s.Store.Conversation(c.UserContext(), conversationID)
	if err != nil {
		return "", err
	}
	if conv.Agent != "" {
		return conv.Agent, nil
	}
	return apiAgent, nil
}
