package engine

import (
	"context"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/input"
)

// ConversationsChannel is the coordinator channel on which the id of every
// conversation that changed is published, so consoles on any instance can
// refresh it live.
const ConversationsChannel = "quita:conversations"

// DeliveryReporter is the store's side of delivery receipts.
type DeliveryReporter interface {
	ApplyDeliveryReport(ctx context.Context, r bot.DeliveryReport) (conversationID string, changed bool, err error)
}

// Receive stores msg durably and processes it in the background; it is the
// receiving half of bot.Sink. It returns once the message is stored, so a
// transport may acknowledge it then. If processing fails (or the service
// stops first), the periodic Recover pass handles the stored message.
func (e *Engine) Receive(ctx context.Context, msg bot.InboundMessage) error {
	rec, dup, err := e.Accept(ctx, msg)
	if err != nil {
		return err
	}
	if dup && rec.ProcessedAt != nil {
		return nil
	}
	go func() {
		if _, err := e.Process(context.WithoutCancel(ctx), rec); err != nil {
			e.log.Warn("inbound message not processed yet; recovery will retry", "inbox_id", rec.ID,
				"transport", rec.Message.Transport, "err", err)
		}
	}()
	return nil
}

// Report records a transport's delivery status for a message and tells
// consoles; it is the receipts half of bot.Sink.
func (e *Engine) Report(ctx context.Context, r bot.DeliveryReport) error {
	rs, ok := e.cfg.Store.(DeliveryReporter)
	if !ok {
		return nil
	}
	if input.Check("id", r.ExternalID, 0) != nil || len(r.ExternalID) > input.MaxIDBytes {
		// No message Quita sent has such an id: nothing to update.
		e.log.Debug("delivery report ignored: unusable message id", "transport", r.Transport)
		return nil
	}
	r.Reason = input.Clean(r.Reason, input.MaxMessageRunes)
	convID, changed, err := rs.ApplyDeliveryReport(ctx, r)
	if err != nil {
		return err
	}
	if changed {
		e.obs.Outbound(r.Transport, r.Status)
		e.published(ctx, convID)
	}
	return nil
}

// published announces that a conversation changed. It is best effort: a
// console that misses it catches up on its next refresh.
func (e *Engine) published(ctx context.Context, conversationID string) {
	if conversationID == "" {
		return
	}
	if err := e.cfg.Coord.Publish(context.WithoutCancel(ctx), ConversationsChannel, []byte(conversationID)); err != nil {
		e.log.Debug("conversation change not published", "conversation_id", conversationID, "err", err)
	}
}
