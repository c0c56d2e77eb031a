package web

import (
	"bytes"
	"encoding/csv"
	"sort"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store"
)

// GET /v1/reports/collections: what collection achieved in a period. The
// counting rules are the store's (store/reports.go) and the README's
// "Reports"; this file parses the period, prices the messages, computes
// the ratios and writes JSON or CSV.

type reportInvoicesJSON struct {
	Open         int64 `json:"open"`
	OpenCents    int64 `json:"open_cents"`
	Overdue      int64 `json:"overdue"`
	OverdueCents int64 `json:"overdue_cents"`
	Paid         int64 `json:"paid"`
	PaidCents    int64 `json:"paid_cents"`
	Cancelled    int64 `json:"cancelled"`
}

type reportConversationsJSON struct {
	Started   int64 `json:"started"`
	Replied   int64 `json:"replied"`
	WithAgent int64 `json:"with_agent"`
	Resolved  int64 `json:"resolved"`
}

type reportRemindersJSON struct {
	Sent         int64 `json:"sent"`
	RepliedIn48h int64 `json:"replied_within_48h"`
	PaidWithin7d int64 `json:"paid_within_7d"`
}

type reportStepJSON struct {
	Step         string `json:"step"`
	Sent         int64  `json:"sent"`
	RepliedIn48h int64  `json:"replied_within_48h"`
	PaidWithin7d int64  `json:"paid_within_7d"`
}

type reportVariantJSON struct {
	Step         string     `json:"step"`
	Variant      string     `json:"variant"`
	Sent         int64      `json:"sent"`
	PaidWithin7d int64      `json:"paid_within_7d"`
	Rate         float64    `json:"rate"`
	CI95         [2]float64 `json:"ci95"`
}

type reportPromisesJSON struct {
	Made    int64 `json:"made"`
	Kept    int64 `json:"kept"`
	Broken  int64 `json:"broken"`
	Pending int64 `json:"pending"`
}

type reportPlansJSON struct {
	Accepted   int64 `json:"accepted"`
	TotalCents int64 `json:"total_cents"`
}

type reportAgingJSON struct {
	Bucket string `json:"bucket"`
	Count  int64  `json:"count"`
	Cents  int64  `json:"cents"`
}

type reportSatisfactionJSON struct {
	Answers int64   `json:"answers"`
	Average float64 `json:"average"`
}

type reportKPIsJSON struct {
	RecoveryRate         float64                `json:"recovery_rate"`
	AvgDaysToPay         float64                `json:"avg_days_to_pay"`
	DefaultRate          float64                `json:"default_rate"`
	Aging                []reportAgingJSON      `json:"aging"`
	MessagesSent         int64                  `json:"messages_sent"`
	CostCents            int64                  `json:"cost_cents"`
	CostPerRecoveredReal float64                `json:"cost_per_recovered_real"`
	Satisfaction         reportSatisfactionJSON `json:"satisfaction"`
}

type reportJSON struct {
	From           string                  `json:"from"`
	To             string                  `json:"to"`
	Invoices       reportInvoicesJSON      `json:"invoices"`
	RecoveredCents int64                   `json:"recovered_cents"`
	Conversations  reportConversationsJSON `json:"conversations"`
	Reminders      reportRemindersJSON     `json:"reminders"`
	ByStep         []reportStepJSON        `json:"by_step"`
	ByVariant      []reportVariantJSON     `json:"by_variant"`
	Promises       reportPromisesJSON      `json:"promises"`
	Plans          reportPlansJSON         `json:"plans"`
	OptOuts        int64                   `json:"opt_outs"`
	WrongNumbers   int64                   `json:"wrong_numbers"`
	Disputes       int64                   `json:"disputes"`
	Handoffs       int64                   `json:"handoffs"`
	Intents        map[string]int64        `json:"intents"`
	KPIs           reportKPIsJSON          `json:"kpis"`
}

// defaultReportDays is the period when from and to are absent: the last
// 30 days, today included.
const defaultReportDays = 30

// collectionReport answers GET /v1/reports/collections.
func (s *server) collectionReport(c *fiber.Ctx) error {
	format := c.Query("format", "json")
	if format != "json" && format != "csv" {
		return bot.Invalid("format", "%q is not json or csv", format)
	}
	today := policy.DateOf(s.Clock.Now().In(s.Location))
	to, err := reportDate(c.Query("to"), "to", today)
	if err != nil {
		return err
	}
	from, err := reportDate(c.Query("from"), "from", to.AddDays(1-defaultReportDays))
	if err != nil {
		return err
	}
	if from.After(to) {
		return bot.Invalid("from", "%s is after to (%s)", from, to)
	}
	last := 0
	for _, step := range s.Policy.Reminders.Cadence {
		last = max(last, step.OffsetDays)
	}
	r, err := s.Store.CollectionReport(c.UserContext(), store.ReportQuery{From: from, To: to, Location: s.Location,
		Today: today, DefaultAfterDays: last + 30})
	if err != nil {
		return err
	}
	out := toReportJSON(from, to, r, s.Policy.Reports)
	if format == "csv" {
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="collections-`+from.String()+`-`+to.String()+`.csv"`)
		return c.Send(reportCSV(out))
	}
	return c.JSON(out)
}

// reportDate parses a YYYY-MM-DD query value, or returns def when empty.
func reportDate(v, field string, def policy.Date) (policy.Date, error) {
	if v == "" {
		return def, nil
	}
	d, err := policy.ParseDate(v)
	if err != nil {
		return policy.Date{}, bot.Invalid(field, "%q is not a date like 2026-12-31", v)
	}
	return d, nil
}

// toReportJSON shapes the store's counts and computes the KPIs.
func toReportJSON(from, to policy.Date, r store.CollectionReport, prices policy.Reports) reportJSON {
	out := reportJSON{From: from.String(), To: to.String(),
		Invoices: reportInvoicesJSON{Open: r.Open, OpenCents: r.OpenCents, Overdue: r.Overdue, OverdueCents: r.OverdueCents,
			Paid: r.Paid, PaidCents: r.PaidCents, Cancelled: r.Cancelled},
		RecoveredCents: r.RecoveredCents,
		Conversations:  reportConversationsJSON{Started: r.Started, Replied: r.Replied, WithAgent: r.WithAgent, Resolved: r.Resolved},
		Reminders:      reportRemindersJSON{Sent: r.Reminders.Sent, RepliedIn48h: r.Reminders.RepliedIn48h, PaidWithin7d: r.Reminders.PaidWithin7d},
		ByStep:         []reportStepJSON{},
		ByVariant:      []reportVariantJSON{},
		Promises:       reportPromisesJSON{Made: r.PromisesMade, Kept: r.PromisesKept, Broken: r.PromisesBroken, Pending: r.PromisesPending},
		Plans:          reportPlansJSON{Accepted: r.PlansAccepted, TotalCents: r.PlansTotalCents},
		OptOuts:        r.OptOuts, WrongNumbers: r.WrongNumbers, Disputes: r.Disputes, Handoffs: r.Handoffs,
		Intents: map[string]int64{"already_paid": r.AlreadyPaid},
	}
	for _, st := range r.ByStep {
		out.ByStep = append(out.ByStep, reportStepJSON{Step: st.Step, Sent: st.Sent, RepliedIn48h: st.RepliedIn48h, PaidWithin7d: st.PaidWithin7d})
	}
	k := &out.KPIs
	k.RecoveryRate = ratio(r.OverdueRecovered, r.OverdueContacted)
	k.AvgDaysToPay = ratio(r.DaysLateSum, r.Paid)
	k.DefaultRate = ratio(r.Defaulted, r.DefaultCohort)
	for _, b := range r.Aging {
		k.Aging = append(k.Aging, reportAgingJSON(b))
	}
	k.MessagesSent = r.Reminders.Sent
	for transport, n := range r.Reminders.MessagesByMean {
		k.CostCents += n * prices.MessageCost(transport)
	}
	k.CostPerRecoveredReal = ratio(k.CostCents, r.RecoveredCents)
	return out
}

// ratio is n/d rounded to 4 decimals, 0 when d is 0.
func ratio(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(n)/float64(d), 'f', 4, 64), 64)
	return v
}

// reportCSV writes the report one figure a row: metric, step, variant,
// value. Step and variant are set only on by_step and by_variant rows;
// aging buckets are part of the metric's name.
func reportCSV(r reportJSON) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	row := func(metric, step, variant, value string) { _ = w.Write([]string{metric, step, variant, value}) }
	row("metric", "step", "variant", "value")
	row("from", "", "", r.From)
	row("to", "", "", r.To)
	for _, m := range []struct {
		name string
		v    int64
	}{
		{"invoices.open", r.Invoices.Open}, {"invoices.open_cents", r.Invoices.OpenCents},
		{"invoices.overdue", r.Invoices.Overdue}, {"invoices.overdue_cents", r.Invoices.OverdueCents},
		{"invoices.paid", r.Invoices.Paid}, {"invoices.paid_cents", r.Invoices.PaidCents},
		{"invoices.cancelled", r.Invoices.Cancelled}, {"recovered_cents", r.RecoveredCents},
		{"conversations.started", r.Conversations.Started}, {"conversations.replied", r.Conversations.Replied},
		{"conversations.with_agent", r.Conversations.WithAgent}, {"conversations.resolved", r.Conversations.Resolved},
		{"reminders.sent", r.Reminders.Sent}, {"reminders.replied_within_48h", r.Reminders.RepliedIn48h},
		{"reminders.paid_within_7d", r.Reminders.PaidWithin7d},
		{"promises.made", r.Promises.Made}, {"promises.kept", r.Promises.Kept},
		{"promises.broken", r.Promises.Broken}, {"promises.pending", r.Promises.Pending},
		{"plans.accepted", r.Plans.Accepted}, {"plans.total_cents", r.Plans.TotalCents},
		{"opt_outs", r.OptOuts}, {"wrong_numbers", r.WrongNumbers}, {"disputes", r.Disputes}, {"handoffs", r.Handoffs},
	} {
		row(m.name, "", "", i(m.v))
	}
	intents := make([]string, 0, len(r.Intents))
	for name := range r.Intents {
		intents = append(intents, name)
	}
	sort.Strings(intents)
	for _, name := range intents {
		row("intents."+name, "", "", i(r.Intents[name]))
	}
	for _, st := range r.ByStep {
		row("by_step.sent", st.Step, "", i(st.Sent))
		row("by_step.replied_within_48h", st.Step, "", i(st.RepliedIn48h))
		row("by_step.paid_within_7d", st.Step, "", i(st.PaidWithin7d))
	}
	for _, v := range r.ByVariant {
		row("by_variant.sent", v.Step, v.Variant, i(v.Sent))
		row("by_variant.paid_within_7d", v.Step, v.Variant, i(v.PaidWithin7d))
		row("by_variant.rate", v.Step, v.Variant, f(v.Rate))
		row("by_variant.ci95_low", v.Step, v.Variant, f(v.CI95[0]))
		row("by_variant.ci95_high", v.Step, v.Variant, f(v.CI95[1]))
	}
	k := r.KPIs
	row("kpis.recovery_rate", "", "", f(k.RecoveryRate))
	row("kpis.avg_days_to_pay", "", "", f(k.AvgDaysToPay))
	row("kpis.default_rate", "", "", f(k.DefaultRate))
	for _, b := range k.Aging {
		row("kpis.aging."+b.Bucket+".count", "", "", i(b.Count))
		row("kpis.aging."+b.Bucket+".cents", "", "", i(b.Cents))
	}
	row("kpis.messages_sent", "", "", i(k.MessagesSent))
	row("kpis.cost_cents", "", "", i(k.CostCents))
	row("kpis.cost_per_recovered_real", "", "", f(k.CostPerRecoveredReal))
	row("kpis.satisfaction.answers", "", "", i(k.Satisfaction.Answers))
	row("kpis.satisfaction.average", "", "", f(k.Satisfaction.Average))
	w.Flush()
	return buf.Bytes()
}
