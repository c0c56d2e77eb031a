package web

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quitabot/quita/bot/retention"
)

// RetentionMetrics are the retention job's Prometheus collectors: rows
// erased (personal data of idle customers) and pruned (operational
// records, sessions) per kind, and runs by result.
type RetentionMetrics struct {
	erased, pruned *prometheus.CounterVec
	runs           prometheus.Counter
}

// NewRetentionMetrics registers the collectors with reg (nil registers
// nothing, for tests).
func NewRetentionMetrics(reg prometheus.Registerer) *RetentionMetrics {
	m := &RetentionMetrics{
		erased: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quita_retention_erased_rows_total",
			Help: "Rows erased by the retention job, by kind (customers, conversations, transcript_entries, media, inbox, outbox, sim_messages)."},
			[]string{"kind"}),
		pruned: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quita_retention_pruned_rows_total",
			Help: "Rows pruned by the retention job, by kind (outbox, inbox, sim_messages, webhooks_received, sessions)."},
			[]string{"kind"}),
		runs: prometheus.NewCounter(prometheus.CounterOpts{Name: "quita_retention_runs_total",
			Help: "Retention job runs (failures are logged)."}),
	}
	if reg != nil {
		reg.MustRegister(m.erased, m.pruned, m.runs)
	}
	return m
}

// Observe records one run's report; it is retention.Config.Observe.
func (m *RetentionMetrics) Observe(r retention.Report) {
	for kind, n := range r.Erased {
		m.erased.WithLabelValues(kind).Add(float64(n))
	}
	for kind, n := range r.Pruned {
		m.pruned.WithLabelValues(kind).Add(float64(n))
	}
	m.runs.Inc()
}
