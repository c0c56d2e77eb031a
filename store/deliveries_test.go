package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

// commitEvents writes events (and one debtor message, which is not a
// delivery) the way the engine does: in one conversation turn.
func commitEvents(t *testing.T, s *store.Store, convID string, types ...string) []string {
	t.Helper()
	conv := bot.Conversation{ID: convID, Phone: "+5511988887777", Transport: "sim",
		Status: bot.StatusOpen, State: "start", CreatedAt: t0, UpdatedAt: t0}
	items := []bot.OutboxItem{{ID: "out_" + convID, Kind: bot.OutboxMessage, ConversationID: convID, Transport: "sim",
		Recipient: conv.Phone, Payload: []byte(`{}`), NextAttemptAt: t0, CreatedAt: t0}}
	var ids []string
	for i, typ := range types {
		id := fmt.Sprintf("evt_%s_%02d", convID, i)
		ids = append(ids, id)
		items = append(items, bot.OutboxItem{ID: id, Kind: bot.OutboxEvent, ConversationID: convID, EventType: typ,
			Payload: []byte(`{"type":"` + typ + `"}`), NextAttemptAt: t0, CreatedAt: t0})
	}
	if _, err := s.CommitTurn(context.Background(), bot.Turn{Conversation: conv, IsNew: true, Outbox: items}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func deliveryIDs(ds []store.EventDelivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func TestEventDeliveriesFilterAndPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ids := commitEvents(t, s, "c1", "promise.created", "payment.claimed", "promise.created", "dispute.opened")
		if err := s.MarkOutboxSent(ctx, ids[0], "", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkOutboxFailed(ctx, ids[1], "HTTP 400 Bad Request", t0); err != nil {
			t.Fatal(err)
		}
		list := func(f store.EventDeliveryFilter) []store.EventDelivery {
			t.Helper()
			ds, err := s.EventDeliveries(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return ds
		}
		all := list(store.EventDeliveryFilter{})
		if got := fmt.Sprint(deliveryIDs(all)); got != fmt.Sprint([]string{ids[3], ids[2], ids[1], ids[0]}) {
			t.Fatalf("all, newest first, messages left out: %s", got)
		}
		if all[2].Attempts != 1 || all[2].LastError != "HTTP 400 Bad Request" || all[2].Status != bot.OutboxFailed || all[2].EventType != "payment.claimed" {
			t.Fatalf("failed delivery: %+v", all[2].OutboxItem)
		}
		if got := deliveryIDs(list(store.EventDeliveryFilter{Status: bot.OutboxPending, Type: "promise.created"})); fmt.Sprint(got) != fmt.Sprint([]string{ids[2]}) {
			t.Fatalf("pending promise.created: %v", got)
		}
		page1 := list(store.EventDeliveryFilter{Limit: 3})
		page2 := list(store.EventDeliveryFilter{Limit: 3, After: page1[len(page1)-1].ID})
		if len(page1) != 3 || fmt.Sprint(deliveryIDs(page2)) != fmt.Sprint([]string{ids[0]}) {
			t.Fatalf("pages: %v then %v", deliveryIDs(page1), deliveryIDs(page2))
		}
	})
}

func TestDeliveryAttemptsAreNumberedInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		id := commitEvents(t, s, "c1", "reminder.sent")[0]
		for i, status := range []int{503, 0, 200} {
			n, err := s.RecordDeliveryAttempt(ctx, id, t0.Add(time.Duration(i)*time.Minute), status, fmt.Sprint("try ", i), 1500*time.Millisecond)
			if err != nil || n != i+1 {
				t.Fatalf("attempt %d recorded as %d: %v", i+1, n, err)
			}
		}
		d, err := s.EventDelivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Log) != 3 || d.Log[1].StatusCode != 0 || d.Log[1].Error != "try 1" || !d.Log[2].At.Equal(t0.Add(2*time.Minute)) ||
			d.Log[0].Duration != 1500*time.Millisecond || d.Log[2].Attempt != 3 {
			t.Fatalf("log: %+v", d.Log)
		}
		if _, err := s.EventDelivery(ctx, "out_c1"); bot.ErrorCodeOf(err) != bot.CodeNotFound {
			t.Fatalf("a debtor message is not a delivery: %v", err)
		}
	})
}

func TestRetryDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ids := commitEvents(t, s, "c1", "plan.accepted", "conversation.resolved")
		if err := s.MarkOutboxFailed(ctx, ids[0], "gave up", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkOutboxSent(ctx, ids[1], "", t0); err != nil {
			t.Fatal(err)
		}
		now := t0.Add(48 * time.Hour)
		for _, id := range ids {
			d, err := s.RetryDelivery(ctx, id, now)
			if err != nil || d.Status != bot.OutboxPending || !d.NextAttemptAt.Equal(now) || d.SentAt != nil || d.Attempts != 1 {
				t.Fatalf("retry %s: %+v %v", id, d.OutboxItem, err)
			}
		}
		claimed, err := s.ClaimOutbox(ctx, bot.OutboxEvent, now, time.Minute, 10, nil)
		if err != nil || len(claimed) != 2 {
			t.Fatalf("retried events are due at once: %d %v", len(claimed), err)
		}
		for _, id := range []string{"evt_nope", "out_c1"} {
			if _, err := s.RetryDelivery(ctx, id, now); bot.ErrorCodeOf(err) != bot.CodeNotFound {
				t.Fatalf("retry %s: %v, want not_found", id, err)
			}
		}
	})
}

func TestReleaseOutboxMakesClaimedEventsDueAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		commitEvents(t, s, "c1", "reminder.sent")
		first, err := s.ClaimOutbox(ctx, bot.OutboxEvent, t0, time.Hour, 10, nil)
		if err != nil || len(first) != 1 {
			t.Fatalf("claim: %v %v", first, err)
		}
		if again, _ := s.ClaimOutbox(ctx, bot.OutboxEvent, t0, time.Hour, 10, nil); len(again) != 0 {
			t.Fatal("a leased event was claimed twice")
		}
		if err := s.ReleaseOutbox(ctx, []string{first[0].ID}); err != nil {
			t.Fatal(err)
		}
		again, err := s.ClaimOutbox(ctx, bot.OutboxEvent, t0, time.Hour, 10, nil)
		if err != nil || len(again) != 1 || again[0].Attempts != 0 {
			t.Fatalf("after release: %v %v", again, err)
		}
	})
}

func TestBillingEndpointDisableAndEnable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const hook = "https://billing.example/hooks"
		if url, _, _, err := s.BillingEndpointDisabled(ctx); url != "" || err != nil {
			t.Fatalf("disabled from the start: %q %v", url, err)
		}
		if changed, err := s.DisableBillingEndpoint(ctx, hook, "HTTP 410 Gone", t0); !changed || err != nil {
			t.Fatalf("first disable: %v %v", changed, err)
		}
		if changed, err := s.DisableBillingEndpoint(ctx, hook, "HTTP 410 again", t0.Add(time.Minute)); changed || err != nil {
			t.Fatalf("a second instance's disable must not count as new: %v %v", changed, err)
		}
		url, reason, since, err := s.BillingEndpointDisabled(ctx)
		if url != hook || reason != "HTTP 410 Gone" || !since.Equal(t0) || err != nil {
			t.Fatalf("disabled: %q %q %s %v", url, reason, since, err)
		}
		if changed, _ := s.DisableBillingEndpoint(ctx, hook+"/v2", "HTTP 410 Gone", t0); !changed {
			t.Fatal("a new URL's 410 must replace the old record")
		}
		if ok, err := s.EnableBillingEndpoint(ctx); !ok || err != nil {
			t.Fatalf("enable: %v %v", ok, err)
		}
		if ok, _ := s.EnableBillingEndpoint(ctx); ok {
			t.Fatal("enabling twice reports a change")
		}
		if url, _, _, _ := s.BillingEndpointDisabled(ctx); url != "" {
			t.Fatalf("still disabled: %q", url)
		}
	})
}
