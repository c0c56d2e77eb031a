package flows

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/locales"
)

// Items as the engine builds them for careEnv (Monday 23/11): INV-1 is a
// month overdue, INV-2 falls due on Wednesday 25/11.
var (
	upcomingINV2 = ReminderItem{Kind: ReminderStep, InvoiceID: "INV-2", Step: "d-3@2026-11-25", Message: "reminder.upcoming",
		Tone: "friendly", Offset: -3, Due: "2026-11-25", Anchor: "2026-11-25"}
	formalINV1 = ReminderItem{Kind: ReminderStep, InvoiceID: "INV-1", Step: "d+15@2026-10-26", Message: "reminder.formal_notice",
		Tone: "formal", Offset: 15, Due: "2026-10-25", Anchor: "2026-10-26"}
	escalateINV1 = ReminderItem{Kind: ReminderEscalate, InvoiceID: "INV-1", Step: "escalation@2026-10-25", Escalation: "agent"}
	installment  = ReminderItem{Kind: ReminderStep, InvoiceID: "INV-2", Step: "plan-2:d0@2026-11-23", Message: "reminder.due_today",
		Tone: "friendly", Due: "2026-11-23", Anchor: "2026-11-23", Installment: &ReminderInstallment{Number: 2, Count: 3, AmountCents: 5000, Due: "2026-11-23"}}
)

func reminderIn(items ...ReminderItem) Input {
	return Input{Event: EventReminder, Text: EncodeReminder(items), Invoice: &bot.Invoice{ID: items[0].InvoiceID}}
}

func TestReminder(t *testing.T) {
	confirmed := Memory{IdentityConfirmed: true}
	tail := []string{"reminder.pay_hint", "reminder.footer", "emit:reminder.sent"}
	withPix := careWith(func(e *Env) { e.Policy.Pix = policy.Pix{Key: "pix@acme.example", MerchantCity: "SAO PAULO"} })
	withLink := careWith(func(e *Env) { e.Invoices[1].Payment.Link = "https://pay/INV-2" })
	cases := []struct {
		name      string
		state     string
		mem       Memory
		in        Input
		env       Env
		wantState string
		wantKeys  []string
	}{
		{"a friendly step, creditor first", StateMenuFull, confirmed, reminderIn(upcomingINV2), careEnv(), StateMenu,
			cat([]string{"intro.known", "reminder.upcoming", "reminder.line.upcoming"}, tail)},
		{"a payment link when there is one", StateMenu, confirmed, reminderIn(upcomingINV2), withLink, StateMenu,
			[]string{"intro.known", "reminder.upcoming", "reminder.line.upcoming", "reminder.pay_link", "reminder.footer", "emit:reminder.sent"}},
		{"several invoices, one message in the mildest tone, each line its own", StateMenu, confirmed, reminderIn(upcomingINV2, formalINV1), careEnv(), StateMenu,
			[]string{"intro.known", "reminder.upcoming", "reminder.line.upcoming", "reminder.line.overdue_charges",
				"reminder.pay_hint", "reminder.footer", "emit:reminder.sent"}},
		{"an unconfirmed number hears who writes and what about, no amount", StateStart, Memory{}, reminderIn(formalINV1), careEnv(), StateConfirmIdentity,
			[]string{"reminder.hello", "reminder.discreet.overdue", "reminder.discreet.confirm", "reminder.stop", "emit:reminder.sent"}},
		{"escalation hands over without a message", StateMenu, confirmed, reminderIn(escalateINV1), careEnv(), StateMenu,
			[]string{"status:needs_agent", "emit:conversation.handoff"}},
		{"a step and an escalation together", StateMenu, confirmed, reminderIn(upcomingINV2, escalateINV1), careEnv(), StateMenu,
			cat([]string{"intro.known", "reminder.upcoming", "reminder.line.upcoming"}, tail, []string{"status:needs_agent", "emit:conversation.handoff"})},
		{"an installment comes with a Pix code of its own", StateMenu, confirmed, reminderIn(installment), withPix, StateMenu,
			[]string{"intro.known", "reminder.due_today", "reminder.line.installment_today", "reminder.installment_pix",
				"reminder.footer", "reminder.code", "emit:reminder.sent"}},
		{"an installment without a Pix key: billing sends its means", StateMenu, confirmed, reminderIn(installment), careEnv(), StateMenu,
			[]string{"intro.known", "reminder.due_today", "reminder.line.installment_today", "reminder.installment_by_billing",
				"reminder.footer", "emit:reminder.sent"}},
		{"after an unconfirmed claim, a word about it", StateMenu, Memory{IdentityConfirmed: true, Detailed: true},
			reminderIn(ReminderItem{Kind: ReminderStep, InvoiceID: "INV-1", Step: "d+30@2026-10-25", Message: "reminder.final_notice",
				Tone: "final", Offset: 30, Due: "2026-10-25", Anchor: "2026-10-26", AfterClaim: true}), careEnv(), StateMenu,
			[]string{"intro.known", "reminder.claim_unconfirmed", "reminder.final_notice", "reminder.line.overdue_charges",
				"reminder.pay_hint", "reminder.help", "reminder.footer", "emit:reminder.sent"}},
		{"paid meanwhile: nothing", StateMenu, confirmed, reminderIn(ReminderItem{Kind: ReminderStep, InvoiceID: "INV-9",
			Step: "d0@2026-11-23", Message: "reminder.due_today"}), careEnv(), StateMenu, nil},
		{"opted out", StateOptedOut, confirmed, reminderIn(upcomingINV2), careEnv(), StateOptedOut, nil},
		{"opted out, then moved on by an agent", StateMenu, Memory{IdentityConfirmed: true, Care: CareMemory{OptedOutOn: "2026-11-20"}},
			reminderIn(upcomingINV2), careEnv(), StateMenu, nil},
		{"wrong number", StateClosed, Memory{}, reminderIn(upcomingINV2), careEnv(), StateClosed, nil},
		{"a person holds the conversation", StateWithAgent, confirmed, reminderIn(upcomingINV2, escalateINV1), careEnv(), StateWithAgent, nil},
		{"garbage in, nothing out", StateMenu, confirmed, Input{Event: EventReminder, Text: "{"}, careEnv(), StateMenu, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := reminder(tc.state, tc.mem, tc.in, tc.env)
			if res.State != tc.wantState || !reflect.DeepEqual(keys(res.Actions), tc.wantKeys) {
				t.Errorf("got %s %v\nwant %s %v", res.State, keys(res.Actions), tc.wantState, tc.wantKeys)
			}
			checkKeys(t, res.Actions)
		})
	}
}

func TestReminderEventData(t *testing.T) {
	res := reminder(StateMenu, Memory{IdentityConfirmed: true}, reminderIn(upcomingINV2, formalINV1), careEnv())
	got := emits(res.Actions)["reminder.sent"][0]
	want := map[string]any{"invoice_ids": []string{"INV-2", "INV-1"}, "step": "d-3", "tone": "friendly",
		"steps": map[string]string{"INV-1": "d+15", "INV-2": "d-3"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("reminder.sent %v, want %v", got, want)
	}
	res = reminder(StateMenu, Memory{IdentityConfirmed: true}, reminderIn(escalateINV1), careEnv())
	if h := emits(res.Actions)["conversation.handoff"][0]; h["reason"] != "escalation" || h["invoice_id"] != "INV-1" || res.Memory.Care.Handoff != "escalation" {
		t.Fatalf("handoff %v, memory %+v", h, res.Memory.Care)
	}
	res = reminder(StateMenu, Memory{IdentityConfirmed: true}, reminderIn(ReminderItem{Kind: ReminderEscalate, InvoiceID: "INV-1", Escalation: "external"}), careEnv())
	if got := keys(res.Actions); !reflect.DeepEqual(got, []string{"emit:conversation.handoff"}) {
		t.Fatalf("external collection: %v", got)
	}
}

// TestReminderIdentityFirst walks a reminder to an unconfirmed number: no
// amount until "sim", then the reminder itself, as things stand by then.
func TestReminderIdentityFirst(t *testing.T) {
	e := careEnv()
	res := reminder(StateStart, Memory{}, reminderIn(upcomingINV2, formalINV1), e)
	r := res.Actions[0].(Reply)
	if len(r.Buttons) != 2 || r.Parts[0].Args["first_name"] != "Maria" {
		t.Fatalf("identity question %+v", r)
	}
	for _, p := range r.Parts {
		for k, v := range p.Args {
			if _, money := v.(Money); money || k == "name" || k == "description" {
				t.Fatalf("the first contact discloses %s=%v: %+v", k, v, r)
			}
		}
	}
	for k, v := range emits(res.Actions)["reminder.sent"][0] {
		if k == "identity_check" && v != true {
			t.Fatalf("identity_check = %v", v)
		}
	}
	// Meanwhile INV-2 was paid; "sim" brings what is still true.
	e.Invoices = e.Invoices[:1]
	res = Step(res.State, res.Memory, msg(bot.IntentAffirmative, "sim"), e)
	// The first detailed reminder the person reads is never a formal or
	// final notice: it leads with the cadence's first overdue sentence.
	want := []string{"identity.confirmed", "reminder.from", "reminder.overdue", "reminder.line.overdue_charges",
		"reminder.pay_hint", "reminder.help", "reminder.footer"}
	if res.State != StateMenu || !reflect.DeepEqual(keys(res.Actions), want) || res.Memory.PendingIntent != "" {
		t.Fatalf("after sim: %s %v pending %q", res.State, keys(res.Actions), res.Memory.PendingIntent)
	}
	// Once they read one, the cadence's own lead goes.
	if res := reminder(StateMenu, res.Memory, reminderIn(formalINV1), e); !slices.Contains(keys(res.Actions), "reminder.formal_notice") {
		t.Fatalf("second detailed reminder: %v", keys(res.Actions))
	}
	// The debtor's own unanswered request is not overwritten by a reminder.
	mem := Memory{PendingIntent: bot.IntentBalanceInquiry, PendingText: "quanto devo?"}
	if res := reminder(StateConfirmIdentity, mem, reminderIn(upcomingINV2), careEnv()); res.Memory.PendingText != "quanto devo?" {
		t.Fatalf("pending request lost: %+v", res.Memory)
	}
}

// TestReminderEventIsRouted fails until flows/events.go routes the event
// to reminder (see docs/reminders.md, "Wiring").
func TestReminderEventIsRouted(t *testing.T) {
	res := Step(StateMenu, Memory{IdentityConfirmed: true}, reminderIn(upcomingINV2), careEnv())
	if len(res.Actions) == 0 {
		t.Fatal(`flows/events.go does not route EventReminder: add "if in.Event == EventReminder { return reminder(state, mem, in, env) }" to event()`)
	}
}

// TestReminderKeysInEveryLocale checks every cadence key of the default
// policy renders in every locale, and that what opens a reminder — the
// greeting, the identity question, the line after "sim" — names the
// creditor (CDC art. 42-A).
func TestReminderKeysInEveryLocale(t *testing.T) {
	for _, key := range policy.Default().MessageKeys() {
		res := reminder(StateMenu, Memory{IdentityConfirmed: true}, reminderIn(ReminderItem{Kind: ReminderStep, InvoiceID: "INV-2",
			Step: "d0@2026-11-25", Message: key, Due: "2026-11-25", Anchor: "2026-11-25"}), careEnv())
		checkKeys(t, res.Actions)
	}
	c, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range locales.Supported {
		keys := []string{"intro.known", "intro.known_document", "intro.unknown", "reminder.hello_again", "reminder.hello_again_document", "reminder.from"}
		for _, key := range append(keys, ProactiveKeys...) {
			switch key {
			case "reminder.code", "paid.thanks_private", "reminder.payable_today":
				// A code alone, so a long press copies exactly it; opened by
				// intro.unknown; a lead sentence after the greeting, as the
				// cadence's own.
				continue
			}
			if !strings.Contains(strings.Join(c.Placeholders(loc, key), ","), "company") {
				t.Errorf("%s %s does not name the creditor", loc, key)
			}
		}
	}
}
