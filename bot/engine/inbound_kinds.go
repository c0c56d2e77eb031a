package engine

import (
	"context"
	"fmt"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/flows"
)

// OperatorAgent is the agent name of a person typing on the linked phone
// itself, outside the console.
const OperatorAgent = "phone"

// recordOnly writes a message that must not be answered: history, an
// undecryptable or refused message, or one an operator typed on the linked phone. The
// flow does not run; only an operator's message changes the conversation,
// which it takes over so the bot does not talk over the person.
func (e *Engine) recordOnly(ctx context.Context, tc *turnContext, rec bot.InboxRecord) (Outcome, error) {
	msg := rec.Message
	entry := bot.TranscriptEntry{At: tc.now, StateFrom: tc.conv.State, StateTo: tc.conv.State}
	res := flows.Result{State: tc.conv.State, Memory: tc.mem}
	switch msg.Kind {
	case bot.InboundHistory:
		entry.Direction, entry.Author, entry.Text, entry.Media = bot.DirectionIn, bot.AuthorDebtor, msg.Text, msg.Media
		entry.Intent = "history"
	case bot.InboundUndecryptable:
		entry.Direction, entry.Author = bot.DirectionSystem, bot.AuthorSystem
		entry.Text = "a message from the debtor could not be decrypted (sent " + msg.SentAt.In(e.cfg.Location).Format("2006-01-02 15:04") +
			"); WhatsApp may deliver it again, otherwise ask the debtor to resend it"
	case bot.InboundRefused:
		entry.Direction, entry.Author = bot.DirectionSystem, bot.AuthorSystem
		entry.Text = "a message from the debtor could not be recorded (sent " + msg.SentAt.In(e.cfg.Location).Format("2006-01-02 15:04") +
			"): " + msg.Text + "; ask the debtor to resend it if it mattered"
	case bot.InboundOperator:
		entry.Direction, entry.Author, entry.Text, entry.Media = bot.DirectionOut, "agent:"+OperatorAgent, msg.Text, msg.Media
		entry.Status = bot.DeliverySent
		if tc.conv.Agent == "" {
			tc.conv.Agent = OperatorAgent
		}
		if tc.conv.State != flows.StateOptedOut && tc.conv.State != flows.StateClosed {
			res.State = flows.StateWithAgent
			entry.StateTo = res.State
		}
		tc.conv.Status = bot.StatusOpen
	default:
		return Outcome{}, fmt.Errorf("engine: unknown inbound kind %q", msg.Kind)
	}
	return e.commit(ctx, tc, res, entry, rec.ID, "")
}
