package policy

import "time"

// DemoCompanyName is the creditor name of the built-in policy. A real policy
// file must name the real creditor; this placeholder only lets the service
// start (and the demo run) without one.
const DemoCompanyName = "Quita Demo"

// DemoCompanyDocument is the demo creditor's CNPJ (a valid test number, no
// real company's), set by serve --demo on the built-in policy. Default()
// leaves company.document empty so a real policy file never inherits it.
const DemoCompanyDocument = "11.222.333/0001-81"

// Default returns the built-in policy: the seeds' cadence (D-3, D0, D+1, D+7,
// D+15, D+30, agent at D+35), weekdays 09:00–18:00 without Saturdays, Sundays
// or holidays, one proactive message a day and three a week, 2 % late fee and
// 1 % a month interest, plans up to 6× of at least R$ 50, no discounts.
// Every call returns fresh slices, so callers may modify the result.
func Default() Policy {
	return Policy{
		Company: Company{Name: DemoCompanyName},
		Charges: Charges{
			LateFeePercent:         2,
			MonthlyInterestPercent: 1,
			GraceDays:              0,
		},
		Reminders: Reminders{
			Cadence:         DefaultCadence(),
			Escalation:      Escalation{Action: EscalateAgent, OffsetDays: 35},
			Segments:        []Segment{},
			TimeBarredYears: 5,
			FirstContact:    FirstContactDiscreet,
		},
		ContactWindows: ContactWindows{
			Monday:    "09:00-18:00",
			Tuesday:   "09:00-18:00",
			Wednesday: "09:00-18:00",
			Thursday:  "09:00-18:00",
			Friday:    "09:00-18:00",
			Saturday:  "off",
			Sunday:    "off",
			Holidays:  HolidayRules{National: true, Carnival: true, Extra: []string{}},
		},
		Caps: Caps{PerDay: 1, PerWeek: 3},
		Installments: Installments{
			Enabled:                true,
			MaxCount:               6,
			Offer:                  []int{2, 3, 6},
			MinInstallmentCents:    5000,
			MonthlyInterestPercent: 1,
			DownPaymentPercent:     0,
		},
		Discounts: Discounts{Enabled: false, MaxPercent: 10, AfterDays: 30},
		Promises: Promises{
			MaxDays:                30,
			FollowUpDays:           1,
			BrokenBeforeEscalation: 2,
		},
		Extension: Extension{Enabled: true, MaxDays: 7, RequiresGoodHistory: true},
		Receipts:  Receipts{ConfirmTimeoutBusinessDays: 3},
		Handoff: Handoff{
			AgentSignature:          true,
			AutoReleaseIdleMinutes:  0,
			UnknownBeforeOfferHuman: 2,
		},
		WhatsApp: WhatsApp{
			DailyCap:      200,
			WarmupDays:    14,
			WarmupStart:   20,
			MinDelay:      4 * time.Second,
			MaxDelay:      15 * time.Second,
			Typing:        true,
			MaxInboundAge: 24 * time.Hour,
			Templates:     map[string]CloudTemplate{},
		},
		Reports:       Reports{MessageCostCents: map[string]int64{}},
		RetentionDays: 1825,
		Retention:     Retention{OperationalDays: 90},
	}
}

// DefaultCadence returns the seeds' cadence: a preventive reminder three days
// before the due date, a friendly one on it and the day after, a firmer one at
// a week, a formal notice at about two weeks and a final notice at 30 days.
// The message keys are the ones the locale catalogs must provide.
func DefaultCadence() []Step {
	return []Step{
		{OffsetDays: -3, Message: "reminder.upcoming", Tone: ToneFriendly},
		{OffsetDays: 0, Message: "reminder.due_today", Tone: ToneFriendly},
		{OffsetDays: 1, Message: "reminder.overdue", Tone: ToneFriendly},
		{OffsetDays: 7, Message: "reminder.notice", Tone: ToneFirm},
		{OffsetDays: 15, Message: "reminder.formal_notice", Tone: ToneFormal},
		{OffsetDays: 30, Message: "reminder.final_notice", Tone: ToneFinal},
	}
}
