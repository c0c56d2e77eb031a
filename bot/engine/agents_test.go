package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// agentRig is a rig with Maria's conversation at the menu and helpers to
// talk as her and read what she received.
type agentRig struct {
	*rig
	t    *testing.T
	ctx  context.Context
	conv string
	seen int
}

func newAgentRig(t *testing.T, st *store.Store) *agentRig {
	seedMaria(t, st)
	a := &agentRig{rig: newRig(t, st, coord.NewMemory()), t: t, ctx: context.Background()}
	a.say("a1", "oi")
	out := a.say("a2", "sim sou eu")
	a.conv = out.ConversationID
	a.received()
	return a
}

func (a *agentRig) say(id, text string) engine.Outcome {
	a.t.Helper()
	out, err := a.engine.HandleInbound(a.ctx, inbound(id, text))
	if err != nil {
		a.t.Fatal(err)
	}
	a.deliverAll()
	return out
}

func (a *agentRig) deliverAll() {
	a.t.Helper()
	if _, err := a.sender.RunDue(a.ctx); err != nil {
		a.t.Fatal(err)
	}
}

// received returns the texts Maria got since the last call.
func (a *agentRig) received() []string {
	a.t.Helper()
	a.deliverAll()
	msgs, err := a.st.SimMessages(a.ctx, "+5511988887777")
	if err != nil {
		a.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs[a.seen:] {
		out = append(out, m.Text)
	}
	a.seen = len(msgs)
	return out
}

func (a *agentRig) lastEntry() bot.TranscriptEntry {
	a.t.Helper()
	entries, err := a.st.Transcript(a.ctx, a.conv)
	if err != nil || len(entries) == 0 {
		a.t.Fatalf("transcript: %v", err)
	}
	return entries[len(entries)-1]
}

func (a *agentRig) events(kind string) []map[string]any {
	a.t.Helper()
	var out []map[string]any
	rows, err := a.st.DB.QueryContext(a.ctx, `SELECT payload FROM outbox WHERE kind = 'event' AND event_type = $1 ORDER BY created_at, id`, kind)
	if err != nil {
		a.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			a.t.Fatal(err)
		}
		var body struct{ Data map[string]any }
		if err := json.Unmarshal([]byte(p), &body); err != nil {
			a.t.Fatal(err)
		}
		out = append(out, body.Data)
	}
	return out
}

func (a *agentRig) hasEntry(author, text string) bool {
	a.t.Helper()
	entries, err := a.st.Transcript(a.ctx, a.conv)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, e := range entries {
		if e.Author == author && e.Text == text {
			return true
		}
	}
	return false
}

func wantCode(t *testing.T, err error, code bot.ErrorCode) {
	t.Helper()
	if bot.ErrorCodeOf(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func TestAgentTakesOverRepliesAndHandsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAgentRig(t, st)
		a.say("a3", "quero falar com uma pessoa")
		a.received()

		conv, err := a.engine.Takeover(a.ctx, a.conv, "ana")
		if err != nil || conv.Agent != "ana" || conv.State != "with_agent" || conv.Status != bot.StatusOpen {
			t.Fatalf("takeover: %+v %v", conv, err)
		}
		if e := a.lastEntry(); e.Author != "agent:ana" || !strings.Contains(e.Text, "took over") {
			t.Fatalf("takeover entry: %+v", e)
		}
		_, err = a.engine.Takeover(a.ctx, a.conv, "bia")
		wantCode(t, err, bot.CodeConflict)
		_, err = a.engine.AgentReply(a.ctx, a.conv, "bia", "Oi!")
		wantCode(t, err, bot.CodeConflict)
		_, err = a.engine.AgentReply(a.ctx, a.conv, "ana", "   ")
		wantCode(t, err, bot.CodeInvalid)
		_, err = a.engine.Takeover(a.ctx, "cnv_unknown", "ana")
		wantCode(t, err, bot.CodeNotFound)
		_, err = a.engine.Takeover(a.ctx, a.conv, "")
		wantCode(t, err, bot.CodeInvalid)

		if _, err := a.engine.AgentReply(a.ctx, a.conv, "ana", "Oi Maria, aqui é a Ana. Vi sua fatura de outubro."); err != nil {
			t.Fatal(err)
		}
		got := a.received()
		if len(got) != 1 || got[0] != "*ana* (Quita Demo):\nOi Maria, aqui é a Ana. Vi sua fatura de outubro." {
			t.Fatalf("agent reply as received: %q", got)
		}
		if e := a.lastEntry(); e.Author != "agent:ana" || e.Direction != bot.DirectionOut || e.Status != bot.DeliverySent {
			t.Fatalf("agent reply entry: %+v", e)
		}

		// The bot stays quiet while Ana holds the conversation.
		if out := a.say("a4", "quanto devo?"); out.State != "with_agent" || len(a.received()) != 0 {
			t.Fatalf("bot spoke over the agent: %+v", out)
		}
		_, err = a.engine.Release(a.ctx, a.conv, "bia")
		wantCode(t, err, bot.CodeConflict)
		conv, err = a.engine.Release(a.ctx, a.conv, "ana")
		if err != nil || conv.Agent != "" || conv.State != "menu" {
			t.Fatalf("release: %+v %v", conv, err)
		}
		if out := a.say("a5", "quanto devo?"); len(a.received()) == 0 || out.State == "with_agent" {
			t.Fatalf("bot silent after hand-back: %+v", out)
		}

		conv, err = a.engine.Resolve(a.ctx, a.conv, "ana")
		if err != nil || conv.Status != bot.StatusResolved {
			t.Fatalf("resolve: %+v %v", conv, err)
		}
		if evs := a.events("conversation.resolved"); len(evs) != 1 || evs[0]["resolved_by"] != "ana" || evs[0]["conversation_id"] != a.conv {
			t.Fatalf("resolved events: %+v", evs)
		}
		entries, _ := a.st.Transcript(a.ctx, a.conv)
		if v := transcript.Verify(entries); !v.OK {
			t.Fatalf("chain broken: %+v", v)
		}
	})
}

func TestAgentConfirmsOrRejectsAReceipt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAgentRig(t, st)
		_, err := a.engine.ConfirmPayment(a.ctx, a.conv, "ana", "")
		wantCode(t, err, bot.CodeConflict) // nothing claimed yet
		_, err = a.engine.ConfirmPaymentAsAdmin(a.ctx, a.conv, "root", "")
		wantCode(t, err, bot.CodeInvalid) // an admin must name the invoice
		_, err = a.engine.ConfirmPayment(a.ctx, a.conv, "ana", "INV-404")
		wantCode(t, err, bot.CodeNotFound)

		claim := func(id string) {
			a.say(id+"a", "já paguei")
			in := inbound(id+"b", "")
			in.Media = &bot.Media{Type: "image", MIME: "image/jpeg", Filename: "comprovante.jpg", Data: []byte("jpeg")}
			if _, err := a.engine.HandleInbound(a.ctx, in); err != nil {
				t.Fatal(err)
			}
			a.received()
			cols, _ := a.st.Collections(a.ctx, []string{"INV-1"})
			if cols["INV-1"].Status != bot.CollectionClaimed {
				t.Fatalf("claim not recorded: %+v", cols)
			}
		}

		claim("r1")
		if _, err := a.engine.RejectPayment(a.ctx, a.conv, "ana", "", "comprovante de outra conta"); err != nil {
			t.Fatal(err)
		}
		got := a.received()
		if len(got) != 1 || !strings.Contains(got[0], "ainda não conseguiu localizar o pagamento de Internet outubro") ||
			strings.Contains(got[0], "outra conta") {
			t.Fatalf("rejection as received: %q", got)
		}
		cols, _ := a.st.Collections(a.ctx, []string{"INV-1"})
		if cols["INV-1"].Status != bot.CollectionActive {
			t.Fatalf("collection after rejection: %+v", cols)
		}
		if !a.hasEntry("agent:ana", "ana rejected the receipt for INV-1: comprovante de outra conta") {
			t.Fatal("no agent entry for the rejection")
		}

		claim("r2")
		if _, err := a.engine.ConfirmPayment(a.ctx, a.conv, "ana", ""); err != nil {
			t.Fatal(err)
		}
		if got := a.received(); len(got) != 1 || !strings.Contains(got[0], "confirmou o pagamento de Internet outubro") {
			t.Fatalf("confirmation as received: %q", got)
		}
		inv, err := a.st.Invoice(a.ctx, "INV-1")
		if err != nil || inv.Status != bot.InvoicePaid {
			t.Fatalf("invoice after confirmation: %+v %v", inv, err)
		}
		var confirmed []map[string]any
		for _, ev := range a.events("payment.claimed") {
			if ev["confirmed"] == true {
				confirmed = append(confirmed, ev)
			}
		}
		if len(confirmed) != 1 || confirmed[0]["confirmed_by"] != "ana" || confirmed[0]["invoice_id"] != "INV-1" {
			t.Fatalf("confirmed claim events: %+v", confirmed)
		}
	})
}

func TestMessagesThatAreRecordedButNotAnswered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAgentRig(t, st)
		kinds := []struct {
			kind                bot.InboundKind
			text                string
			wantAuthor, wantDir string
			wantState, wantAgnt string
		}{
			{bot.InboundHistory, "mensagem antiga", bot.AuthorDebtor, bot.DirectionIn, "menu_full", ""},
			{bot.InboundUndecryptable, "", bot.AuthorSystem, bot.DirectionSystem, "menu_full", ""},
			{bot.InboundOperator, "Oi Maria, é a Carla da loja", "agent:phone", bot.DirectionOut, "with_agent", engine.OperatorAgent},
		}
		for i, k := range kinds {
			in := inbound("k"+string(rune('0'+i)), k.text)
			in.Kind = k.kind
			if err := a.engine.Receive(a.ctx, in); err != nil {
				t.Fatal(err)
			}
			var e bot.TranscriptEntry
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if e = a.lastEntry(); e.Author == k.wantAuthor && e.Direction == k.wantDir {
					break
				}
			}
			if e.Author != k.wantAuthor || e.Direction != k.wantDir || (k.text != "" && e.Text != k.text) {
				t.Fatalf("%s: entry %+v", k.kind, e)
			}
			if got := a.received(); len(got) != 0 {
				t.Fatalf("%s was answered: %q", k.kind, got)
			}
			conv, _ := a.st.Conversation(a.ctx, a.conv)
			if conv.State != k.wantState || conv.Agent != k.wantAgnt {
				t.Fatalf("%s: conversation %s agent %q", k.kind, conv.State, conv.Agent)
			}
		}
		// A redelivered message is a no-op.
		in := inbound("k0", "mensagem antiga")
		in.Kind = bot.InboundHistory
		before, _ := a.st.Transcript(a.ctx, a.conv)
		if err := a.engine.Receive(a.ctx, in); err != nil {
			t.Fatal(err)
		}
		if after, _ := a.st.Transcript(a.ctx, a.conv); len(after) != len(before) {
			t.Fatalf("redelivery added entries: %d → %d", len(before), len(after))
		}
	})
}

func TestDeliveryReportsMoveStatusForwardOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAgentRig(t, st)
		out := a.say("d1", "quanto devo?")
		items, err := a.st.OutboxItems(a.ctx, out.OutboxIDs)
		if err != nil || len(items) == 0 || items[0].ExternalID == "" {
			t.Fatalf("sent items: %+v %v", items, err)
		}
		ext := items[0].ExternalID
		status := func() string {
			entries, _ := a.st.Transcript(a.ctx, a.conv)
			for _, e := range entries {
				if e.OutboxID == items[0].ID {
					return e.Status
				}
			}
			return "missing"
		}
		steps := []struct{ report, want string }{
			{bot.DeliveryDelivered, bot.DeliveryDelivered},
			{bot.DeliverySent, bot.DeliveryDelivered}, // late, ignored
			{bot.DeliveryRead, bot.DeliveryRead},
			{bot.DeliveryFailed, bot.DeliveryRead}, // not believed after a read
			{bot.DeliveryDelivered, bot.DeliveryRead},
		}
		for _, s := range steps {
			if err := a.engine.Report(a.ctx, bot.DeliveryReport{Transport: sim.Name, ExternalID: ext, Status: s.report}); err != nil {
				t.Fatal(err)
			}
			if got := status(); got != s.want {
				t.Fatalf("after %s: status %s, want %s", s.report, got, s.want)
			}
		}
		if err := a.engine.Report(a.ctx, bot.DeliveryReport{Transport: sim.Name, ExternalID: "not-ours", Status: bot.DeliveryRead}); err != nil {
			t.Fatalf("a receipt for someone else's message: %v", err)
		}
		err = a.engine.Report(a.ctx, bot.DeliveryReport{Transport: sim.Name, ExternalID: ext, Status: "bogus"})
		wantCode(t, err, bot.CodeInvalid)
	})
}

func TestIdleHeldConversationsAreHandedBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAgentRig(t, st)
		if n, err := a.engine.ReleaseIdle(a.ctx); n != 0 || err != nil {
			t.Fatalf("policy without auto-release released %d (%v)", n, err)
		}
		pol := policy.Default()
		pol.Handoff.AutoReleaseIdleMinutes = 30
		a.rig = newRigWithPolicy(t, st, pol)
		if _, err := a.engine.Takeover(a.ctx, a.conv, "ana"); err != nil {
			t.Fatal(err)
		}
		a.clock.Advance(29 * time.Minute)
		if n, _ := a.engine.ReleaseIdle(a.ctx); n != 0 {
			t.Fatal("released before the idle time")
		}
		a.clock.Advance(2 * time.Minute)
		if n, err := a.engine.ReleaseIdle(a.ctx); n != 1 || err != nil {
			t.Fatalf("released %d (%v), want 1", n, err)
		}
		conv, _ := a.st.Conversation(a.ctx, a.conv)
		if conv.Agent != "" || conv.State != "menu" {
			t.Fatalf("after auto-release: %+v", conv)
		}
		if !a.hasEntry(bot.AuthorSystem, "handed back to the bot after 30 minutes without activity (held by ana)") {
			t.Fatal("auto-release not announced in the transcript")
		}
		if n, _ := a.engine.ReleaseIdle(a.ctx); n != 0 {
			t.Fatal("released twice")
		}
	})
}

// An agent can only confirm a pending claim: marking an invoice nobody
// claimed as paid is a conflict, and leaves it open. An admin may, and the
// transcript records it as the admin's decision.
func TestConfirmingAPaymentWithoutAClaimIsAnAdminAction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAgentRig(t, st)
		_, err := a.engine.ConfirmPayment(a.ctx, a.conv, "ana", "INV-1")
		wantCode(t, err, bot.CodeConflict)
		if inv, _ := a.st.Invoice(a.ctx, "INV-1"); inv.Status != bot.InvoiceOpen {
			t.Fatalf("an agent marked an unclaimed invoice %s", inv.Status)
		}
		if evs := a.events("payment.claimed"); len(evs) != 0 {
			t.Fatalf("billing was told of a confirmation nobody checked: %+v", evs)
		}
		if _, err := a.engine.ConfirmPaymentAsAdmin(a.ctx, a.conv, "root", "INV-1"); err != nil {
			t.Fatal(err)
		}
		if inv, _ := a.st.Invoice(a.ctx, "INV-1"); inv.Status != bot.InvoicePaid {
			t.Fatalf("admin confirmation left the invoice %s", inv.Status)
		}
		if !a.hasEntry("agent:root", "root (admin) marked INV-1 paid without a pending payment claim") {
			t.Fatal("the admin's decision is not in the transcript")
		}
	})
}
