package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Legal and sanity limits enforced by Validate.
const (
	// MaxLateFeePercent is the legal ceiling of the multa (CDC art. 52 §1).
	MaxLateFeePercent = 2.0
	// MaxPerDay is the most proactive messages a day to one debtor Quita
	// accepts; more is harassment whatever the policy says (CDC art. 42).
	MaxPerDay = 3
	// EarliestContact and LatestContact bound every contact window: state
	// consumer laws (e.g. SP weekdays 8–20) forbid calls outside them.
	EarliestContact = 8 * 60
	LatestContact   = 20 * 60
)

var messageKey = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

func bad(path, format string, args ...any) *Error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// inRange reports an *Error when v is outside [lo, hi].
func inRange(path string, v, lo, hi int) *Error {
	if v < lo || v > hi {
		return bad(path, "%d is outside %d–%d", v, lo, hi)
	}
	return nil
}

func percentRange(path string, v, hi float64) *Error {
	if v < 0 || v > hi {
		return bad(path, "%s is outside 0–%s", num(v), num(hi))
	}
	return nil
}

// Validate checks the policy and returns the first problem as an *Error
// naming its key path, or nil. Default() is valid.
func (p Policy) Validate() error {
	checks := []func() *Error{
		p.Company.validate, p.Charges.validate, p.Reminders.validate,
		p.ContactWindows.validate, p.Caps.validate, p.Installments.validate,
		p.Discounts.validate, p.Promises.validate, p.validateSmall, p.validatePix,
		p.WhatsApp.validate, p.Reports.validate,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c Company) validate() *Error {
	switch {
	case strings.TrimSpace(c.Name) == "":
		return bad("company.name", "required: the creditor is named in every collection message (CDC art. 42-A)")
	case c.Document != "" && !validDocument(c.Document):
		return bad("company.document", "%q is not a valid CNPJ or CPF", c.Document)
	case c.Email != "" && !validEmail(c.Email):
		return bad("company.email", "%q is not an e-mail address", c.Email)
	case c.Website != "" && !strings.HasPrefix(c.Website, "https://") && !strings.HasPrefix(c.Website, "http://"):
		return bad("company.website", "%q must start with https://", c.Website)
	case c.ContactPhone != "" && len(digits(c.ContactPhone)) < 8:
		return bad("company.contact_phone", "%q is not a phone number", c.ContactPhone)
	}
	return nil
}

func (c Charges) validate() *Error {
	if c.LateFeePercent < 0 {
		return bad("charges.late_fee_percent", "must not be negative")
	}
	if c.LateFeePercent > MaxLateFeePercent {
		return bad("charges.late_fee_percent", "%s exceeds the legal maximum of 2 (CDC art. 52 §1)", num(c.LateFeePercent))
	}
	if err := percentRange("charges.monthly_interest_percent", c.MonthlyInterestPercent, 10); err != nil {
		return err
	}
	return inRange("charges.grace_days", c.GraceDays, 0, 60)
}

func (r Reminders) validate() *Error {
	if err := inRange("reminders.time_barred_years", r.TimeBarredYears, 1, 10); err != nil {
		return err
	}
	switch r.FirstContact {
	case FirstContactDiscreet, FirstContactIdentity, FirstContactFull:
	default:
		return bad("reminders.first_contact", "%q is not discreet, identity or full", r.FirstContact)
	}
	limit := r.TimeBarredYears * 365
	if err := validateSteps("reminders.cadence", r.Cadence, limit); err != nil {
		return err
	}
	if err := validateEscalation("reminders.escalation", r.Escalation, r.Cadence); err != nil {
		return err
	}
	names := map[string]bool{}
	for i, s := range r.Segments {
		path := fmt.Sprintf("reminders.segments[%d]", i)
		switch {
		case strings.TrimSpace(s.Name) == "":
			return bad(path+".name", "required")
		case names[s.Name]:
			return bad(path+".name", "%q is used by an earlier segment", s.Name)
		case s.MinAmountCents < 0:
			return bad(path+".min_amount_cents", "must not be negative")
		case s.MaxAmountCents != 0 && s.MaxAmountCents <= s.MinAmountCents:
			return bad(path+".max_amount_cents", "must be above min_amount_cents (or 0 for no limit)")
		case len(s.Tags) == 0 && s.MinAmountCents == 0 && s.MaxAmountCents == 0:
			return bad(path, "matches every invoice: set tags, min_amount_cents or max_amount_cents")
		}
		names[s.Name] = true
		for j, tag := range s.Tags {
			if strings.TrimSpace(tag) == "" {
				return bad(fmt.Sprintf("%s.tags[%d]", path, j), "must not be empty")
			}
		}
		if err := validateSteps(path+".cadence", s.Cadence, limit); err != nil {
			return err
		}
		if s.Escalation != nil {
			if err := validateEscalation(path+".escalation", *s.Escalation, s.Cadence); err != nil {
				return err
			}
		} else if err := validateEscalation("reminders.escalation", r.Escalation, s.Cadence); err != nil {
			err.Path, err.Msg = path+".cadence", err.Msg+"; give the segment its own escalation"
			return err
		}
	}
	return nil
}

func validateSteps(path string, steps []Step, maxOffset int) *Error {
	for i, s := range steps {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case s.OffsetDays < -30 || s.OffsetDays >= maxOffset:
			return bad(p+".offset_days", "%d is outside -30 to %d (before the debt is time-barred)", s.OffsetDays, maxOffset-1)
		case i > 0 && s.OffsetDays <= steps[i-1].OffsetDays:
			return bad(p+".offset_days", "steps must be in increasing order")
		case !messageKey.MatchString(s.Message):
			return bad(p+".message", "%q is not a message key like reminder.overdue", s.Message)
		}
		switch s.Tone {
		case ToneFriendly, ToneFirm, ToneFormal, ToneFinal:
		default:
			return bad(p+".tone", "%q is not one of friendly, firm, formal, final", s.Tone)
		}
		if s.OffsetDays <= 0 && s.Tone != ToneFriendly {
			return bad(p+".tone", "a reminder on or before the due date must be friendly")
		}
	}
	return nil
}

func validateEscalation(path string, e Escalation, steps []Step) *Error {
	switch e.Action {
	case EscalateNone:
		return nil
	case EscalateAgent, EscalateExternal:
	default:
		return bad(path+".action", "%q is not one of agent, external, none", e.Action)
	}
	if e.OffsetDays < 1 {
		return bad(path+".offset_days", "must be after the due date (1 or more)")
	}
	if n := len(steps); n > 0 && e.OffsetDays <= steps[n-1].OffsetDays {
		return bad(path+".offset_days", "D+%d must come after the last step (D+%d)", e.OffsetDays, steps[n-1].OffsetDays)
	}
	return nil
}

func (w ContactWindows) validate() *Error {
	days := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	open := false
	for _, d := range days {
		path := "contact_windows." + strings.ToLower(d.String())
		spans, err := parseHours(w.hours(d))
		if err != nil {
			return bad(path, "%s", err.Error())
		}
		if len(spans) == 0 {
			continue
		}
		if d == time.Sunday {
			return bad(path, "collection on Sundays is not allowed")
		}
		if spans[0].from < EarliestContact || spans[len(spans)-1].to > LatestContact {
			return bad(path, "%q is outside 08:00–20:00, the widest hours consumer laws allow", w.hours(d))
		}
		open = true
	}
	if !open {
		return bad("contact_windows", "no day has contact hours")
	}
	for i, s := range w.Holidays.Extra {
		if _, _, _, err := parseExtraHoliday(s); err != nil {
			return bad(fmt.Sprintf("contact_windows.holidays.extra[%d]", i), "%s", err.Error())
		}
	}
	return nil
}

func (c Caps) validate() *Error {
	if c.PerDay < 1 || c.PerDay > MaxPerDay {
		return bad("caps.per_day", "%d is outside 1–%d: more proactive messages a day is harassment (CDC art. 42)", c.PerDay, MaxPerDay)
	}
	if c.PerWeek < c.PerDay || c.PerWeek > 7*c.PerDay {
		return bad("caps.per_week", "%d is outside caps.per_day (%d) to 7×caps.per_day (%d)", c.PerWeek, c.PerDay, 7*c.PerDay)
	}
	return nil
}

func (in Installments) validate() *Error {
	if err := inRange("installments.max_count", in.MaxCount, 2, 72); err != nil {
		return err
	}
	for i, n := range in.Offer {
		path := fmt.Sprintf("installments.offer[%d]", i)
		switch {
		case n < 2:
			return bad(path, "%d is not a plan: offer 2 installments or more", n)
		case n > in.MaxCount:
			return bad(path, "%d exceeds installments.max_count (%d)", n, in.MaxCount)
		case i > 0 && n <= in.Offer[i-1]:
			return bad(path, "counts must be in increasing order")
		}
	}
	if in.MinInstallmentCents < 0 {
		return bad("installments.min_installment_cents", "must not be negative")
	}
	if err := percentRange("installments.monthly_interest_percent", in.MonthlyInterestPercent, 10); err != nil {
		return err
	}
	return percentRange("installments.down_payment_percent", in.DownPaymentPercent, 90)
}

func (d Discounts) validate() *Error {
	if err := percentRange("discounts.max_percent", d.MaxPercent, 100); err != nil {
		return err
	}
	if d.Enabled && d.MaxPercent == 0 {
		return bad("discounts.max_percent", "must be above 0 when discounts are enabled")
	}
	return inRange("discounts.after_days", d.AfterDays, 0, 3650)
}

func (pr Promises) validate() *Error {
	if err := inRange("promises.max_days", pr.MaxDays, 1, 90); err != nil {
		return err
	}
	if err := inRange("promises.follow_up_days", pr.FollowUpDays, 1, 7); err != nil {
		return err
	}
	return inRange("promises.broken_before_escalation", pr.BrokenBeforeEscalation, 1, 10)
}

// validateSmall checks the one- and two-key groups.
func (p Policy) validateSmall() *Error {
	for _, c := range []*Error{
		inRange("extension.max_days", p.Extension.MaxDays, 1, 60),
		inRange("receipts.confirm_timeout_business_days", p.Receipts.ConfirmTimeoutBusinessDays, 1, 30),
		inRange("handoff.auto_release_idle_minutes", p.Handoff.AutoReleaseIdleMinutes, 0, 7*24*60),
		inRange("handoff.unknown_before_offer_human", p.Handoff.UnknownBeforeOfferHuman, 1, 10),
		inRange("retention_days", p.RetentionDays, 30, 36500),
		inRange("retention.operational_days", p.Retention.OperationalDays, 7, 3650),
	} {
		if c != nil {
			return c
		}
	}
	return nil
}

func (p Policy) validatePix() *Error {
	x := p.Pix
	if x.Key == "" {
		return nil
	}
	name := x.MerchantName
	if name == "" {
		name = p.Company.Name
	}
	switch {
	case !validPixKey(x.Key):
		return bad("pix.key", "%q is not a Pix key (CPF, CNPJ, +55 phone, e-mail or random key)", x.Key)
	case utf8.RuneCountInString(name) > 25 && x.MerchantName == "":
		return bad("pix.merchant_name", "required: company.name is longer than the 25 characters a Pix code allows")
	case utf8.RuneCountInString(name) > 25:
		return bad("pix.merchant_name", "%q is longer than 25 characters", name)
	case strings.TrimSpace(x.MerchantCity) == "":
		return bad("pix.merchant_city", "required with pix.key")
	case utf8.RuneCountInString(x.MerchantCity) > 15:
		return bad("pix.merchant_city", "%q is longer than 15 characters", x.MerchantCity)
	}
	return nil
}

func (w WhatsApp) validate() *Error {
	switch {
	case w.DailyCap < 1 || w.DailyCap > 5000:
		return bad("whatsapp.daily_cap", "%d is outside 1–5000", w.DailyCap)
	case w.WarmupDays < 0 || w.WarmupDays > 90:
		return bad("whatsapp.warmup_days", "%d is outside 0–90", w.WarmupDays)
	case w.WarmupDays > 0 && (w.WarmupStart < 1 || w.WarmupStart > w.DailyCap):
		return bad("whatsapp.warmup_start", "%d is outside 1 to whatsapp.daily_cap (%d)", w.WarmupStart, w.DailyCap)
	case w.MinDelay < time.Second:
		return bad("whatsapp.min_delay", "%s is under 1s: back-to-back sends get numbers banned", w.MinDelay)
	case w.MaxDelay < w.MinDelay:
		return bad("whatsapp.max_delay", "%s is below whatsapp.min_delay (%s)", w.MaxDelay, w.MinDelay)
	case w.MaxInboundAge < time.Minute:
		return bad("whatsapp.max_inbound_age", "%s is under 1m", w.MaxInboundAge)
	}
	for key, t := range w.Templates {
		if !templateName.MatchString(t.Name) {
			return bad("whatsapp.templates."+key+".name", "%q is not a template name (lower-case letters, digits and _)", t.Name)
		}
	}
	return nil
}

var templateName = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
