package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

var deliveriesT0 = time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)

// deliveriesApp registers the delivery handlers on a bare app with the
// service's error handler, as routes() will.
func deliveriesApp(t *testing.T) (*fiber.App, *store.Store, *clock.Manual) {
	st := storetest.OpenSQLite(t)
	clk := clock.NewManual(deliveriesT0)
	s := &server{Deps: Deps{Store: st, Clock: clk, Location: time.UTC}, log: slog.New(slog.DiscardHandler)}
	app := fiber.New(fiber.Config{ErrorHandler: s.errorHandler})
	app.Get("/v1/deliveries", s.listDeliveries)
	app.Get("/v1/deliveries/:id", s.getDelivery)
	app.Post("/v1/deliveries/:id/retry", s.retryDelivery)
	return app, st, clk
}

// commitDeliveryEvents writes events in one conversation turn, as the
// engine does.
func commitDeliveryEvents(t *testing.T, st *store.Store, types ...string) {
	conv := bot.Conversation{ID: "cnv_1", Phone: "+5511988887777", Transport: "sim", Status: bot.StatusOpen,
		State: "start", CreatedAt: deliveriesT0, UpdatedAt: deliveriesT0}
	var items []bot.OutboxItem
	for i, typ := range types {
		items = append(items, bot.OutboxItem{ID: "evt_" + string(rune('a'+i)), Kind: bot.OutboxEvent, ConversationID: conv.ID,
			EventType: typ, Payload: []byte(`{"type":"` + typ + `","data":{}}`), NextAttemptAt: deliveriesT0, CreatedAt: deliveriesT0})
	}
	if _, err := st.CommitTurn(context.Background(), bot.Turn{Conversation: conv, IsNew: true, Outbox: items}); err != nil {
		t.Fatal(err)
	}
}

func call(t *testing.T, app *fiber.App, method, path string, out any) int {
	t.Helper()
	resp, err := app.Test(httptest.NewRequest(method, path, nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s %s: not JSON: %s", method, path, body)
	}
	return resp.StatusCode
}

func TestListDeliveriesValidatesItsQuery(t *testing.T) {
	app, _, _ := deliveriesApp(t)
	for query, field := range map[string]string{
		"status=delivered": "status", "type=Promise": "type", "limit=0": "limit", "limit=501": "limit",
		"limit=ten": "limit", "after=" + strings.Repeat("x", 101): "after",
	} {
		var got errorBody
		if code := call(t, app, "GET", "/v1/deliveries?"+query, &got); code != 422 || got.Error.Field != field || got.Error.Code != "invalid" {
			t.Errorf("%s: %d %+v, want 422 naming %s", query, code, got.Error, field)
		}
	}
}

func TestListDeliveries(t *testing.T) {
	app, st, _ := deliveriesApp(t)
	ctx := context.Background()
	commitDeliveryEvents(t, st, "promise.created", "payment.claimed", "promise.created")
	if _, err := st.RecordDeliveryAttempt(ctx, "evt_a", deliveriesT0, 400, "HTTP 400 Bad Request", 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkOutboxFailed(ctx, "evt_a", "HTTP 400 Bad Request", deliveriesT0); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Deliveries []map[string]any
		Endpoint   map[string]any
		NextAfter  string `json:"next_after"`
	}
	if code := call(t, app, "GET", "/v1/deliveries?type=promise.created&limit=2", &got); code != 200 || len(got.Deliveries) != 2 {
		t.Fatalf("list: %d %+v", code, got)
	}
	first, failed := got.Deliveries[0], got.Deliveries[1]
	if first["id"] != "evt_c" || first["status"] != "pending" || first["next_attempt_at"] != "2026-11-23T13:00:00Z" || first["sent_at"] != nil {
		t.Fatalf("pending delivery: %v", first)
	}
	if failed["id"] != "evt_a" || failed["status"] != "failed" || failed["attempts"] != 1.0 || failed["last_error"] != "HTTP 400 Bad Request" ||
		failed["next_attempt_at"] != nil || failed["attempt_log"] != nil || failed["type"] != "promise.created" {
		t.Fatalf("failed delivery: %v", failed)
	}
	if got.NextAfter != "evt_a" || got.Endpoint["disabled"] != false {
		t.Fatalf("next_after %q, endpoint %v", got.NextAfter, got.Endpoint)
	}
}

func TestRetryDeliveryReenablesTheEndpoint(t *testing.T) {
	app, st, clk := deliveriesApp(t)
	ctx := context.Background()
	commitDeliveryEvents(t, st, "dispute.opened")
	if _, err := st.RecordDeliveryAttempt(ctx, "evt_a", deliveriesT0, 410, "HTTP 410 Gone", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkOutboxFailed(ctx, "evt_a", "HTTP 410 Gone", deliveriesT0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DisableBillingEndpoint(ctx, "https://billing.example/hooks", "HTTP 410 Gone on event evt_a", deliveriesT0); err != nil {
		t.Fatal(err)
	}
	var list struct{ Endpoint map[string]any }
	if call(t, app, "GET", "/v1/deliveries", &list); list.Endpoint["disabled"] != true || list.Endpoint["reason"] != "HTTP 410 Gone on event evt_a" {
		t.Fatalf("endpoint while disabled: %v", list.Endpoint)
	}

	var missing errorBody
	if code := call(t, app, "POST", "/v1/deliveries/evt_nope/retry", &missing); code != 404 || missing.Error.Code != "not_found" {
		t.Fatalf("unknown id: %d %+v", code, missing)
	}
	if url, _, _, _ := st.BillingEndpointDisabled(ctx); url == "" {
		t.Fatal("a retry of an unknown id re-enabled the endpoint")
	}

	clk.Advance(time.Hour)
	var got deliveryJSON
	if code := call(t, app, "POST", "/v1/deliveries/evt_a/retry", &got); code != 202 {
		t.Fatalf("retry: %d %+v", code, got)
	}
	if got.Status != "pending" || got.NextAttemptAt == nil || *got.NextAttemptAt != "2026-11-23T14:00:00Z" ||
		len(got.AttemptLog) != 1 || got.AttemptLog[0].StatusCode != 410 || !strings.Contains(string(got.Payload), "dispute.opened") {
		t.Fatalf("retried delivery: %+v", got)
	}
	if url, _, _, _ := st.BillingEndpointDisabled(ctx); url != "" {
		t.Fatal("retry did not re-enable the endpoint")
	}
	var one deliveryJSON
	if code := call(t, app, "GET", "/v1/deliveries/evt_a", &one); code != 200 || one.ID != "evt_a" || len(one.AttemptLog) != 1 {
		t.Fatalf("get one: %d %+v", code, one)
	}
}

func TestDeliveryMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewDeliveryMetrics(reg)
	m.Delivered("promise.created", 45*time.Second)
	m.Retrying("promise.created")
	m.Failed("dispute.opened", "expired")
	m.EndpointDisabled("HTTP 410 Gone")
	m.EndpointEnabled()
	m.EndpointDisabled("HTTP 410 Gone")
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			key := f.GetName()
			for _, l := range metric.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			got[key] = metric.GetCounter().GetValue() + metric.GetGauge().GetValue() + float64(metric.GetHistogram().GetSampleCount())
		}
	}
	want := map[string]float64{
		"quita_webhook_deliveries_total result=delivered type=promise.created": 1,
		"quita_webhook_deliveries_total result=retry type=promise.created":     1,
		"quita_webhook_deliveries_total result=expired type=dispute.opened":    1,
		"quita_webhook_delivery_seconds":                                       1,
		"quita_webhook_endpoint_disabled":                                      1,
	}
	if len(got) != len(want) {
		t.Fatalf("series %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}
