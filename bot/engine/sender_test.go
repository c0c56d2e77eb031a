package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// decliningTransport declines every send for now, like a paced or capped
// WhatsApp number, or sends slowly.
type decliningTransport struct {
	mu      sync.Mutex
	until   time.Time
	delay   time.Duration
	calls   int
	decline bool
}

func (d *decliningTransport) Name() string { return sim.Name }

func (d *decliningTransport) Send(context.Context, bot.OutboundMessage) (string, error) {
	d.mu.Lock()
	d.calls++
	decline, until, delay := d.decline, d.until, d.delay
	d.mu.Unlock()
	time.Sleep(delay)
	if decline {
		return "", bot.Deferred(errors.New("daily cap reached"), until)
	}
	return "ext", nil
}

func TestDeferredSendsWaitWithoutCountingAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		tomorrow := r.clock.Now().Add(14 * time.Hour) // 00:00
		tr := &decliningTransport{decline: true, until: tomorrow}
		sender := engine.NewSender(st, r.clock, nil, nil, tr)
		window := time.Date(2026, 11, 24, 9, 0, 0, 0, saoPaulo)
		sender.ProactiveWindow = func(t time.Time) time.Time {
			if t.Before(window) {
				return window
			}
			return t
		}
		out, err := r.engine.HandleInbound(ctx, inbound("d1", "oi"))
		if err != nil {
			t.Fatal(err)
		}
		if sent, _ := sender.RunDue(ctx); len(sent) != 0 {
			t.Fatal("a declining transport reported deliveries")
		}
		items, _ := st.OutboxItems(ctx, out.OutboxIDs)
		for _, it := range items {
			// Answers are not proactive: the transport's time stands.
			if it.Status != bot.OutboxPending || it.Attempts != 0 || !it.NextAttemptAt.Equal(tomorrow) || it.LastError != "daily cap reached" {
				t.Fatalf("deferred item %+v", it)
			}
		}
		calls := tr.calls
		if sent, _ := sender.RunDue(ctx); len(sent) != 0 || tr.calls != calls {
			t.Fatal("a deferred item was tried before its time")
		}
		// A reminder (proactive: it is about an invoice) waits for the
		// next contact window, not just for the transport's time.
		conv, _ := st.Conversation(ctx, out.ConversationID)
		reminder := bot.OutboxItem{ID: "out_reminder", Kind: bot.OutboxMessage, ConversationID: conv.ID, Transport: sim.Name,
			Recipient: conv.Phone, Payload: []byte(`{"text":"Lembrete","about":["INV-1"]}`), NextAttemptAt: r.clock.Now(), CreatedAt: r.clock.Now()}
		if _, err := st.CommitTurn(ctx, bot.Turn{Conversation: conv, Outbox: []bot.OutboxItem{reminder}}); err != nil {
			t.Fatal(err)
		}
		sender.RunDue(ctx)
		if items, _ := st.OutboxItems(ctx, []string{"out_reminder"}); len(items) != 1 || !items[0].NextAttemptAt.Equal(window) || items[0].Attempts != 0 {
			t.Fatalf("deferred reminder %+v, want it at %s", items, window)
		}
		// Still declined a day later: an answer that old is no use.
		r.clock.Advance(25 * time.Hour)
		tr.until = r.clock.Now().Add(time.Hour)
		sender.RunDue(ctx)
		items, _ = st.OutboxItems(ctx, out.OutboxIDs)
		for _, it := range items {
			if it.Status != bot.OutboxFailed {
				t.Fatalf("an answer deferred past a day: %+v", it)
			}
		}
	})
}

func TestSenderStartsNoSendItsLeaseCannotCover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		tr := &decliningTransport{delay: 60 * time.Millisecond}
		sender := engine.NewSender(st, r.clock, nil, nil, tr)
		sender.Lease, sender.MaxSend = 200*time.Millisecond, 100*time.Millisecond
		out, err := r.engine.HandleInbound(ctx, inbound("l1", "oi")) // two replies
		if err != nil || len(out.OutboxIDs) != 2 {
			t.Fatalf("%+v %v", out, err)
		}
		out2, err := r.engine.HandleInbound(ctx, inbound("l2", "sim")) // three more
		if err != nil {
			t.Fatal(err)
		}
		all := append(out.OutboxIDs, out2.OutboxIDs...)
		// One claim of all five: only those started within Lease-MaxSend
		// (100 ms, two or three 60 ms sends) go out; the rest are released
		// at once, not left leased, and the loop claims them again.
		sent, err := sender.RunDue(ctx)
		if err != nil || len(sent) != len(all) {
			t.Fatalf("sent %d of %d: %v", len(sent), len(all), err)
		}
		if tr.calls != len(all) {
			t.Fatalf("%d sends for %d messages: something went twice", tr.calls, len(all))
		}
		items, _ := st.OutboxItems(ctx, all)
		for _, it := range items {
			if it.Status != bot.OutboxSent || it.Attempts != 1 {
				t.Fatalf("item %+v", it)
			}
		}
	})
}
