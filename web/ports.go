package web

import (
	"context"

	"github.com/quitabot/quita/bot"
)

// AgentActions are what an agent does to a conversation. The engine
// implements them; each is one turn of the conversation's actor and one
// transcript entry naming the agent. Errors are *bot.Error: not_found for
// an unknown conversation, conflict when another agent holds it.
type AgentActions interface {
	// Takeover gives the conversation to agent; the bot goes silent in it.
	Takeover(ctx context.Context, conversationID, agent string) (bot.Conversation, error)
	// AgentReply sends text to the debtor as agent (taking the conversation
	// over first if nobody holds it).
	AgentReply(ctx context.Context, conversationID, agent, text string) (bot.Conversation, error)
	// Release hands the conversation back to the bot.
	Release(ctx context.Context, conversationID, agent string) (bot.Conversation, error)
	// Resolve marks the conversation resolved and hands it back to the bot.
	Resolve(ctx context.Context, conversationID, agent string) (bot.Conversation, error)
	// ConfirmPayment records that agent checked the debtor's receipt: the
	// claimed invoices (or only invoiceID, when given) become paid locally
	// and the billing system is told. An invoice without a pending claim is
	// a conflict.
	ConfirmPayment(ctx context.Context, conversationID, agent, invoiceID string) (bot.Conversation, error)
	// ConfirmPaymentAsAdmin is ConfirmPayment by an admin, who may also mark
	// a named invoice paid without a claim; the transcript says so.
	ConfirmPaymentAsAdmin(ctx context.Context, conversationID, admin, invoiceID string) (bot.Conversation, error)
	// RejectPayment records that the receipt did not prove payment: the
	// collection resumes and the debtor is told politely.
	RejectPayment(ctx context.Context, conversationID, agent, invoiceID, reason string) (bot.Conversation, error)
}

// Linker reports the health of the service's WhatsApp links and pairs new
// numbers; the WhatsApp transports implement it.
type Linker interface {
	// Links lists every connection's state.
	Links() []bot.LinkState
	// PairPhone starts pairing by phone code for the number phone (E.164)
	// and returns the code the operator types on that phone.
	PairPhone(ctx context.Context, phone string) (string, error)
}

// CloudWebhook is the WhatsApp Cloud API's inbound webhook.
type CloudWebhook interface {
	// VerifyChallenge answers Meta's GET subscription check: the challenge
	// to echo when mode is "subscribe" and token matches, else ok false.
	VerifyChallenge(mode, token, challenge string) (answer string, ok bool)
	// HandleWebhook checks X-Hub-Signature-256 over body and hands its
	// messages and statuses to the engine. A bad signature is a *bot.Error
	// with code unauthenticated; a malformed body, invalid.
	HandleWebhook(ctx context.Context, body []byte, signature string) error
}
