package web

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quitabot/quita/bot/reminders"
)

// ReminderMetrics are the reminder scheduler's Prometheus collectors. They
// implement reminders.Observer, so bot/reminders reports without importing
// Prometheus. Counts are in reminder items (one invoice's step, follow-up
// or escalation), messages apart: several invoices share one message.
//
// Deferred and suppressed items are planned again on the next pass, so an
// item held all day (a cap, a pause) is counted in every pass: read them as
// rates of held work, not as numbers of distinct invoices.
type ReminderMetrics struct {
	due, sent, messages prometheus.Counter
	deferred            *prometheus.CounterVec
	suppressed          *prometheus.CounterVec
	passes              *prometheus.CounterVec
	duration            prometheus.Histogram
}

// NewReminderMetrics registers the collectors with reg (nil registers
// nothing, for tests).
func NewReminderMetrics(reg prometheus.Registerer) *ReminderMetrics {
	m := &ReminderMetrics{
		due: prometheus.NewCounter(prometheus.CounterOpts{Name: "quita_reminders_due_total",
			Help: "Reminder items found due by passes (steps, promise follow-ups, escalations)."}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{Name: "quita_reminders_sent_total",
			Help: "Reminder items done: queued for sending (with their message) or escalated."}),
		messages: prometheus.NewCounter(prometheus.CounterOpts{Name: "quita_reminder_messages_total",
			Help: "Proactive reminder messages queued; one per debtor however many invoices it lists."}),
		deferred: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quita_reminders_deferred_total",
			Help: "Reminder items due but left for a later pass, by reason: window (outside contact hours), cap (the debtor's daily or weekly limit), busy."},
			[]string{"reason"}),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quita_reminders_suppressed_total",
			Help: "Reminder items not sent, by reason: a pause (disputed, claimed, promised), time_barred, or the conversation (opted_out, wrong_number, with_agent), duplicate, raced, no_message, error (a turn that could not be built; logged)."},
			[]string{"reason"}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quita_reminder_passes_total",
			Help: "Reminder passes by result (ok, error)."}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "quita_reminder_pass_seconds",
			Help: "Duration of reminder passes.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 10)}),
	}
	if reg != nil {
		reg.MustRegister(m.due, m.sent, m.messages, m.deferred, m.suppressed, m.passes, m.duration)
	}
	return m
}

// Counted implements reminders.Observer: the counts of one batch of a pass.
func (m *ReminderMetrics) Counted(r reminders.Report) {
	m.due.Add(float64(r.Due))
	m.sent.Add(float64(r.Sent))
	m.messages.Add(float64(r.Messages))
	for reason, n := range r.Deferred {
		m.deferred.WithLabelValues(reason).Add(float64(n))
	}
	for reason, n := range r.Suppressed {
		m.suppressed.WithLabelValues(reason).Add(float64(n))
	}
}

// Pass implements reminders.Observer: one pass finished.
func (m *ReminderMetrics) Pass(d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.passes.WithLabelValues(result).Inc()
	m.duration.Observe(d.Seconds())
}
