package reminders_test

import (
	"reflect"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
)

func day(s string) policy.Date {
	d, err := policy.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// logged builds a log: "key=YYYY-MM-DD" entries, sent, or superseded
// when the key starts with "~".
func logged(entries ...string) map[string]reminders.Logged {
	out := map[string]reminders.Logged{}
	for _, e := range entries {
		k, d := e[:len(e)-11], e[len(e)-10:]
		kind := reminders.LoggedSent
		if k[0] == '~' {
			k, kind = k[1:], reminders.LoggedSuperseded
		}
		out[k] = reminders.Logged{Kind: kind, Day: day(d)}
	}
	return out
}

const planDetail = `{"invoice_ids":["INV-1"],"installments":3,"schedule":[` +
	`{"number":1,"due_date":"2026-12-02","amount_cents":10325},` +
	`{"number":2,"due_date":"2027-01-02","amount_cents":10325},` +
	`{"number":3,"due_date":"2027-02-02","amount_cents":10326}]}`

func TestPlan(t *testing.T) {
	segmented := policy.Default()
	segmented.Reminders.Segments = []policy.Segment{{Name: "good", Tags: []string{"good_payer"},
		Cadence: []policy.Step{{OffsetDays: 0, Message: "reminder.due_today", Tone: policy.ToneFriendly}, {OffsetDays: 5, Message: "reminder.overdue", Tone: policy.ToneFriendly}}}}
	sparse := policy.Default()
	sparse.Reminders.Cadence = []policy.Step{{OffsetDays: -3, Message: "reminder.upcoming", Tone: policy.ToneFriendly}, {OffsetDays: 7, Message: "reminder.notice", Tone: policy.ToneFirm}}
	sparse.Reminders.Escalation.OffsetDays = 10
	finalOnly := policy.Default()
	finalOnly.Reminders.Cadence = []policy.Step{{OffsetDays: -3, Message: "reminder.upcoming", Tone: policy.ToneFriendly}, {OffsetDays: 30, Message: "reminder.final_notice", Tone: policy.ToneFinal}}
	extra := policy.Default()
	extra.ContactWindows.Holidays.Extra = []string{"2026-11-27"}
	noMonday := policy.Default()
	noMonday.ContactWindows.Monday = "off"
	// A late start: first reminded on D+40 (11/01/2027), then spaced.
	late := []string{"~d-3@2026-12-02=2027-01-11", "~d0@2026-12-02=2027-01-11", "d+1@2026-12-02=2027-01-11"}
	lateThen := func(more ...string) map[string]reminders.Logged {
		return logged(append(append([]string(nil), late...), more...)...)
	}
	// Friendly, then firm on the first due date, then an extension.
	reached := []string{"d-3@2026-12-02=2026-11-27", "d0@2026-12-02=2026-12-02", "d+1@2026-12-02=2026-12-03", "d+7@2026-12-02=2026-12-09"}
	extended := bot.Collection{Status: bot.CollectionExtended, Until: "2026-12-20"}
	final := append(append([]string(nil), reached...), "d+15@2026-12-02=2026-12-17", "d+30@2026-12-02=2027-01-04")
	extendedAfterFinal := bot.Collection{Status: bot.CollectionExtended, Until: "2027-01-05"}

	type want struct {
		key, held  string
		action     reminders.Action
		superseded []string
	}
	cases := []struct {
		name   string
		pol    *policy.Policy
		due    string // invoice due date (default 2026-12-02, a Wednesday)
		status bot.InvoiceStatus
		tags   []string
		col    bot.Collection
		log    map[string]reminders.Logged
		today  string
		want   want
	}{
		{name: "nothing six days ahead", today: "2026-11-26"},
		{name: "D-3 on a Sunday goes on the Friday before", today: "2026-11-27", want: want{key: "d-3@2026-12-02", action: reminders.ActionStep}},
		{name: "D-3 missed on Friday still goes on Monday", today: "2026-11-30", want: want{key: "d-3@2026-12-02", action: reminders.ActionStep}},
		{name: "D0 after D-3", log: logged("d-3@2026-12-02=2026-11-30"), today: "2026-12-02", want: want{key: "d0@2026-12-02", action: reminders.ActionStep}},
		{name: "missed D-3 is superseded by D0", today: "2026-12-02",
			want: want{key: "d0@2026-12-02", action: reminders.ActionStep, superseded: []string{"d-3@2026-12-02"}}},
		{name: "an outage sends only the latest step", log: logged("d-3@2026-12-02=2026-11-30"), today: "2026-12-10",
			want: want{key: "d+7@2026-12-02", action: reminders.ActionStep, superseded: []string{"d0@2026-12-02", "d+1@2026-12-02"}}},
		{name: "D0 is stale the day after", log: logged("d-3@2026-12-02=2026-11-30"), today: "2026-12-03",
			want: want{key: "d+1@2026-12-02", action: reminders.ActionStep, superseded: []string{"d0@2026-12-02"}}},
		{name: "a stale pre-due step is never sent late", pol: &sparse, today: "2026-12-04"},
		{name: "never goes back to an older step", log: logged("d+7@2026-12-02=2026-12-09"), today: "2026-12-10"},
		{name: "escalation after the last step", log: logged("d0@2026-12-02=2026-12-02", "d+30@2026-12-02=2027-01-04"), today: "2027-01-06",
			want: want{key: "escalation@2026-12-02", action: reminders.ActionEscalate}},
		{name: "no escalation the day the last step went out", log: logged("d+30@2026-12-02=2027-01-06"), today: "2027-01-06"},
		{name: "escalation once", log: logged("d+30@2026-12-02=2027-01-04", "escalation@2026-12-02=2027-01-06"), today: "2027-01-20"},
		{name: "escalation when the only steps left are stale", pol: &sparse, log: logged("d+7@2026-12-02=2026-12-09"), today: "2026-12-14",
			want: want{key: "escalation@2026-12-02", action: reminders.ActionEscalate}},
		{name: "a Sunday due date counts from Monday", due: "2026-12-06", log: logged("d-3@2026-12-06=2026-12-04"), today: "2026-12-07",
			want: want{key: "d0@2026-12-06", action: reminders.ActionStep}},
		{name: "segment cadence for good payers", pol: &segmented, tags: []string{"Good_Payer"}, today: "2026-12-07",
			want: want{key: "d+5@2026-12-02", action: reminders.ActionStep, superseded: []string{"d0@2026-12-02"}}},
		{name: "a re-dated invoice starts afresh", due: "2026-12-10", log: logged("d0@2026-12-02=2026-12-02"), today: "2026-12-10",
			want: want{key: "d0@2026-12-10", action: reminders.ActionStep, superseded: []string{"d-3@2026-12-10"}}},
		// Issue 13, 1: a step before the due date on a day without contact
		// moves to the latest contact day before it.
		{name: "D-3 on Christmas goes on the 24th", due: "2026-12-25", today: "2026-12-24", want: want{key: "d-3@2026-12-25", action: reminders.ActionStep}},
		{name: "D-3 skips a weekend and an extra holiday back to Thursday", pol: &extra, today: "2026-11-26", want: want{key: "d-3@2026-12-02", action: reminders.ActionStep}},
		{name: "D-3 on a weekday without windows goes the day before", pol: &noMonday, due: "2026-12-03", today: "2026-11-27", want: want{key: "d-3@2026-12-03", action: reminders.ActionStep}},
		{name: "an overdue step on a holiday still waits for the next contact day", log: logged("d0@2026-12-02=2026-12-02"), today: "2026-12-03",
			want: want{key: "d+1@2026-12-02", action: reminders.ActionStep}},
		// 2: the tone never falls below the highest sent for the invoice.
		{name: "extension after a firm notice: no friendly D-3", col: extended, log: logged(reached...), today: "2026-12-18"},
		{name: "extension after a firm notice: no friendly D0", col: extended, log: logged(reached...), today: "2026-12-21"},
		{name: "extension after a firm notice: firm D+7, the friendly ones superseded", col: extended, log: logged(reached...), today: "2026-12-28",
			want: want{key: "d+7@2026-12-20", action: reminders.ActionStep, superseded: []string{"d-3@2026-12-20", "d0@2026-12-20", "d+1@2026-12-20"}}},
		{name: "a re-dated invoice after a firm notice: no friendly D0", due: "2026-12-10", log: logged(reached...), today: "2026-12-10"},
		{name: "an extension without a higher tone reached reminds before the new date", col: extended,
			log: logged("d-3@2026-12-02=2026-11-27", "d0@2026-12-02=2026-12-02"), today: "2026-12-18", want: want{key: "d-3@2026-12-20", action: reminders.ActionStep}},
		// 3: the final notice once per invoice, never first.
		{name: "the final notice is not repeated after an extension", col: extendedAfterFinal, log: logged(final...), today: "2027-02-04"},
		{name: "after the final notice the new date still escalates", col: extendedAfterFinal, log: logged(final...), today: "2027-02-09",
			want: want{key: "escalation@2027-01-05", action: reminders.ActionEscalate}},
		{name: "the final notice is never the first message", pol: &finalOnly, today: "2027-01-04"},
		{name: "after a promise follow-up, the cadence still starts friendly", col: bot.Collection{Status: bot.CollectionPromised, Until: "2026-12-30"},
			log: map[string]reminders.Logged{"promise@2026-12-30": {Kind: reminders.LoggedFollowUp, Day: day("2026-12-31")}}, today: "2027-01-04",
			want: want{key: "d+1@2026-12-02", action: reminders.ActionStep, superseded: []string{"d-3@2026-12-02", "d0@2026-12-02"}}},
		// 4: first seen long after the due date.
		{name: "first seen on D+40: a friendly first message", today: "2027-01-11",
			want: want{key: "d+1@2026-12-02", action: reminders.ActionStep, superseded: []string{"d-3@2026-12-02", "d0@2026-12-02"}}},
		{name: "late start: not firm the next day", log: lateThen(), today: "2027-01-12"},
		{name: "late start: firm six days after the friendly one", log: lateThen(), today: "2027-01-17",
			want: want{key: "d+7@2026-12-02", action: reminders.ActionStep}},
		{name: "late start: formal eight days after the firm one went out", log: lateThen("d+7@2026-12-02=2027-01-18"), today: "2027-01-25"},
		{name: "late start: formal", log: lateThen("d+7@2026-12-02=2027-01-18"), today: "2027-01-26",
			want: want{key: "d+15@2026-12-02", action: reminders.ActionStep}},
		{name: "late start: final fifteen days after the formal one", log: lateThen("d+7@2026-12-02=2027-01-18", "d+15@2026-12-02=2027-01-26"), today: "2027-02-10",
			want: want{key: "d+30@2026-12-02", action: reminders.ActionStep}},
		{name: "late start: no escalation before the spacing", log: lateThen("d+7@2026-12-02=2027-01-18", "d+15@2026-12-02=2027-01-26", "d+30@2026-12-02=2027-02-10"), today: "2027-02-14"},
		{name: "late start: escalation five days after the final notice", log: lateThen("d+7@2026-12-02=2027-01-18", "d+15@2026-12-02=2027-01-26", "d+30@2026-12-02=2027-02-10"), today: "2027-02-15",
			want: want{key: "escalation@2026-12-02", action: reminders.ActionEscalate}},
		{name: "first seen on D+6: D+1's step, then D+7 six days later", today: "2026-12-08",
			want: want{key: "d+1@2026-12-02", action: reminders.ActionStep, superseded: []string{"d-3@2026-12-02", "d0@2026-12-02"}}},
		{name: "first seen on D+6: no firm notice the day after", log: logged("~d-3@2026-12-02=2026-12-08", "~d0@2026-12-02=2026-12-08", "d+1@2026-12-02=2026-12-08"), today: "2026-12-09"},
		{name: "first seen on D0: the usual cadence", today: "2026-12-02",
			want: want{key: "d0@2026-12-02", action: reminders.ActionStep, superseded: []string{"d-3@2026-12-02"}}},
		{name: "first seen when only firm steps are overdue: the first of them", pol: &sparse, today: "2026-12-11",
			want: want{key: "d+7@2026-12-02", action: reminders.ActionStep, superseded: []string{"d-3@2026-12-02"}}},
		{name: "paid", status: bot.InvoicePaid, today: "2026-12-02"},
		{name: "time-barred", due: "2021-01-04", today: "2026-12-02", want: want{held: reminders.HeldTimeBarred}},
		{name: "disputed holds", col: bot.Collection{Status: bot.CollectionDisputed}, today: "2026-12-02", want: want{held: reminders.HeldDisputed}},
		{name: "disputed with nothing due holds nothing", col: bot.Collection{Status: bot.CollectionDisputed}, today: "2026-11-20"},
		{name: "claimed holds until the review ends", col: bot.Collection{Status: bot.CollectionClaimed, Until: "2026-12-09"},
			log: logged("d+1@2026-12-02=2026-12-03"), today: "2026-12-09", want: want{held: reminders.HeldClaimed}},
		{name: "claimed: after the review window a person takes it, no step", col: bot.Collection{Status: bot.CollectionClaimed, Until: "2026-12-09"},
			log: logged("d+1@2026-12-02=2026-12-03"), today: "2026-12-10", want: want{key: "claim-review@2026-12-09", action: reminders.ActionClaimReview}},
		{name: "claimed: the review is handed over once, then nothing", col: bot.Collection{Status: bot.CollectionClaimed, Until: "2026-12-09"},
			log: logged("d+1@2026-12-02=2026-12-03", "claim-review@2026-12-09=2026-12-10"), today: "2027-01-10", want: want{held: reminders.HeldClaimed}},
		{name: "claimed: never the final notice", col: bot.Collection{Status: bot.CollectionClaimed, Until: "2026-12-30"},
			log: logged("d+15@2026-12-02=2026-12-17", "claim-review@2026-12-30=2026-12-31"), today: "2027-01-04", want: want{held: reminders.HeldClaimed}},
		{name: "claimed without a deadline waits for a person", col: bot.Collection{Status: bot.CollectionClaimed},
			log: logged("d+1@2026-12-02=2026-12-03"), today: "2027-01-10", want: want{held: reminders.HeldClaimed}},
		{name: "promised holds until the date", col: bot.Collection{Status: bot.CollectionPromised, Until: "2026-12-04"},
			log: logged("d0@2026-12-02=2026-12-02"), today: "2026-12-04", want: want{held: reminders.HeldPromised}},
		{name: "the day after a promise: the follow-up replaces the steps", col: bot.Collection{Status: bot.CollectionPromised, Until: "2026-12-04"},
			log: logged("d0@2026-12-02=2026-12-02"), today: "2026-12-05",
			want: want{key: "promise@2026-12-04", action: reminders.ActionPromiseMissed, superseded: []string{"d+1@2026-12-02"}}},
		{name: "after the follow-up the cadence resumes", col: bot.Collection{Status: bot.CollectionPromised, Until: "2026-12-04"},
			log: logged("d0@2026-12-02=2026-12-02", "d+1@2026-12-02=2026-12-07", "promise@2026-12-04=2026-12-07"), today: "2026-12-09",
			want: want{key: "d+7@2026-12-02", action: reminders.ActionStep}},
		{name: "an extension re-bases the cadence", col: bot.Collection{Status: bot.CollectionExtended, Until: "2026-12-09"},
			log: logged("d0@2026-12-02=2026-12-02"), today: "2026-12-07", want: want{key: "d-3@2026-12-09", action: reminders.ActionStep}},
		{name: "a plan reminds of the next installment", col: bot.Collection{Status: bot.CollectionPlan, Until: "2027-02-02", Detail: []byte(planDetail)},
			today: "2027-01-04", want: want{key: "plan-2:d0@2027-01-02", action: reminders.ActionStep, superseded: []string{"plan-2:d-3@2027-01-02"}}},
		{name: "a plan never reminds of the first payment", col: bot.Collection{Status: bot.CollectionPlan, Until: "2027-02-02", Detail: []byte(planDetail)},
			today: "2026-12-02"},
		{name: "a plan has no overdue notices", col: bot.Collection{Status: bot.CollectionPlan, Until: "2027-02-02", Detail: []byte(planDetail)},
			log: logged("plan-2:d0@2027-01-02=2027-01-04"), today: "2027-01-15"},
		{name: "an unreadable plan detail reminds of nothing", col: bot.Collection{Status: bot.CollectionPlan, Detail: []byte("{")}, today: "2026-12-10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pol := policy.Default()
			if tc.pol != nil {
				pol = *tc.pol
			}
			inv := bot.Invoice{ID: "INV-1", AmountCents: 15990, DueDate: "2026-12-02", Status: bot.InvoiceOpen}
			if tc.due != "" {
				inv.DueDate = tc.due
			}
			if tc.status != "" {
				inv.Status = tc.status
			}
			dec := reminders.Plan(pol, reminders.Facts{Invoice: inv, Tags: tc.tags, Collection: tc.col, Log: tc.log}, day(tc.today))
			var got want
			got.held = dec.Held
			if d := dec.Due; d != nil {
				got.key, got.action, got.superseded = d.Key, d.Action, d.Superseded
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestPlanInstallmentDetails(t *testing.T) {
	col := bot.Collection{Status: bot.CollectionPlan, Detail: []byte(planDetail)}
	inv := bot.Invoice{ID: "INV-1", AmountCents: 30000, DueDate: "2026-11-25", Status: bot.InvoiceOpen}
	dec := reminders.Plan(policy.Default(), reminders.Facts{Invoice: inv, Collection: col}, day("2027-02-01"))
	want := &reminders.Installment{Number: 3, Count: 3, AmountCents: 10326, Due: "2027-02-02"}
	if dec.Due == nil || !reflect.DeepEqual(dec.Due.Installment, want) || dec.Due.ShownDue != "2027-02-02" {
		t.Fatalf("got %+v", dec.Due)
	}
	// The plan's other invoices stay quiet: one reminder per installment.
	inv.ID = "INV-2"
	if dec := reminders.Plan(policy.Default(), reminders.Facts{Invoice: inv, Collection: col}, day("2027-02-01")); dec.Due != nil {
		t.Fatalf("second invoice of the plan reminded: %+v", dec.Due)
	}
}

func TestCompose(t *testing.T) {
	pol := policy.Default() // 1 a day, 3 a week
	step := reminders.Due{Action: reminders.ActionStep, Key: "d0"}
	follow := reminders.Due{Action: reminders.ActionPromiseMissed, Key: "promise"}
	esc := reminders.Due{Action: reminders.ActionEscalate, Key: "escalation"}
	review := reminders.Due{Action: reminders.ActionClaimReview, Key: "claim-review"}
	cases := []struct {
		name   string
		due    []reminders.Due
		counts reminders.Counts
		send   int
		held   int
	}{
		{"all steps in one message", []reminders.Due{step, step, step}, reminders.Counts{}, 3, 0},
		{"daily cap", []reminders.Due{step, step}, reminders.Counts{Today: 1, Week: 1}, 0, 2},
		{"weekly cap", []reminders.Due{step}, reminders.Counts{Week: 3}, 0, 1},
		{"a follow-up goes alone", []reminders.Due{step, follow, follow}, reminders.Counts{}, 1, 2},
		{"escalations pass the cap: they send nothing", []reminders.Due{step, esc}, reminders.Counts{Today: 1}, 1, 1},
		{"a claim review goes alone, before a follow-up", []reminders.Due{step, follow, review, esc}, reminders.Counts{}, 2, 2},
		{"a claim review passes the caps", []reminders.Due{review}, reminders.Counts{Today: 1, Week: 3}, 1, 0},
		{"one claim review per message", []reminders.Due{review, review}, reminders.Counts{}, 1, 1},
	}
	for _, tc := range cases {
		send, held := reminders.Compose(pol, tc.due, tc.counts)
		if len(send) != tc.send || held != tc.held {
			t.Errorf("%s: send %d held %d, want %d %d", tc.name, len(send), held, tc.send, tc.held)
		}
	}
}

func TestHorizon(t *testing.T) {
	back, ahead := reminders.Horizon(policy.Default())
	if back != 35+60 || ahead != 3 {
		t.Fatalf("horizon %d back, %d ahead", back, ahead)
	}
}
