package web

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/webhooks"
)

// Outbound event deliveries (contract §4.2): support looks here to see why
// the billing system has not heard of something, and retries from here.

type deliveryAttemptJSON struct {
	Attempt    int    `json:"attempt"`
	At         string `json:"at"`
	StatusCode int    `json:"status_code"` // 0: no response (timeout, refused)
	Error      string `json:"error"`
	DurationMS int64  `json:"duration_ms"`
}

type deliveryJSON struct {
	ID            string  `json:"id"` // also the webhook-id the receiver saw
	Type          string  `json:"type"`
	Status        string  `json:"status"`
	Attempts      int     `json:"attempts"`
	LastError     string  `json:"last_error"`
	CreatedAt     string  `json:"created_at"`
	SentAt        *string `json:"sent_at"`
	NextAttemptAt *string `json:"next_attempt_at"` // set while pending
	// Payload and AttemptLog come with a single delivery, not in lists.
	Payload    json.RawMessage       `json:"payload,omitzero"`
	AttemptLog []deliveryAttemptJSON `json:"attempt_log,omitzero"`
}

func (s *server) toDeliveryJSON(d store.EventDelivery, detail bool) deliveryJSON {
	out := deliveryJSON{ID: d.ID, Type: d.EventType, Status: d.Status, Attempts: d.Attempts, LastError: d.LastError,
		CreatedAt: s.timeJSON(d.CreatedAt)}
	if d.SentAt != nil {
		at := s.timeJSON(*d.SentAt)
		out.SentAt = &at
	}
	if d.Status == bot.OutboxPending {
		at := s.timeJSON(d.NextAttemptAt)
		out.NextAttemptAt = &at
	}
	if !detail {
		return out
	}
	if json.Valid(d.Payload) {
		out.Payload = d.Payload
	}
	out.AttemptLog = make([]deliveryAttemptJSON, len(d.Log))
	for i, a := range d.Log {
		out.AttemptLog[i] = deliveryAttemptJSON{Attempt: a.Attempt, At: s.timeJSON(a.At), StatusCode: a.StatusCode,
			Error: a.Error, DurationMS: a.Duration.Milliseconds()}
	}
	return out
}

func (s *server) timeJSON(t time.Time) string { return t.In(s.Location).Format(time.RFC3339) }

var deliveryStatuses = []string{bot.OutboxPending, bot.OutboxSent, bot.OutboxFailed}

// eventTypePattern is the shape of an event type name, e.g. promise.created; a
// well-formed but unknown type simply matches nothing.
var eventTypePattern = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z][a-z_]*)+$`)

const maxDeliveryPage = 500

// deliveryFilter reads GET /v1/deliveries' query, naming the parameter at
// fault so a typo is not silently read as "no filter".
func deliveryFilter(c *fiber.Ctx) (store.EventDeliveryFilter, error) {
	f := store.EventDeliveryFilter{Status: c.Query("status"), Type: c.Query("type"), After: c.Query("after"), Limit: 100}
	if f.Status != "" && !slices.Contains(deliveryStatuses, f.Status) {
		return f, bot.Invalid("status", "must be one of %s", strings.Join(deliveryStatuses, ", "))
	}
	if f.Type != "" && !eventTypePattern.MatchString(f.Type) {
		return f, bot.Invalid("type", "must be an event type such as promise.created")
	}
	if len(f.After) > 100 {
		return f, bot.Invalid("after", "must be a delivery id from a previous page")
	}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxDeliveryPage {
			return f, bot.Invalid("limit", "must be a whole number from 1 to %d", maxDeliveryPage)
		}
		f.Limit = n
	}
	return f, nil
}

// listDeliveries serves GET /v1/deliveries?status=&type=&limit=&after=:
// events newest first. A full page carries next_after, the cursor for the
// next one. endpoint says whether delivery is disabled after a 410.
func (s *server) listDeliveries(c *fiber.Ctx) error {
	f, err := deliveryFilter(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ds, err := s.Store.EventDeliveries(ctx, f)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, len(ds))
	for i, d := range ds {
		out[i] = s.toDeliveryJSON(d, false)
	}
	endpoint := fiber.Map{"disabled": false}
	url, reason, since, err := s.Store.BillingEndpointDisabled(ctx)
	if err != nil {
		return err
	}
	if url != "" {
		// The URL itself is left out: it may carry a token.
		endpoint = fiber.Map{"disabled": true, "reason": reason, "since": s.timeJSON(since)}
	}
	resp := fiber.Map{"deliveries": out, "endpoint": endpoint}
	if len(ds) == f.Limit {
		resp["next_after"] = ds[len(ds)-1].ID
	}
	return c.JSON(resp)
}

// getDelivery serves GET /v1/deliveries/:id with the payload and every
// attempt.
func (s *server) getDelivery(c *fiber.Ctx) error {
	d, err := s.Store.EventDelivery(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(s.toDeliveryJSON(d, true))
}

// retryDelivery serves POST /v1/deliveries/:id/retry: the event is due
// again now (a sent one is re-sent under the same webhook-id), and a
// billing endpoint disabled by a 410 is re-enabled, because an operator
// retrying says the endpoint is back. 202: the dispatcher delivers it
// within its poll interval.
func (s *server) retryDelivery(c *fiber.Ctx) error {
	ctx := c.UserContext()
	d, err := s.Store.RetryDelivery(ctx, c.Params("id"), s.Clock.Now())
	if err != nil {
		return err
	}
	reenabled, err := s.Store.EnableBillingEndpoint(ctx)
	if err != nil {
		return err
	}
	if reenabled {
		s.log.Info("billing endpoint re-enabled by a delivery retry", "delivery_id", d.ID)
	}
	return c.Status(fiber.StatusAccepted).JSON(s.toDeliveryJSON(d, true))
}

// DeliveryMetrics are the outbound webhook collectors. They implement
// webhooks.DeliveryObserver, so the dispatcher reports without importing
// Prometheus. Queue depth is quita_outbox_items{kind="event"}.
type DeliveryMetrics struct {
	deliveries *prometheus.CounterVec
	latency    prometheus.Histogram
	disabled   prometheus.Gauge
}

var _ webhooks.DeliveryObserver = (*DeliveryMetrics)(nil)

// NewDeliveryMetrics creates the collectors and registers them on reg
// (nil: not registered, for tests).
func NewDeliveryMetrics(reg *prometheus.Registry) *DeliveryMetrics {
	m := &DeliveryMetrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "quita_webhook_deliveries_total",
			Help: "Outbound event delivery outcomes by event type and result (delivered, retry, rejected, expired)."},
			[]string{"type", "result"}),
		// From the event's creation to its delivery, retries included: the
		// lag the billing system sees. Buckets run from 0.1 s to about 29 h.
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "quita_webhook_delivery_seconds",
			Help:    "Time from an event's creation to its successful delivery.",
			Buckets: prometheus.ExponentialBuckets(0.1, 4, 11)}),
		disabled: prometheus.NewGauge(prometheus.GaugeOpts{Name: "quita_webhook_endpoint_disabled",
			Help: "1 while the billing webhook endpoint is disabled after answering 410 Gone."}),
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.latency, m.disabled)
	}
	return m
}

// Delivered implements webhooks.DeliveryObserver.
func (m *DeliveryMetrics) Delivered(eventType string, latency time.Duration) {
	m.deliveries.WithLabelValues(eventType, "delivered").Inc()
	m.latency.Observe(latency.Seconds())
}

// Retrying implements webhooks.DeliveryObserver.
func (m *DeliveryMetrics) Retrying(eventType string) {
	m.deliveries.WithLabelValues(eventType, "retry").Inc()
}

// Failed implements webhooks.DeliveryObserver; reason is
// webhooks.FailRejected or FailExpired.
func (m *DeliveryMetrics) Failed(eventType, reason string) {
	m.deliveries.WithLabelValues(eventType, reason).Inc()
}

// EndpointDisabled implements webhooks.DeliveryObserver.
func (m *DeliveryMetrics) EndpointDisabled(string) { m.disabled.Set(1) }

// EndpointEnabled implements webhooks.DeliveryObserver.
func (m *DeliveryMetrics) EndpointEnabled() { m.disabled.Set(0) }
