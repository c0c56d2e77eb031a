package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quitabot/quita/bot"
)

// DeliveryAttempt is one POST of an outbound event to the billing webhook.
type DeliveryAttempt struct {
	OutboxID   string
	Attempt    int // 1 for the first POST of the event, counting re-sends
	At         time.Time
	StatusCode int    // 0 when no response arrived
	Error      string // empty for a 2xx
	Duration   time.Duration
}

type deliveryAttemptRow struct {
	OutboxID   string `gorm:"primaryKey"`
	Attempt    int    `gorm:"primaryKey"`
	At         time.Time
	StatusCode int
	Error      string
	DurationMS int64 `gorm:"column:duration_ms"`
}

func (deliveryAttemptRow) TableName() string { return "delivery_attempts" }

func (r deliveryAttemptRow) toDomain() DeliveryAttempt {
	return DeliveryAttempt{OutboxID: r.OutboxID, Attempt: r.Attempt, At: r.At, StatusCode: r.StatusCode,
		Error: r.Error, Duration: time.Duration(r.DurationMS) * time.Millisecond}
}

// EventDelivery is an outbound event as support sees it: the outbox item
// (status, attempt count, last error) and, from EventDelivery and
// RetryDelivery, its attempt history oldest first.
type EventDelivery struct {
	bot.OutboxItem
	Log []DeliveryAttempt
}

// EventDeliveryFilter narrows EventDeliveries; empty fields match all.
type EventDeliveryFilter struct {
	Status string // bot.OutboxPending, OutboxSent or OutboxFailed
	Type   string // event type, e.g. "promise.created"
	// After continues a listing: only events listed after this id (older
	// ones, as the listing is newest first) are returned.
	After string
	Limit int // 1..500; anything else means 100
}

// RecordDeliveryAttempt appends an attempt to an event's history and
// returns its number. The number is computed in the insert rather than
// taken from the outbox counter, so an attempt whose outcome was never
// recorded (a crash between POST and update) still gets its own number.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, outboxID string, at time.Time, statusCode int, errText string, took time.Duration) (int, error) {
	var n int
	var err error
	// Two holders of one event only happen after a lease expired; the loser
	// of that race on the primary key simply takes the next number.
	for range 3 {
		err = s.Gorm.WithContext(ctx).Raw(`INSERT INTO delivery_attempts (outbox_id, attempt, at, status_code, error, duration_ms)
			SELECT ?, COALESCE(MAX(attempt), 0) + 1, ?, ?, ?, ? FROM delivery_attempts WHERE outbox_id = ?
			RETURNING attempt`, outboxID, at.UTC(), statusCode, errText, took.Milliseconds(), outboxID).Scan(&n).Error
		if err == nil || !isUniqueViolation(err) {
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("store: record delivery attempt %s: %w", outboxID, err)
	}
	return n, nil
}

// EventDeliveries lists outbound events newest first (ids sort by creation
// time), without their attempt history.
func (s *Store) EventDeliveries(ctx context.Context, f EventDeliveryFilter) ([]EventDelivery, error) {
	// The literal (bot.OutboxEvent) matches the partial index outbox_event_id
	// in any plan; a parameter would not.
	q := s.Gorm.WithContext(ctx).Where("kind = 'event'").Order("id DESC")
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Type != "" {
		q = q.Where("event_type = ?", f.Type)
	}
	if f.After != "" {
		q = q.Where("id < ?", f.After)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var rows []outboxRow
	if err := q.Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list event deliveries: %w", err)
	}
	out := make([]EventDelivery, len(rows))
	for i, r := range rows {
		out[i] = EventDelivery{OutboxItem: r.toDomain()}
	}
	return out, nil
}

// EventDelivery returns one outbound event with its attempt history. An
// id of another outbox kind is not found: messages are not deliveries.
func (s *Store) EventDelivery(ctx context.Context, id string) (EventDelivery, error) {
	db := s.Gorm.WithContext(ctx)
	var row outboxRow
	if err := db.Where("id = ? AND kind = ?", id, bot.OutboxEvent).Take(&row).Error; err != nil {
		return EventDelivery{}, notFound(err, "delivery %s", id)
	}
	var rows []deliveryAttemptRow
	if err := db.Where("outbox_id = ?", id).Order("attempt").Find(&rows).Error; err != nil {
		return EventDelivery{}, fmt.Errorf("store: delivery attempts %s: %w", id, err)
	}
	d := EventDelivery{OutboxItem: row.toDomain(), Log: make([]DeliveryAttempt, len(rows))}
	for i, r := range rows {
		d.Log[i] = r.toDomain()
	}
	return d, nil
}

// RetryDelivery makes an event due at now again: a failed one is retried,
// a sent one is re-sent (same webhook-id, so the receiver can tell), a
// pending one stops waiting for its backoff. A claim in progress is left
// alone so the event is not posted twice at once; its holder's outcome
// then decides. The retry window still counts from the event's creation,
// so an event older than it gets this one attempt.
func (s *Store) RetryDelivery(ctx context.Context, id string, now time.Time) (EventDelivery, error) {
	res := s.Gorm.WithContext(ctx).Model(&outboxRow{}).Where("id = ? AND kind = ?", id, bot.OutboxEvent).
		Updates(map[string]any{"status": bot.OutboxPending, "next_attempt_at": now.UTC(), "sent_at": nil})
	if res.Error != nil {
		return EventDelivery{}, fmt.Errorf("store: retry delivery %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return EventDelivery{}, bot.Errorf(bot.CodeNotFound, "delivery %s not found", id)
	}
	return s.EventDelivery(ctx, id)
}

// ReleaseOutbox drops the leases on pending items a claimer will not
// attempt after all (the endpoint went away mid-batch, or it is shutting
// down), so they are due again at once instead of when the lease expires.
// It does not count an attempt.
func (s *Store) ReleaseOutbox(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.Gorm.WithContext(ctx).Model(&outboxRow{}).Where("id IN ? AND status = ?", ids, bot.OutboxPending).
		Update("claimed_until", nil).Error
	if err != nil {
		return fmt.Errorf("store: release outbox: %w", err)
	}
	return nil
}

// billingEndpointKey is the settings row that exists while the billing
// webhook endpoint is disabled.
const billingEndpointKey = "billing_endpoint_disabled"

type disabledEndpoint struct {
	URL    string    `json:"url"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// DisableBillingEndpoint records that the endpoint at url asked not to be
// called again (HTTP 410). It reports whether this call disabled it, so
// of several instances hitting the same 410 only one logs and alerts. A
// record for another URL is replaced: the operator has configured a new
// endpoint since, and it is this one that is gone.
func (s *Store) DisableBillingEndpoint(ctx context.Context, url, reason string, at time.Time) (bool, error) {
	value, err := json.Marshal(disabledEndpoint{URL: url, Reason: reason, At: at.UTC()})
	if err != nil {
		return false, err
	}
	db := s.Gorm.WithContext(ctx)
	res := db.Exec("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
		billingEndpointKey, string(value), at.UTC())
	if res.Error != nil {
		return false, fmt.Errorf("store: disable billing endpoint: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	old, err := s.Setting(ctx, billingEndpointKey)
	if err != nil {
		return false, err
	}
	var prev disabledEndpoint
	if json.Unmarshal([]byte(old), &prev) == nil && prev.URL == url {
		return false, nil
	}
	// Compare-and-set on the old value, so two instances replacing a stale
	// record agree on which of them did it.
	res = db.Exec("UPDATE settings SET value = ?, updated_at = ? WHERE key = ? AND value = ?",
		string(value), at.UTC(), billingEndpointKey, old)
	if res.Error != nil {
		return false, fmt.Errorf("store: disable billing endpoint: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// BillingEndpointDisabled returns the disabled endpoint's URL, the reason
// and when it was disabled; url is empty while delivery is enabled.
func (s *Store) BillingEndpointDisabled(ctx context.Context) (url, reason string, since time.Time, err error) {
	value, err := s.Setting(ctx, billingEndpointKey)
	if err != nil || value == "" {
		return "", "", time.Time{}, err
	}
	var d disabledEndpoint
	if err := json.Unmarshal([]byte(value), &d); err != nil {
		return "", "", time.Time{}, fmt.Errorf("store: setting %s: %w", billingEndpointKey, err)
	}
	return d.URL, d.Reason, d.At, nil
}

// EnableBillingEndpoint lifts a disable and reports whether there was one.
// Events kept pending meanwhile are then delivered; none were dropped.
func (s *Store) EnableBillingEndpoint(ctx context.Context) (bool, error) {
	res := s.Gorm.WithContext(ctx).Exec("DELETE FROM settings WHERE key = ?", billingEndpointKey)
	if res.Error != nil {
		return false, fmt.Errorf("store: enable billing endpoint: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}
