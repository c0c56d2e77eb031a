package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/flows"
)

// maxAgentText bounds an agent's message (WhatsApp's own limit is 4096).
const maxAgentText = 4096

// agentStep is one agent action on a loaded conversation: it changes
// tc.conv/tc.mem and returns the flow result and the transcript entry that
// records it. A nil entry means there is nothing to do.
type agentStep func(tc *turnContext) (flows.Result, *bot.TranscriptEntry, []string, error)

// Takeover gives the conversation to agent: the bot goes silent in it until
// the agent hands it back. Taking over a conversation one already holds is
// a no-op; another agent's is a conflict.
func (e *Engine) Takeover(ctx context.Context, conversationID, agent string) (bot.Conversation, error) {
	return e.agentAction(ctx, conversationID, agent, func(tc *turnContext) (flows.Result, *bot.TranscriptEntry, []string, error) {
		if err := holdable(tc.conv, agent); err != nil {
			return flows.Result{}, nil, nil, err
		}
		if tc.conv.Agent == agent && tc.conv.State == flows.StateWithAgent {
			return flows.Result{}, nil, nil, nil
		}
		res := e.takeover(tc, agent)
		return res, e.agentEntry(tc, agent, "took over the conversation", res.State), nil, nil
	})
}

// AgentReply sends text to the debtor as agent, taking the conversation
// over first when nobody holds it.
func (e *Engine) AgentReply(ctx context.Context, conversationID, agent, text string) (bot.Conversation, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return bot.Conversation{}, bot.Invalid("text", "is required")
	case utf8.RuneCountInString(text) > maxAgentText:
		return bot.Conversation{}, bot.Invalid("text", "is longer than %d characters", maxAgentText)
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0):
		return bot.Conversation{}, bot.Invalid("text", "is not valid text")
	}
	return e.agentAction(ctx, conversationID, agent, func(tc *turnContext) (flows.Result, *bot.TranscriptEntry, []string, error) {
		if err := holdable(tc.conv, agent); err != nil {
			return flows.Result{}, nil, nil, err
		}
		if flows.Silenced(tc.conv.State) {
			return flows.Result{}, nil, nil, bot.Errorf(bot.CodeConflict,
				"the debtor opted out or the number is not the debtor's: Quita sends nothing more to it")
		}
		res := flows.Result{State: tc.conv.State, Memory: tc.mem}
		note := "replied"
		if tc.conv.Agent != agent || tc.conv.State != flows.StateWithAgent {
			res = e.takeover(tc, agent)
			note = "took over the conversation and replied"
		}
		r := flows.AgentText(text, agent, tc.env)
		res.Actions = append(res.Actions, r)
		return res, e.agentEntry(tc, agent, note, res.State), nil, nil
	})
}

// Release hands the conversation back to the bot.
func (e *Engine) Release(ctx context.Context, conversationID, agent string) (bot.Conversation, error) {
	return e.agentAction(ctx, conversationID, agent, func(tc *turnContext) (flows.Result, *bot.TranscriptEntry, []string, error) {
		if tc.conv.Agent != "" && tc.conv.Agent != agent {
			return flows.Result{}, nil, nil, heldBy(tc.conv)
		}
		if tc.conv.Agent == "" && tc.conv.State != flows.StateWithAgent {
			return flows.Result{}, nil, nil, nil
		}
		tc.conv.Agent = ""
		tc.conv.Status = bot.StatusOpen
		res := flows.Result{State: flows.ResumeState(tc.conv.State, tc.mem), Memory: tc.mem}
		return res, e.agentEntry(tc, agent, "handed the conversation back to the bot", res.State), nil, nil
	})
}

// Resolve marks the conversation resolved, hands it back to the bot and
// tells the billing system.
func (e *Engine) Resolve(ctx context.Context, conversationID, agent string) (bot.Conversation, error) {
	return e.agentAction(ctx, conversationID, agent, func(tc *turnContext) (flows.Result, *bot.TranscriptEntry, []string, error) {
		if tc.conv.Agent != "" && tc.conv.Agent != agent {
			return flows.Result{}, nil, nil, heldBy(tc.conv)
		}
		if tc.conv.Status == bot.StatusResolved && tc.conv.Agent == "" {
			return flows.Result{}, nil, nil, nil
		}
		tc.conv.Agent = ""
		res := flows.Result{State: flows.ResumeState(tc.conv.State, tc.mem), Memory: tc.mem, Actions: []flows.Action{
			flows.SetStatus{Status: bot.StatusResolved},
			flows.Emit{Type: "conversation.resolved", Data: map[string]any{"resolved_by": agent}},
		}}
		return res, e.agentEntry(tc, agent, "marked the conversation resolved", res.State), nil, nil
	})
}

// ConfirmPayment records that agent checked the debtor's receipt: the
// claimed invoices (or invoiceID alone) become paid here, the billing
// system hears the claim confirmed, and the debtor is thanked. Only an
// invoice with a pending claim (the debtor said they paid and sent a
// receipt) can be confirmed: without one it is a conflict, since nothing
// was checked. Marking any other invoice paid is ConfirmPaymentAsAdmin.
func (e *Engine) ConfirmPayment(ctx context.Context, conversationID, agent, invoiceID string) (bot.Conversation, error) {
	return e.confirmPayment(ctx, conversationID, agent, invoiceID, false)
}

// ConfirmPaymentAsAdmin is ConfirmPayment by an admin, who may also mark a
// named open invoice paid without a pending claim (a payment seen outside
// the chat). The transcript names the admin and says no claim was pending.
func (e *Engine) ConfirmPaymentAsAdmin(ctx context.Context, conversationID, admin, invoiceID string) (bot.Conversation, error) {
	return e.confirmPayment(ctx, conversationID, admin, invoiceID, true)
}

func (e *Engine) confirmPayment(ctx context.Context, conversationID, agent, invoiceID string, admin bool) (bot.Conversation, error) {
	return e.agentAction(ctx, conversationID, agent, func(tc *turnContext) (flows.Result, *bot.TranscriptEntry, []string, error) {
		if tc.conv.Agent != "" && tc.conv.Agent != agent {
			return flows.Result{}, nil, nil, heldBy(tc.conv)
		}
		invs, err := receiptInvoices(tc, invoiceID)
		if err != nil {
			if !admin && invoiceID == "" && bot.ErrorCodeOf(err) == bot.CodeInvalid {
				return flows.Result{}, nil, nil, bot.Errorf(bot.CodeConflict,
					"no payment claim awaits confirmation in this conversation; only an admin may mark an invoice paid without one")
			}
			return flows.Result{}, nil, nil, err
		}
		ids := make([]string, len(invs))
		unclaimed := false
		for i, inv := range invs {
			ids[i] = inv.ID
			unclaimed = unclaimed || tc.env.Collections[inv.ID].Status != bot.CollectionClaimed
		}
		if unclaimed && !admin {
			return flows.Result{}, nil, nil, bot.Errorf(bot.CodeConflict,
				"invoice %s has no payment claim awaiting confirmation; only an admin may mark it paid without one", strings.Join(ids, ", "))
		}
		res := flows.ReceiptConfirmed(tc.conv.State, tc.mem, invs, agent, tc.env)
		if tc.conv.Agent == "" && tc.conv.Status == bot.StatusNeedsAgent {
			tc.conv.Status = bot.StatusOpen
		}
		note := "confirmed the payment of " + strings.Join(ids, ", ")
		if unclaimed {
			note = "(admin) marked " + strings.Join(ids, ", ") + " paid without a pending payment claim"
		}
		return res, e.agentEntry(tc, agent, note, res.State), ids, nil
	})
}

// RejectPayment records that the receipt did not prove payment of the
// claimed invoice (or invoiceID): collection resumes and the debtor is told
// politely. The reason stays in the transcript, not in the debtor's chat.
func (e *Engine) RejectPayment(ctx context.Context, conversationID, agent, invoiceID, reason string) (bot.Conversation, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 500 {
		return bot.Conversation{}, bot.Invalid("reason", "is longer than 500 characters")
	}
	return e.agentAction(ctx, conversationID, agent, func(tc *turnContext) (flows.Result, *bot.TranscriptEntry, []string, error) {
		if tc.conv.Agent != "" && tc.conv.Agent != agent {
			return flows.Result{}, nil, nil, heldBy(tc.conv)
		}
		invs, err := receiptInvoices(tc, invoiceID)
		if err != nil {
			return flows.Result{}, nil, nil, err
		}
		res := flows.Result{State: tc.conv.State, Memory: tc.mem}
		for _, inv := range invs {
			r := flows.ReceiptRejected(res.State, res.Memory, inv, tc.env)
			res.State, res.Memory, res.Actions = r.State, r.Memory, append(res.Actions, r.Actions...)
		}
		note := "rejected the receipt for " + invs[0].ID
		if len(invs) > 1 {
			note = fmt.Sprintf("rejected the receipts for %d invoices", len(invs))
		}
		if reason != "" {
			note += ": " + reason
		}
		return res, e.agentEntry(tc, agent, note, res.State), nil, nil
	})
}

// takeover moves the conversation to the agent. Opted-out and wrong-number
// conversations keep their state, so a later hand-back cannot reopen them.
func (e *Engine) takeover(tc *turnContext, agent string) flows.Result {
	tc.conv.Agent = agent
	tc.conv.Status = bot.StatusOpen
	state := tc.conv.State
	if !flows.Silenced(state) {
		state = flows.StateWithAgent
	}
	return flows.Result{State: state, Memory: tc.mem}
}

func (e *Engine) agentEntry(tc *turnContext, agent, note, stateTo string) *bot.TranscriptEntry {
	return &bot.TranscriptEntry{At: tc.now, Direction: bot.DirectionSystem, Author: "agent:" + agent, Text: agent + " " + note,
		StateFrom: tc.conv.State, StateTo: stateTo}
}

// holdable reports whether agent may hold conv.
func holdable(conv bot.Conversation, agent string) error {
	if conv.Agent != "" && conv.Agent != agent {
		return heldBy(conv)
	}
	return nil
}

func heldBy(conv bot.Conversation) error {
	return bot.Errorf(bot.CodeConflict, "the conversation is held by %s; they must hand it back first", conv.Agent)
}

// receiptInvoices are the open invoices a receipt decision is about: the
// one named, or every invoice with a claim awaiting confirmation.
func receiptInvoices(tc *turnContext, invoiceID string) ([]bot.Invoice, error) {
	var out []bot.Invoice
	for _, inv := range tc.env.Invoices {
		if invoiceID != "" && inv.ID == invoiceID {
			return []bot.Invoice{inv}, nil
		}
		if invoiceID == "" && tc.env.Collections[inv.ID].Status == bot.CollectionClaimed {
			out = append(out, inv)
		}
	}
	switch {
	case invoiceID != "":
		return nil, bot.Errorf(bot.CodeNotFound, "invoice %s is not an open invoice of this debtor", invoiceID)
	case len(out) == 0:
		return nil, bot.Invalid("invoice_id", "no payment claim awaits confirmation in this conversation; name the invoice")
	}
	return out, nil
}

// validAgent checks an agent name as it will appear in transcripts.
func validAgent(agent string) error {
	switch {
	case strings.TrimSpace(agent) != agent || agent == "":
		return bot.Invalid("agent", "is required, without surrounding spaces")
	case utf8.RuneCountInString(agent) > 64:
		return bot.Invalid("agent", "is longer than 64 characters")
	case strings.IndexFunc(agent, unicode.IsControl) >= 0:
		return bot.Invalid("agent", "contains control characters")
	}
	return nil
}

// agentAction runs step as one turn of the conversation, on its actor and
// under its cross-instance lock, like a debtor's message.
func (e *Engine) agentAction(ctx context.Context, conversationID, agent string, step agentStep) (bot.Conversation, error) {
	if err := validAgent(agent); err != nil {
		return bot.Conversation{}, err
	}
	conv, err := e.cfg.Store.Conversation(ctx, conversationID)
	if err != nil {
		return bot.Conversation{}, err
	}
	key := conv.Transport + ":" + conv.Phone
	var out bot.Conversation
	var stepErr error
	err = e.actors.do(ctx, key, func(ctx context.Context) {
		out, stepErr = e.agentLocked(ctx, key, conv, step)
	})
	if errors.Is(err, errStopped) {
		return bot.Conversation{}, bot.Errorf(bot.CodeUnavailable, "the service is shutting down; try again shortly")
	}
	if err != nil {
		return bot.Conversation{}, err
	}
	return out, stepErr
}

func (e *Engine) agentLocked(ctx context.Context, key string, conv bot.Conversation, step agentStep) (bot.Conversation, error) {
	lock, err := e.cfg.Coord.Lock(ctx, "conversation:"+key, 30*time.Second)
	if err != nil {
		return bot.Conversation{}, fmt.Errorf("engine: lock conversation: %w", err)
	}
	defer lock.Release(context.WithoutCancel(ctx))
	for attempt := 0; ; attempt++ {
		tc, err := e.prepare(ctx, conv.Transport, conv.Phone)
		if err != nil {
			return bot.Conversation{}, err
		}
		if tc.conv.ID != conv.ID {
			return bot.Conversation{}, bot.Errorf(bot.CodeConflict, "a newer conversation with this debtor exists: %s", tc.conv.ID)
		}
		before := tc.conv
		res, entry, paid, err := step(tc)
		if err != nil || entry == nil {
			return before, err
		}
		turn, err := e.agentTurn(ctx, tc, res, *entry, paid)
		if err != nil {
			return bot.Conversation{}, err
		}
		_, err = e.cfg.Store.CommitTurn(ctx, turn)
		switch {
		case err == nil:
			e.published(ctx, conv.ID)
			if ids := messageIDs(turn); e.cfg.Committed != nil && len(ids) > 0 {
				e.cfg.Committed(ids)
			}
			turn.Conversation.Version++
			return turn.Conversation, nil
		case errors.Is(err, bot.ErrVersionConflict) && attempt < 5:
			continue
		case errors.Is(err, bot.ErrVersionConflict):
			return bot.Conversation{}, bot.Errorf(bot.CodeUnavailable, "the conversation is busy right now; try again shortly")
		default:
			return bot.Conversation{}, err
		}
	}
}

// agentTurn builds the turn of an agent action: the agent's entry first,
// then what the flow result asks for. An agent's own words are authored by
// the agent, not the bot.
func (e *Engine) agentTurn(ctx context.Context, tc *turnContext, res flows.Result, entry bot.TranscriptEntry, paid []string) (bot.Turn, error) {
	conv := tc.conv
	conv.State, conv.UpdatedAt = res.State, tc.now
	var err error
	if conv.Memory, err = json.Marshal(res.Memory); err != nil {
		return bot.Turn{}, err
	}
	turn := bot.Turn{Conversation: conv, Entries: tc.entries(entry), PaidInvoices: paid}
	var out Outcome
	if err := e.applyActions(ctx, &turn, &out, res.Actions, tc.locale, tc.customer, tc.now); err != nil {
		return bot.Turn{}, err
	}
	if isAgentText(res.Actions) {
		for i := range turn.Entries {
			if turn.Entries[i].Direction == bot.DirectionOut {
				turn.Entries[i].Author = entry.Author
			}
		}
	}
	return turn, nil
}

// isAgentText reports whether the replies of actions are an agent's own
// words, as opposed to a confirmation the bot words for them.
func isAgentText(actions []flows.Action) bool {
	for _, a := range actions {
		if r, ok := a.(flows.Reply); ok && len(r.Parts) == 1 && (r.Parts[0].Key == "care.agent.signed" || r.Parts[0].Key == "care.agent.plain") {
			return true
		}
	}
	return false
}
