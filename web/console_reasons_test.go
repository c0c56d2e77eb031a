package web

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/flows"
)

// TestNeedsAgentReasons: every handoff reason the flows record is shown to
// the agent in words, in both console languages, never as "needs an agent".
func TestNeedsAgentReasons(t *testing.T) {
	for _, c := range []struct {
		handoff string
		want    string
	}{
		{"requested", "reason_requested"},
		{"not_understood", "reason_not_understood"},
		{"deceased", "reason_deceased"},
		{"plan_cancel", "reason_plan_cancel"},
		{"escalation", "reason_escalation"},
		{"receipt_review", "reason_receipt_review"},
		{"", "reason_other"},
	} {
		var mem flows.Memory
		mem.Care.Handoff = c.handoff
		raw, _ := json.Marshal(mem)
		conv := bot.Conversation{Status: bot.StatusNeedsAgent, Memory: raw}
		for lang, texts := range consoleText {
			got := needsAgentReasons(conv, 0, 0, texts)
			if want := []string{texts[c.want]}; texts[c.want] == "" || !reflect.DeepEqual(got, want) {
				t.Errorf("%s %q: %q, want %q", lang, c.handoff, got, want)
			}
		}
	}
}
