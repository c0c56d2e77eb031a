package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/nlu"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// reminderRig is a rig whose engine has a transport, as Remind needs.
func reminderRig(t testing.TB, st *store.Store, co bot.Coordinator, start time.Time) (*rig, *reminders.Runner) {
	t.Helper()
	r := newRigWith(t, st, co, start)
	run, err := reminders.New(reminders.Config{Store: st, Engine: r.engine, Policy: policy.Default(), Location: saoPaulo, BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	return r, run
}

func seedDebtor(t testing.TB, st *store.Store, n int, due string, invoices int) bot.Customer {
	t.Helper()
	c := bot.Customer{ID: fmt.Sprintf("cus_%04d", n), Name: fmt.Sprintf("Cliente %d", n), Phone: fmt.Sprintf("+55119%08d", n),
		CreatedAt: time.Unix(0, 0).UTC(), UpdatedAt: time.Unix(0, 0).UTC()}
	for k := 0; k < invoices; k++ {
		inv := bot.Invoice{ID: fmt.Sprintf("INV-%04d-%d", n, k), CustomerID: c.ID, AmountCents: 10000 + int64(k), Currency: "BRL",
			DueDate: due, Description: fmt.Sprintf("Fatura %d", k), Status: bot.InvoiceOpen, CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt}
		if err := st.UpsertInvoice(context.Background(), c, inv); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestRemindGroupsInvoicesAndLogsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		for n := 1; n <= 10; n++ {
			seedDebtor(t, st, n, "2026-11-25", 1+n%3)
		}
		// Wednesday 25/11 10:00: D0 for everyone.
		r, run := reminderRig(t, st, coord.NewMemory(), time.Date(2026, 11, 25, 10, 0, 0, 0, saoPaulo))
		rep, err := run.RunDue(ctx, r.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Due != 20 || rep.Sent != 20 || rep.Messages != 10 {
			t.Fatalf("first pass: %+v", rep)
		}
		if sent, err := r.sender.RunDue(ctx); err != nil || len(sent) != 10 {
			t.Fatalf("delivered %d, %v", len(sent), err)
		}
		// A second pass the same minute finds the log and does nothing.
		rep, err = run.RunDue(ctx, r.clock.Now())
		if err != nil || rep.Due != 0 || rep.Sent != 0 {
			t.Fatalf("second pass: %+v %v", rep, err)
		}
		// Next day, D+1 is due but the daily cap is used… only by
		// yesterday's message, so it goes; the weekly cap (3) is not hit.
		r.clock.Advance(24 * time.Hour)
		if rep, err = run.RunDue(ctx, r.clock.Now()); err != nil || rep.Messages != 10 {
			t.Fatalf("D+1 pass: %+v %v", rep, err)
		}
	})
}

func TestRemindOutsideWindowsDefersAndSendsLater(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedDebtor(t, st, 1, "2026-11-25", 1)
		r, run := reminderRig(t, st, coord.NewMemory(), time.Date(2026, 11, 25, 7, 30, 0, 0, saoPaulo))
		rep, err := run.RunDue(ctx, r.clock.Now())
		if err != nil || rep.Due != 1 || rep.Deferred["window"] != 1 || rep.Sent != 0 {
			t.Fatalf("07:30: %+v %v", rep, err)
		}
		r.clock.Advance(90 * time.Minute)
		rep, err = run.RunDue(ctx, r.clock.Now())
		if err != nil || rep.Sent != 1 {
			t.Fatalf("09:00: %+v %v", rep, err)
		}
	})
}

func TestRemindStopsForOptOutAndAgents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := seedDebtor(t, st, 1, "2026-11-25", 1)
		seedDebtor(t, st, 2, "2026-11-25", 1)
		r, run := reminderRig(t, st, coord.NewMemory(), time.Date(2026, 11, 24, 10, 0, 0, 0, saoPaulo))
		// Debtor 1 writes "pare" the day before the due date.
		if _, err := r.engine.HandleInbound(ctx, bot.InboundMessage{Transport: sim.Name, ExternalID: "x1", From: c.Phone, Text: "pare"}); err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(24 * time.Hour)
		rep, err := run.RunDue(ctx, r.clock.Now())
		if err != nil || rep.Sent != 1 || rep.Suppressed["opted_out"] != 1 {
			t.Fatalf("pass: %+v %v", rep, err)
		}
	})
}

// newRigWith is newRig with the simulator as the engine's transport, the
// clock at start and the policy given, if any.
func newRigWith(t testing.TB, st *store.Store, co bot.Coordinator, start time.Time, pol ...policy.Policy) *rig {
	t.Helper()
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	classifier, err := nlu.New(locales.NLUFiles)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(start)
	ids := bot.NewIDs()
	e, err := engine.New(engine.Config{Store: st, Classifier: classifier, Catalog: catalog, Policy: append(pol, policy.Default())[0],
		Clock: clk, IDs: ids, Coord: co, Location: saoPaulo, Transports: []string{sim.Name}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return &rig{st: st, engine: e, clock: clk, sender: engine.NewSender(st, clk, nil, nil, sim.New(st, clk, ids))}
}

// A cadence key missing from the catalogs skips its debtors, logged, and
// never stops the pass for the others.
func TestRemindSkipsADebtorWhoseMessageCannotBeRendered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedDebtor(t, st, 1, "2026-11-25", 1)
		seedDebtor(t, st, 2, "2026-11-25", 1)
		pol := policy.Default()
		pol.Reminders.Cadence = []policy.Step{{OffsetDays: 0, Message: "reminder.no_such_key", Tone: policy.ToneFriendly}}
		r := newRigWith(t, st, coord.NewMemory(), time.Date(2026, 11, 24, 10, 0, 0, 0, saoPaulo), pol)
		run, err := reminders.New(reminders.Config{Store: st, Engine: r.engine, Policy: pol, Location: saoPaulo})
		if err != nil {
			t.Fatal(err)
		}
		// Both numbers are confirmed (the day before: no reminder goes on
		// a day the debtor wrote), so the step's own key is rendered.
		for i, c := range []string{"+5511900000001", "+5511900000002"} {
			if _, err := r.engine.HandleInbound(ctx, bot.InboundMessage{Transport: sim.Name, ExternalID: fmt.Sprint("c", i), From: c, Text: "oi"}); err != nil {
				t.Fatal(err)
			}
			if _, err := r.engine.HandleInbound(ctx, bot.InboundMessage{Transport: sim.Name, ExternalID: fmt.Sprint("s", i), From: c, Text: "sim"}); err != nil {
				t.Fatal(err)
			}
		}
		r.clock.Advance(24 * time.Hour)
		rep, err := run.RunDue(ctx, r.clock.Now())
		if err != nil || rep.Suppressed["error"] != 2 || rep.Sent != 0 {
			t.Fatalf("pass: %+v %v", rep, err)
		}
	})
}

// TestFirstContactModes sends a reminder cadence to a number that never
// confirmed who it is, under each reminders.first_contact: discreet and
// identity disclose no amount; identity stops after two unanswered
// questions until the person writes; full sends the whole reminder. Every
// first contact carries the creditor's document, every message names it,
// and no text repeats twice in a row.
func TestFirstContactModes(t *testing.T) {
	for _, mode := range []string{policy.FirstContactDiscreet, policy.FirstContactIdentity, policy.FirstContactFull} {
		t.Run(mode, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				ctx := context.Background()
				c := seedDebtor(t, st, 1, "2026-11-25", 1)
				pol := policy.Default()
				pol.Company.Document = "11222333000181"
				pol.Reminders.FirstContact = mode
				// Sunday 22/11 is no contact day: start on Monday, D-2.
				r := newRigWith(t, st, coord.NewMemory(), time.Date(2026, 11, 23, 10, 0, 0, 0, saoPaulo), pol)
				run, err := reminders.New(reminders.Config{Store: st, Engine: r.engine, Policy: pol, Location: saoPaulo})
				if err != nil {
					t.Fatal(err)
				}
				var texts []string
				pass := func() {
					t.Helper()
					if _, err := run.RunDue(ctx, r.clock.Now()); err != nil {
						t.Fatal(err)
					}
					sent, err := r.sender.RunDue(ctx)
					if err != nil {
						t.Fatal(err)
					}
					for _, m := range sent {
						texts = append(texts, m.Text)
					}
					r.clock.Advance(24 * time.Hour)
				}
				for day := 0; day < 4; day++ { // 23/11 (D-3 on Monday), 24/11, 25/11 (D0), 26/11 (D+1)
					pass()
				}
				want := 3
				if mode == policy.FirstContactIdentity {
					want = 2 // the third waits for the person to write
				}
				if len(texts) != want {
					t.Fatalf("%d messages, want %d: %q", len(texts), want, texts)
				}
				for i, text := range texts {
					if !strings.Contains(text, "Quita Demo") {
						t.Errorf("message %d does not name the creditor: %q", i, text)
					}
					if strings.Contains(text, "CNPJ 11.222.333/0001-81") != (i == 0) {
						t.Errorf("message %d: the document goes in the first contact only: %q", i, text)
					}
					if strings.Contains(text, "R$") != (mode == policy.FirstContactFull) {
						t.Errorf("message %d under %s: amount shown = %v: %q", i, mode, strings.Contains(text, "R$"), text)
					}
					if mode != policy.FirstContactFull && !strings.Contains(text, "SAIR") {
						t.Errorf("message %d does not say how to stop: %q", i, text)
					}
					if i > 0 && text == texts[i-1] {
						t.Errorf("message %d repeats the one before: %q", i, text)
					}
				}
				if mode != policy.FirstContactIdentity {
					return
				}
				// The person writes: the questions start over.
				if _, err := r.engine.HandleInbound(ctx, bot.InboundMessage{Transport: sim.Name, ExternalID: "w1", From: c.Phone, Text: "oi"}); err != nil {
					t.Fatal(err)
				}
				if _, err := r.sender.RunDue(ctx); err != nil {
					t.Fatal(err)
				}
				// The steps that fell due meanwhile were passed over (the
				// cadence moves on, so its end still reaches a person); the
				// next one, D+7 on 02/12, goes again — not on the day they
				// wrote (27/11).
				texts = nil
				for day := 0; day < 6; day++ {
					pass()
				}
				if len(texts) != 1 {
					t.Fatalf("after the person wrote: %q", texts)
				}
			})
		})
	}
}
