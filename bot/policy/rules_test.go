package policy

import (
	"reflect"
	"testing"
)

func TestCadenceFor(t *testing.T) {
	p := Default()
	gentle := []Step{{OffsetDays: 5, Message: "reminder.overdue", Tone: ToneFriendly}}
	short := []Step{{OffsetDays: 1, Message: "reminder.overdue", Tone: ToneFriendly}}
	p.Reminders.Segments = []Segment{
		{Name: "good", Tags: []string{"good_payer"}, Cadence: gentle, Escalation: &Escalation{Action: EscalateNone}},
		{Name: "small", MaxAmountCents: 5000, Cadence: short},
		{Name: "big vip", MinAmountCents: 100000, Tags: []string{"vip"}, Cadence: gentle},
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		amount int64
		tags   []string
		want   []Step
		esc    EscalationAction
	}{
		{"tag, any case", 900000, []string{"Good_Payer"}, gentle, EscalateNone},
		{"first match wins", 1000, []string{"good_payer"}, gentle, EscalateNone},
		{"amount below max", 4999, nil, short, EscalateAgent},
		{"max is exclusive", 5000, nil, DefaultCadence(), EscalateAgent},
		{"amount and tag both needed", 200000, []string{"vip"}, gentle, EscalateAgent},
		{"vip but small amount", 99999, []string{"vip"}, DefaultCadence(), EscalateAgent},
		{"default", 15990, []string{"new"}, DefaultCadence(), EscalateAgent},
	}
	for _, tt := range tests {
		if got := p.CadenceFor(tt.amount, tt.tags); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: CadenceFor = %v", tt.name, got)
		}
		if got := p.EscalationFor(tt.amount, tt.tags).Action; got != tt.esc {
			t.Errorf("%s: EscalationFor = %v, want %v", tt.name, got, tt.esc)
		}
	}
	c := p.CadenceFor(15990, nil)
	c[0].Message = "changed"
	if p.Reminders.Cadence[0].Message == "changed" {
		t.Error("CadenceFor returned the policy's own slice")
	}
	want := []string{"reminder.due_today", "reminder.final_notice", "reminder.formal_notice", "reminder.notice", "reminder.overdue", "reminder.upcoming"}
	if got := p.MessageKeys(); !reflect.DeepEqual(got, want) {
		t.Errorf("MessageKeys = %v", got)
	}
}

func TestSmallRules(t *testing.T) {
	p := Default()
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"promise limit", p.LatestPromiseDate(d("2026-11-25")), d("2026-12-25")},
		{"extension good history, asks 3", p.ExtensionDays(3, true), 3},
		{"extension capped", p.ExtensionDays(30, true), 7},
		{"extension unspecified", p.ExtensionDays(0, true), 7},
		{"extension bad history", p.ExtensionDays(3, false), 0},
		{"warm-up day 0", p.DailySendLimit(0), 20},
		{"warm-up day 7", p.DailySendLimit(7), 110},
		{"warm-up done", p.DailySendLimit(14), 200},
		{"warm-up long done", p.DailySendLimit(400), 200},
		{"fresh inbound", p.StaleInbound(at("2026-11-25 10:00"), at("2026-11-26 10:00")), false},
		{"stale inbound", p.StaleInbound(at("2026-11-25 10:00"), at("2026-11-26 10:01")), true},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	p.Extension.RequiresGoodHistory = false
	if got := p.ExtensionDays(5, false); got != 5 {
		t.Errorf("extension without history rule = %d", got)
	}
	p.WhatsApp.WarmupDays = 0
	if got := p.DailySendLimit(0); got != p.WhatsApp.DailyCap {
		t.Errorf("no warm-up = %d", got)
	}
}
