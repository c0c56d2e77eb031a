package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/nlu"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

var saoPaulo, _ = time.LoadLocation("America/Sao_Paulo")

type rig struct {
	st     *store.Store
	engine *engine.Engine
	sender *engine.Sender
	clock  *clock.Manual
}

func newRig(t testing.TB, st *store.Store, co bot.Coordinator) *rig {
	t.Helper()
	return newRigPolicy(t, st, co, policy.Default())
}

func newRigWithPolicy(t testing.TB, st *store.Store, pol policy.Policy) *rig {
	t.Helper()
	return newRigPolicy(t, st, coord.NewMemory(), pol)
}

func newRigPolicy(t testing.TB, st *store.Store, co bot.Coordinator, pol policy.Policy) *rig {
	t.Helper()
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	classifier, err := nlu.New(locales.NLUFiles)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(time.Date(2026, 11, 23, 10, 0, 0, 0, saoPaulo))
	ids := bot.NewIDs()
	e, err := engine.New(engine.Config{Store: st, Classifier: classifier, Catalog: catalog, Policy: pol,
		Clock: clk, IDs: ids, Coord: co, Location: saoPaulo, Transports: []string{sim.Name}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return &rig{st: st, engine: e, clock: clk, sender: engine.NewSender(st, clk, nil, nil, sim.New(st, clk, ids))}
}

func seedMaria(t testing.TB, st *store.Store) {
	t.Helper()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	c := bot.Customer{ID: "cus_maria", Name: "Maria Souza", Phone: "+5511988887777", CreatedAt: now, UpdatedAt: now}
	inv := bot.Invoice{ID: "INV-1", CustomerID: c.ID, AmountCents: 10000, Currency: "BRL", DueDate: "2026-09-24",
		Description: "Internet outubro", Status: bot.InvoiceOpen, CreatedAt: now, UpdatedAt: now}
	if err := st.UpsertInvoice(context.Background(), c, inv); err != nil {
		t.Fatal(err)
	}
}

func inbound(id, text string) bot.InboundMessage {
	return bot.InboundMessage{Transport: sim.Name, ExternalID: id, From: "5511988887777", Text: text}
}

func TestConversationOverTheRealPipeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		out, err := r.engine.HandleInbound(ctx, inbound("m1", "bom dia"))
		if err != nil || out.State != "confirm_identity" || len(out.OutboxIDs) != 2 {
			t.Fatalf("greeting: %+v %v", out, err)
		}
		if err := r.sender.Deliver(ctx, out.OutboxIDs); err != nil {
			t.Fatal(err)
		}
		out, err = r.engine.HandleInbound(ctx, inbound("m2", "sim sou eu"))
		if err != nil || out.State != "menu_full" {
			t.Fatalf("confirm: %+v %v", out, err)
		}
		out, err = r.engine.HandleInbound(ctx, inbound("m3", "qual o valor da minha divida?"))
		if err != nil || out.Intent != bot.IntentBalanceInquiry {
			t.Fatalf("balance: %+v %v", out, err)
		}
		if err := r.sender.Deliver(ctx, out.OutboxIDs); err != nil {
			t.Fatal(err)
		}
		msgs, _ := st.SimMessages(ctx, "+5511988887777")
		last := msgs[len(msgs)-1].Text
		// R$ 100,00 due Thursday 24/09, 60 days late: 2 % multa and 1 % a month.
		want := "• Internet outubro: venceu em 24/09. Valor original R$ 100,00 + multa R$ 2,00 + juros R$ 2,00 = R$ 104,00 hoje"
		if last != "Você tem 1 fatura em aberto com a Quita Demo:\n"+want {
			t.Fatalf("balance reply:\n%s", last)
		}
		entries, _ := st.Transcript(ctx, out.ConversationID)
		if v := transcript.Verify(entries); !v.OK || v.Entries < 6 {
			t.Fatalf("transcript: %+v", v)
		}
	})
}

func TestConcurrentMessagesOfOneDebtorAreSerialised(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, n*2)
		for i := 0; i < n; i++ {
			wg.Add(2)
			// Each message twice at once: a transport redelivery racing the original.
			for copy := 0; copy < 2; copy++ {
				go func(i int) {
					defer wg.Done()
					if _, err := r.engine.HandleInbound(ctx, inbound(fmt.Sprintf("c%d", i), "oi")); err != nil {
						errs <- err
					}
				}(i)
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		conv, _ := st.ConversationByPhone(ctx, sim.Name, "+5511988887777")
		entries, _ := st.Transcript(ctx, conv.ID)
		in := 0
		for _, e := range entries {
			if e.Direction == bot.DirectionIn {
				in++
			}
		}
		if in != n {
			t.Fatalf("%d inbound entries for %d distinct messages", in, n)
		}
		if v := transcript.Verify(entries); !v.OK {
			t.Fatalf("chain: %+v", v)
		}
	})
}

func TestRecoverReplaysStoredButUnprocessedMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		// Accepted (acknowledged to the transport) and then the process died.
		if _, _, err := r.engine.Accept(ctx, inbound("lost-1", "oi")); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := r.engine.Recover(ctx, r.clock.Now().Add(-time.Minute)); n != 0 {
			t.Fatalf("a message younger than the cut-off was replayed")
		}
		n, failed, err := r.engine.Recover(ctx, r.clock.Now().Add(time.Second))
		if err != nil || n != 1 || failed != 0 {
			t.Fatalf("recover: %d %d %v", n, failed, err)
		}
		if n, _, _ := r.engine.Recover(ctx, r.clock.Now().Add(time.Second)); n != 0 {
			t.Fatalf("second recover handled %d", n)
		}
		sent, err := r.sender.RunDue(ctx)
		if err != nil || len(sent) != 2 {
			t.Fatalf("replies of the recovered message: %d %v", len(sent), err)
		}
	})
}

// failingTransport fails retryably until told otherwise.
type failingTransport struct {
	mu    sync.Mutex
	fail  bool
	calls int
}

func (f *failingTransport) Name() string { return sim.Name }
func (f *failingTransport) Send(context.Context, bot.OutboundMessage) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail {
		return "", bot.Retryable(fmt.Errorf("connection reset"))
	}
	return fmt.Sprintf("ext-%d", f.calls), nil
}

func TestSenderRetriesWithBackoffThenDelivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		tr := &failingTransport{fail: true}
		sender := engine.NewSender(st, r.clock, nil, nil, tr)
		out, err := r.engine.HandleInbound(ctx, inbound("r1", "oi"))
		if err != nil {
			t.Fatal(err)
		}
		if sent, _ := sender.RunDue(ctx); len(sent) != 0 {
			t.Fatal("a failing transport reported deliveries")
		}
		if sent, _ := sender.RunDue(ctx); len(sent) != 0 || tr.calls != 2 {
			t.Fatalf("retried before the backoff elapsed: %d calls", tr.calls)
		}
		tr.fail = false
		r.clock.Advance(time.Hour)
		sent, err := sender.RunDue(ctx)
		if err != nil || len(sent) != 2 {
			t.Fatalf("after backoff: %d sent, %v", len(sent), err)
		}
		items, _ := st.OutboxItems(ctx, out.OutboxIDs)
		for _, it := range items {
			if it.Status != bot.OutboxSent || it.Attempts != 2 {
				t.Fatalf("item %+v", it)
			}
		}
	})
}

func TestAPaymentThanksRecordedButNotSentIsRecovered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		for _, text := range []string{"oi", "sim"} {
			if _, err := r.engine.HandleInbound(ctx, inbound("p-"+text, text)); err != nil {
				t.Fatal(err)
			}
		}
		inv, changed, err := st.SetInvoiceStatus(ctx, "INV-1", bot.InvoicePaid, r.clock.Now())
		if err != nil || !changed {
			t.Fatal(err)
		}
		// The webhook committed the payment and its pending thanks, then the
		// process died before running it.
		if _, _, err := st.RecordInbound(ctx, engine.PaidEvent("inb_paid", inv, "+5511988887777", r.clock.Now())); err != nil {
			t.Fatal(err)
		}
		if _, dup, _ := st.RecordInbound(ctx, engine.PaidEvent("inb_paid2", inv, "+5511988887777", r.clock.Now())); !dup {
			t.Fatal("a second thanks for the same payment was recorded")
		}
		handled, failed, err := r.engine.Recover(ctx, r.clock.Now().Add(time.Second))
		if err != nil || handled != 1 || failed != 0 {
			t.Fatalf("recover: %d %d %v", handled, failed, err)
		}
		if h, _, _ := r.engine.Recover(ctx, r.clock.Now().Add(time.Second)); h != 0 {
			t.Fatal("the thanks was replayed twice")
		}
		sent, _ := r.sender.RunDue(ctx)
		thanks := 0
		for _, m := range sent {
			if strings.Contains(m.Text, "recebemos o pagamento de Internet outubro") {
				thanks++
			}
		}
		if thanks != 1 {
			t.Fatalf("thanks sent %d times: %+v", thanks, sent)
		}
	})
}

func TestAQueuedReminderForASettledInvoiceIsNotSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		now := r.clock.Now()
		conv := bot.Conversation{ID: "cnv_r", Phone: "+5511988887777", Transport: sim.Name, Status: bot.StatusOpen, State: "menu", CreatedAt: now, UpdatedAt: now}
		queue := func(id, about string) {
			payload := fmt.Sprintf(`{"text":"lembrete %s","about":["%s"]}`, id, about)
			turn := bot.Turn{Conversation: conv, IsNew: conv.Version == 0,
				Entries: []bot.TranscriptEntry{{At: now, Direction: bot.DirectionOut, Author: bot.AuthorBot, Text: "lembrete", Status: bot.DeliveryQueued, OutboxID: id}},
				Outbox:  []bot.OutboxItem{{ID: id, Kind: bot.OutboxMessage, ConversationID: conv.ID, Transport: sim.Name, Recipient: conv.Phone, Payload: []byte(payload), NextAttemptAt: now, CreatedAt: now}}}
			if _, err := st.CommitTurn(ctx, turn); err != nil {
				t.Fatal(err)
			}
			conv.Version++
		}
		queue("out_open", "INV-1")
		if sent, err := r.sender.RunDue(ctx); err != nil || len(sent) != 1 {
			t.Fatalf("a reminder about an open invoice was not sent: %+v %v", sent, err)
		}
		queue("out_a", "INV-1")
		queue("out_b", "INV-unknown-and-so-not-open")
		if _, _, err := st.SetInvoiceStatus(ctx, "INV-1", bot.InvoicePaid, now); err != nil {
			t.Fatal(err)
		}
		sent, err := r.sender.RunDue(ctx)
		if err != nil || len(sent) != 0 {
			t.Fatalf("reminders about settled invoices went out: %+v %v", sent, err)
		}
		items, _ := st.OutboxItems(ctx, []string{"out_a"})
		if items[0].Status != bot.OutboxFailed || !strings.Contains(items[0].LastError, "suppressed") {
			t.Fatalf("outbox item = %+v", items[0])
		}
	})
}

// TestIdentityBelongsToTheCustomer: Xavier confirms who he is; billing then
// puts another customer, Yara, on the same phone (a family phone, a reused
// number). "quanto eu devo?" must not show Yara's debt: the identity
// question comes again, by Yara's first name, and the transcript says why.
func TestIdentityBelongsToTheCustomer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		for i, text := range []string{"oi", "sim sou eu"} {
			if _, err := r.engine.HandleInbound(ctx, inbound(fmt.Sprint("x", i), text)); err != nil {
				t.Fatal(err)
			}
		}
		later := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
		yara := bot.Customer{ID: "cus_yara", Name: "Yara Lima", Phone: "+5511988887777", CreatedAt: later, UpdatedAt: later}
		inv := bot.Invoice{ID: "INV-Y", CustomerID: yara.ID, AmountCents: 77700, Currency: "BRL", DueDate: "2026-12-24",
			Description: "Plano da Yara", Status: bot.InvoiceOpen, CreatedAt: later, UpdatedAt: later}
		if err := st.UpsertInvoice(ctx, yara, inv); err != nil {
			t.Fatal(err)
		}
		out, err := r.engine.HandleInbound(ctx, inbound("x9", "quanto eu devo?"))
		if err != nil || out.State != "confirm_identity" {
			t.Fatalf("after the number changed hands: %+v %v", out, err)
		}
		if err := r.sender.Deliver(ctx, out.OutboxIDs); err != nil {
			t.Fatal(err)
		}
		msgs, _ := st.SimMessages(ctx, "+5511988887777")
		last := msgs[len(msgs)-1].Text
		if !strings.Contains(last, "falo com Yara?") || strings.Contains(last, "777,00") {
			t.Fatalf("asked %q", last)
		}
		conv, _ := st.ConversationByPhone(ctx, sim.Name, "+5511988887777")
		entries, _ := st.Transcript(ctx, conv.ID)
		found := false
		for _, e := range entries {
			found = found || strings.Contains(e.Text, "now belongs to customer cus_yara (was cus_maria)")
		}
		if conv.CustomerID != "cus_yara" || !found {
			t.Fatalf("conversation %s, note in transcript: %v", conv.CustomerID, found)
		}
		if v := transcript.Verify(entries); !v.OK {
			t.Fatalf("chain %+v", v)
		}
	})
}
