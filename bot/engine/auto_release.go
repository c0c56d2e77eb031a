package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/flows"
)

// idleLister is the store's list of held conversations gone quiet.
type idleLister interface {
	IdleHeldConversations(ctx context.Context, idleSince time.Time, limit int) ([]bot.Conversation, error)
}

// ReleaseIdle hands back to the bot every conversation an agent has held
// without activity (from the agent or the debtor) for the policy's
// handoff.auto_release_idle_minutes, so a debtor is never left waiting on
// someone who went home. Each release is announced in the transcript. It
// does nothing when the policy sets no idle time.
func (e *Engine) ReleaseIdle(ctx context.Context) (int, error) {
	minutes := e.cfg.Policy.Handoff.AutoReleaseIdleMinutes
	lister, ok := e.cfg.Store.(idleLister)
	if minutes <= 0 || !ok {
		return 0, nil
	}
	idle := time.Duration(minutes) * time.Minute
	cutoff := e.cfg.Clock.Now().Add(-idle)
	held, err := lister.IdleHeldConversations(ctx, cutoff, 500)
	if err != nil {
		return 0, err
	}
	released := 0
	for _, conv := range held {
		done := false
		_, err := e.agentAction(ctx, conv.ID, conv.Agent, func(tc *turnContext) (flows.Result, *bot.TranscriptEntry, []string, error) {
			// Re-checked under the lock: the agent may have spoken meanwhile.
			if tc.conv.Agent == "" || !tc.conv.UpdatedAt.Before(cutoff) {
				return flows.Result{}, nil, nil, nil
			}
			holder := tc.conv.Agent
			tc.conv.Agent = ""
			res := flows.Result{State: flows.ResumeState(tc.conv.State, tc.mem), Memory: tc.mem}
			entry := &bot.TranscriptEntry{At: tc.now, Direction: bot.DirectionSystem, Author: bot.AuthorSystem,
				Text:      fmt.Sprintf("handed back to the bot after %d minutes without activity (held by %s)", minutes, holder),
				StateFrom: tc.conv.State, StateTo: res.State}
			done = true
			return res, entry, nil, nil
		})
		if err != nil {
			return released, err
		}
		if done {
			released++
		}
	}
	return released, nil
}
