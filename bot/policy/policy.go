package policy

import (
	"sort"
	"time"
)

// Policy is the whole business policy. Each group is one top-level YAML key;
// Reference() documents every key with its default.
type Policy struct {
	Company        Company        `yaml:"company"`
	Charges        Charges        `yaml:"charges"`
	Reminders      Reminders      `yaml:"reminders"`
	ContactWindows ContactWindows `yaml:"contact_windows"`
	Caps           Caps           `yaml:"caps"`
	Installments   Installments   `yaml:"installments"`
	Discounts      Discounts      `yaml:"discounts"`
	Promises       Promises       `yaml:"promises"`
	Extension      Extension      `yaml:"extension"`
	Receipts       Receipts       `yaml:"receipts"`
	Handoff        Handoff        `yaml:"handoff"`
	Pix            Pix            `yaml:"pix"`
	WhatsApp       WhatsApp       `yaml:"whatsapp"`
	Reports        Reports        `yaml:"reports"`
	// RetentionDays is how long conversations, transcripts and receipts are
	// kept after a debtor's last activity before they are erased (LGPD: data
	// only for as long as needed). The default of 1825 days (5 years) covers
	// the period in which a consumer may sue over how they were charged (CDC
	// art. 27), when the transcript is the business's evidence.
	RetentionDays int `yaml:"retention_days"`
	// Retention bounds the operational records kept beside the personal
	// data.
	Retention Retention `yaml:"retention"`
}

// Retention configures the daily retention job's pruning of operational
// records: delivered outbox rows, processed inbox rows, the simulator's
// log and received billing webhooks.
type Retention struct {
	// OperationalDays is how long those records are kept, 7 to 3650 days.
	// They only serve retries, deduplication and troubleshooting; the
	// transcript keeps the conversation.
	OperationalDays int `yaml:"operational_days"`
}

// Company identifies the creditor. CDC art. 42-A requires the creditor's
// name, address and CPF/CNPJ on every collection document, so Name is printed
// in every collection message and Document/Address should be set.
type Company struct {
	// Name is the creditor's name as debtors know it. Required in every
	// policy file.
	Name string `yaml:"name"`
	// Document is the creditor's CNPJ (or CPF), digits with or without
	// punctuation; check digits are verified.
	Document string `yaml:"document"`
	// Address is the creditor's postal address, shown where the law asks for it.
	Address string `yaml:"address"`
	// ContactPhone is where a debtor can call a person, e.g. "(11) 4000-1234".
	ContactPhone string `yaml:"contact_phone"`
	// Email is the creditor's contact e-mail.
	Email string `yaml:"email"`
	// Website is an https:// (or http://) address.
	Website string `yaml:"website"`
}

// Charges are the late charges added to an overdue invoice.
type Charges struct {
	// LateFeePercent is the one-off multa on the amount, at most 2
	// (CDC art. 52 §1).
	LateFeePercent float64 `yaml:"late_fee_percent"`
	// MonthlyInterestPercent is the juros de mora per 30-day month, simple
	// interest on the amount, pro rata per day. 1 % a.m. is the usual
	// contractual rate for non-financial creditors.
	MonthlyInterestPercent float64 `yaml:"monthly_interest_percent"`
	// GraceDays is how many days after the (business-day adjusted) due date
	// a payment is still free of charges.
	GraceDays int `yaml:"grace_days"`
}

// Tone is the register of a reminder, from gentle to formal. Messages are
// never threatening whatever the tone (CDC art. 42 and 71).
type Tone string

// The tones, in escalating order.
const (
	ToneFriendly Tone = "friendly" // assumes the debtor forgot
	ToneFirm     Tone = "firm"     // a second, more direct reminder
	ToneFormal   Tone = "formal"   // a formal notice
	ToneFinal    Tone = "final"    // the last notice before escalation
)

// Step is one reminder of the cadence.
type Step struct {
	// OffsetDays is the day of the step relative to the due date: -3 is three
	// days before, 0 the due date, 7 a week late.
	OffsetDays int `yaml:"offset_days"`
	// Message is the locale catalog key of the text, e.g. "reminder.overdue".
	Message string `yaml:"message"`
	// Tone is friendly, firm, formal or final; steps on or before the due date
	// must be friendly, since the debtor is not late yet.
	Tone Tone `yaml:"tone"`
}

// EscalationAction is what happens when the cadence is exhausted.
type EscalationAction string

// The escalation actions.
const (
	EscalateAgent    EscalationAction = "agent"    // hand the conversation to a person
	EscalateExternal EscalationAction = "external" // report it for external collection
	EscalateNone     EscalationAction = "none"     // stop reminding, keep answering
)

// Escalation says what follows the last step and when.
type Escalation struct {
	// Action is agent, external or none.
	Action EscalationAction `yaml:"action"`
	// OffsetDays is the day, relative to the due date, on which the action is
	// taken; it must come after the last step.
	OffsetDays int `yaml:"offset_days"`
}

// Segment replaces the cadence (and optionally the escalation) for the
// invoices it matches, e.g. a gentler cadence for good payers or a shorter
// one for small amounts. The first matching segment wins.
type Segment struct {
	// Name identifies the segment in logs and metrics.
	Name string `yaml:"name"`
	// MinAmountCents matches invoices of at least this amount.
	MinAmountCents int64 `yaml:"min_amount_cents"`
	// MaxAmountCents matches invoices below this amount; 0 means no limit.
	MaxAmountCents int64 `yaml:"max_amount_cents"`
	// Tags match customers carrying any of them (case-insensitive); empty
	// matches every customer.
	Tags []string `yaml:"tags"`
	// Cadence replaces reminders.cadence for the segment.
	Cadence []Step `yaml:"cadence"`
	// Escalation replaces reminders.escalation when set.
	Escalation *Escalation `yaml:"escalation,omitempty"`
}

// Reminders is the proactive collection cadence.
type Reminders struct {
	// Cadence is the list of steps in increasing offset order; empty turns
	// proactive reminders off (Quita still answers debtors who write).
	Cadence []Step `yaml:"cadence"`
	// Escalation follows the last step.
	Escalation Escalation `yaml:"escalation"`
	// Segments override the cadence by amount and customer tag.
	Segments []Segment `yaml:"segments"`
	// TimeBarredYears stops all collection of invoices whose due date is this
	// many years old: such debts are prescribed (CC art. 206 §5 I) and
	// charging them is abusive.
	TimeBarredYears int `yaml:"time_barred_years"`
	// FirstContact is what a reminder tells a number whose identity is not
	// confirmed yet: FirstContactDiscreet, FirstContactIdentity or
	// FirstContactFull.
	FirstContact string `yaml:"first_contact"`
}

// First-contact modes (reminders.first_contact).
const (
	// FirstContactDiscreet names the creditor and the first name, says it
	// is about "sua fatura" and its due date, no amount, how to confirm and
	// how to stop. The default.
	FirstContactDiscreet = "discreet"
	// FirstContactIdentity only asks "falo com …?" (first name), at most
	// twice without an answer until the person writes.
	FirstContactIdentity = "identity"
	// FirstContactFull sends the whole reminder: for creditors whose
	// numbers come from their own customers.
	FirstContactFull = "full"
)

// ContactWindows are the hours in which proactive messages may be sent, in
// the business time zone. Replies to a debtor who writes are not limited by
// them. Each day is "off" or one or more "HH:MM-HH:MM" ranges separated by
// commas ("09:00-12:00, 13:30-18:00"); the end is exclusive, "24:00" allowed.
type ContactWindows struct {
	Monday    string `yaml:"monday"`
	Tuesday   string `yaml:"tuesday"`
	Wednesday string `yaml:"wednesday"`
	Thursday  string `yaml:"thursday"`
	Friday    string `yaml:"friday"`
	Saturday  string `yaml:"saturday"`
	// Sunday must stay "off": collecting on Sundays is not allowed.
	Sunday   string       `yaml:"sunday"`
	Holidays HolidayRules `yaml:"holidays"`
}

// HolidayRules are the days without proactive contact besides Sundays.
type HolidayRules struct {
	// National skips the Brazilian national holidays (see Holidays).
	National bool `yaml:"national"`
	// Carnival also skips Carnival Monday and Tuesday: officially a "ponto
	// facultativo", but banks and most commerce close.
	Carnival bool `yaml:"carnival"`
	// Extra lists more days off: "YYYY-MM-DD" for one date, "MM-DD" for a
	// date every year (state and municipal holidays, e.g. "01-25" in São Paulo).
	Extra []string `yaml:"extra"`
}

// Caps limit proactive messages per debtor; several overdue invoices share
// one message. Replies to the debtor are not capped.
type Caps struct {
	// PerDay is the most proactive messages to one debtor per calendar day (1–3).
	PerDay int `yaml:"per_day"`
	// PerWeek is the most in any 7 consecutive days.
	PerWeek int `yaml:"per_week"`
}

// Installments is the payment-plan offer.
type Installments struct {
	// Enabled lets debtors split a debt.
	Enabled bool `yaml:"enabled"`
	// MaxCount is the largest number of installments a debtor may ask for.
	MaxCount int `yaml:"max_count"`
	// Offer lists the installment counts proposed in the menu, increasing;
	// counts whose installment would fall below MinInstallmentCents are left out.
	Offer []int `yaml:"offer"`
	// MinInstallmentCents is the smallest installment accepted.
	MinInstallmentCents int64 `yaml:"min_installment_cents"`
	// MonthlyInterestPercent is the plan's interest per month (Price table);
	// 0 splits the debt without interest.
	MonthlyInterestPercent float64 `yaml:"monthly_interest_percent"`
	// DownPaymentPercent is the entrada paid on acceptance; 0 means none.
	DownPaymentPercent float64 `yaml:"down_payment_percent"`
}

// Discounts for paying in full. Offered only as a last resort and at most
// once per invoice: a discount that is always available teaches debtors to
// pay late and wait for it.
type Discounts struct {
	// Enabled allows the offer at all.
	Enabled bool `yaml:"enabled"`
	// MaxPercent is the largest discount on the amount due, charges included.
	MaxPercent float64 `yaml:"max_percent"`
	// AfterDays is how many days late an invoice must be before it is offered.
	AfterDays int `yaml:"after_days"`
}

// Promises are debtor commitments to pay on a date.
type Promises struct {
	// MaxDays is how far ahead a promised date may be; a later date is
	// answered with installments instead. 30 reaches the next payday.
	MaxDays int `yaml:"max_days"`
	// FollowUpDays is how many days after a missed promise the polite
	// follow-up goes out.
	FollowUpDays int `yaml:"follow_up_days"`
	// BrokenBeforeEscalation is how many broken promises hand the
	// conversation to an agent.
	BrokenBeforeEscalation int `yaml:"broken_before_escalation"`
}

// Extension is the answer to "can I have more time?" without a firm date.
type Extension struct {
	// Enabled allows granting extensions.
	Enabled bool `yaml:"enabled"`
	// MaxDays is the longest extension granted.
	MaxDays int `yaml:"max_days"`
	// RequiresGoodHistory grants it only to debtors who usually pay on time;
	// others are offered a promise date or installments.
	RequiresGoodHistory bool `yaml:"requires_good_history"`
}

// Receipts govern "já paguei" claims.
type Receipts struct {
	// ConfirmTimeoutBusinessDays is how long the billing system has to
	// confirm a claimed payment before a person reviews the claim (the
	// debtor is told so). Collection stays paused either way until the
	// claim is settled. Pix settles at once, boletos in 1–3 days.
	ConfirmTimeoutBusinessDays int `yaml:"confirm_timeout_business_days"`
}

// Handoff governs conversations passed to a person.
type Handoff struct {
	// AgentSignature prefixes agent messages with the agent's name, so the
	// debtor knows a person is writing.
	AgentSignature bool `yaml:"agent_signature"`
	// AutoReleaseIdleMinutes returns a held conversation to the bot after
	// this many idle minutes; 0 never does.
	AutoReleaseIdleMinutes int `yaml:"auto_release_idle_minutes"`
	// UnknownBeforeOfferHuman is how many messages in a row the bot may fail
	// to understand before offering a person.
	UnknownBeforeOfferHuman int `yaml:"unknown_before_offer_human"`
}

// Pix is the creditor's Pix receiving key, used to build a BR Code when the
// billing system sent none. Leave Key empty to never generate one.
type Pix struct {
	// Key is a CPF, CNPJ, +55 phone, e-mail or random (EVP) key.
	Key string `yaml:"key"`
	// MerchantName is the receiver's name in the code (≤ 25 characters);
	// empty uses company.name.
	MerchantName string `yaml:"merchant_name"`
	// MerchantCity is the receiver's city (≤ 15 characters), required with a key.
	MerchantCity string `yaml:"merchant_city"`
}

// WhatsApp paces sends on a linked number. Unofficial clients are banned for
// bursty, cold outreach, so sends are spread out and capped.
type WhatsApp struct {
	// DailyCap is the most proactive messages one number sends per day.
	DailyCap int `yaml:"daily_cap"`
	// WarmupDays is how long a newly linked number ramps up to DailyCap.
	WarmupDays int `yaml:"warmup_days"`
	// WarmupStart is the cap on a new number's first day; it grows linearly
	// to DailyCap over WarmupDays.
	WarmupStart int `yaml:"warmup_start"`
	// MinDelay and MaxDelay bound the random pause between two sends of a
	// number (Go durations: "3s", "1m").
	MinDelay time.Duration `yaml:"min_delay"`
	MaxDelay time.Duration `yaml:"max_delay"`
	// Typing shows "typing…" before each send, as a person would.
	Typing bool `yaml:"typing"`
	// MaxInboundAge is the oldest inbound message still answered; older ones
	// (offline backlog, history sync) are recorded but not replied to, so a
	// reconnect never answers yesterday's context out of the blue.
	MaxInboundAge time.Duration `yaml:"max_inbound_age"`
	// Templates maps a catalog message key (a cadence step's message, e.g.
	// "reminder.overdue") to the approved WhatsApp Cloud API template sent
	// in its place outside the 24-hour customer-service window, when Meta
	// allows only templates. A message without one is not sent there.
	Templates map[string]CloudTemplate `yaml:"templates"`
}

// CloudTemplate is an approved WhatsApp Cloud API message template.
type CloudTemplate struct {
	// Name is the template's name in WhatsApp Manager (a-z, 0-9, _).
	Name string `yaml:"name"`
	// Language is its language code ("pt_BR"); empty derives it from the
	// debtor's locale.
	Language string `yaml:"language"`
	// Params names the message's arguments in the order of the template's
	// body placeholders {{1}}, {{2}}, … (e.g. [first_name, amount, due]).
	Params []string `yaml:"params"`
	// HeaderMedia is true when the template has a document or image header:
	// the invoice PDF goes there.
	HeaderMedia bool `yaml:"header_media"`
}

// Reports prices the collection report (GET /v1/reports/collections).
type Reports struct {
	// MessageCostCents is what one proactive message (a reminder) costs, in
	// cents, by transport: whatsapp, cloudapi or sim, and "default" for any
	// transport not named. The Cloud API bills business-initiated templates;
	// a linked WhatsApp number and the simulator cost nothing unless set.
	MessageCostCents map[string]int64 `yaml:"message_cost_cents"`
}

// MessageCost is the cost in cents of one proactive message on transport.
func (r Reports) MessageCost(transport string) int64 {
	if c, ok := r.MessageCostCents[transport]; ok {
		return c
	}
	return r.MessageCostCents["default"]
}

func (r Reports) validate() *Error {
	names := make([]string, 0, len(r.MessageCostCents))
	for name := range r.MessageCostCents {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := "reports.message_cost_cents." + name
		switch name {
		case "default", "whatsapp", "cloudapi", "sim":
		default:
			return bad(path, "%q is not a transport: use whatsapp, cloudapi, sim or default", name)
		}
		if c := r.MessageCostCents[name]; c < 0 || c > 100000 {
			return bad(path, "%d is outside 0–100000 cents", c)
		}
	}
	return nil
}
