package policy

import (
	"strings"
	"testing"
)

func TestReportsMessageCost(t *testing.T) {
	p, err := Parse([]byte("company: {name: Loja}\nreports:\n  message_cost_cents: {cloudapi: 8, default: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Reports.MessageCost("cloudapi") != 8 || p.Reports.MessageCost("whatsapp") != 1 || Default().Reports.MessageCost("cloudapi") != 0 {
		t.Fatalf("costs %+v", p.Reports)
	}
	for in, want := range map[string]string{
		"{telegram: 3}": "reports.message_cost_cents.telegram",
		"{sim: -1}":     "reports.message_cost_cents.sim: -1 is outside",
		"8":             "reports.message_cost_cents",
	} {
		_, err := Parse([]byte("company: {name: Loja}\nreports:\n  message_cost_cents: " + in + "\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}
