package web

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/quitabot/quita/bot"
)

// Metrics are the service's Prometheus collectors. They implement
// engine.Observer so the engine reports messages without importing
// Prometheus.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inbound  *prometheus.CounterVec
	outbound *prometheus.CounterVec
	// recovered and promises are the report's running totals (README
	// "Reports"): counted as billing payments arrive, since process start.
	recovered prometheus.Counter
	promises  *prometheus.CounterVec
}

// Gauges are values read at scrape time.
type Gauges struct {
	OutboxCounts func(ctx context.Context) (map[[2]string]int64, error)
}

// NewMetrics registers the collectors; nil gauges are left out.
func NewMetrics(g *Gauges) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quita_http_requests_total",
			Help: "HTTP requests by method, route and status."}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "quita_http_request_duration_seconds",
			Help: "HTTP request latency by route.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"route"}),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quita_messages_inbound_total",
			Help: "Inbound debtor messages processed, by transport and intent."}, []string{"transport", "intent"}),
		outbound: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quita_messages_outbound_total",
			Help: "Outbound message send attempts, by transport and result (sent, retry, failed)."}, []string{"transport", "result"}),
		recovered: prometheus.NewCounter(prometheus.CounterOpts{Name: "quita_recovered_cents_total",
			Help: "Cents paid (invoice.paid) on invoices Quita had reminded or talked about before the payment."}),
		promises: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quita_promises_total",
			Help: "Promises to pay settled by a billing payment, by outcome: kept (paid on or before the promised day) or late."}, []string{"outcome"}),
	}
	reg.MustRegister(m.requests, m.latency, m.inbound, m.outbound, m.recovered, m.promises,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if g != nil && g.OutboxCounts != nil {
		reg.MustRegister(&outboxCollector{counts: g.OutboxCounts})
	}
	return m
}

// Request records one HTTP request.
func (m *Metrics) Request(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// Payment adds one billing payment to the running totals: its cents when
// they count as recovered, and the outcome of the promise it settles ("kept",
// "late"; "" when there was none).
func (m *Metrics) Payment(recoveredCents int64, promise string) {
	if recoveredCents > 0 {
		m.recovered.Add(float64(recoveredCents))
	}
	if promise != "" {
		m.promises.WithLabelValues(promise).Inc()
	}
}

// Inbound implements engine.Observer.
func (m *Metrics) Inbound(transport string, intent bot.Intent, duplicate bool) {
	if !duplicate {
		m.inbound.WithLabelValues(transport, string(intent)).Inc()
	}
}

// Outbound implements engine.Observer.
func (m *Metrics) Outbound(transport, result string) {
	m.outbound.WithLabelValues(transport, result).Inc()
}

// outboxCollector reports outbox depth by kind and status at scrape time.
type outboxCollector struct {
	counts func(ctx context.Context) (map[[2]string]int64, error)
}

var outboxDesc = prometheus.NewDesc("quita_outbox_items", "Outbox items by kind and status.", []string{"kind", "status"}, nil)

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- outboxDesc }

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := o.counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxDesc, err)
		return
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}

// RegisterActive adds the gauge of conversations with a live actor.
func (m *Metrics) RegisterActive(active func() int) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "quita_active_conversations",
		Help: "Conversations with a live actor in this instance."}, func() float64 { return float64(active()) }))
}
