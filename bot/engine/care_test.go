package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// TestCareDisputeHandoffAndOptOut runs seed 003's disputing debtor through
// the real pipeline: the itemised calculation, collection paused, the
// dispute and handoff events, silence while a person is in charge, and an
// opt-out honoured once and then never answered.
func TestCareDisputeHandoffAndOptOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		say := func(id, text string) (string, []string) {
			t.Helper()
			out, err := r.engine.HandleInbound(ctx, inbound(id, text))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.sender.Deliver(ctx, out.OutboxIDs); err != nil {
				t.Fatal(err)
			}
			items, err := st.OutboxItems(ctx, out.OutboxIDs)
			if err != nil {
				t.Fatal(err)
			}
			var texts []string
			for _, it := range items {
				var p struct{ Text string }
				_ = json.Unmarshal(it.Payload, &p)
				texts = append(texts, p.Text)
			}
			return out.State, texts
		}
		say("d1", "oi")
		if state, _ := say("d2", "sim sou eu"); state != "menu_full" {
			t.Fatalf("identity: %s", state)
		}
		state, texts := say("d3", "não devo isso, o valor está errado")
		if state != "with_agent" || len(texts) != 2 {
			t.Fatalf("dispute: %s %q", state, texts)
		}
		// R$ 100,00 due 24/09, 60 days late on 23/11: 2 % multa and 1 % a month.
		for _, want := range []string{"Quita Demo chegou ao valor da fatura Internet outubro (vencimento 24/09)",
			"Valor da fatura: R$ 100,00", "+ Multa por atraso: R$ 2,00", "+ Juros desde 24/09: R$ 2,00", "= Total hoje: R$ 104,00"} {
			if !strings.Contains(texts[0], want) {
				t.Errorf("itemised reply lacks %q:\n%s", want, texts[0])
			}
		}
		if !strings.Contains(texts[1], "fica pausada") || !strings.Contains(texts[1], "em instantes") {
			t.Errorf("closing reply:\n%s", texts[1])
		}
		cols, err := st.Collections(ctx, []string{"INV-1"})
		if err != nil || cols["INV-1"].Status != bot.CollectionDisputed {
			t.Fatalf("collection: %+v %v", cols, err)
		}
		conv, _ := st.ConversationByPhone(ctx, sim.Name, "+5511988887777")
		if conv.Status != bot.StatusNeedsAgent {
			t.Fatalf("status %s", conv.Status)
		}

		if state, texts := say("d4", "alô? tem alguém aí?"); state != "with_agent" || len(texts) != 0 {
			t.Fatalf("with an agent the bot spoke: %s %q", state, texts)
		}
		state, texts = say("d5", "para de me mandar mensagem")
		if state != "opted_out" || len(texts) != 1 || !strings.Contains(texts[0], "não receberá mais lembretes da Quita Demo") {
			t.Fatalf("opt-out: %s %q", state, texts)
		}
		conv, _ = st.ConversationByPhone(ctx, sim.Name, "+5511988887777")
		if conv.Status != bot.StatusResolved {
			t.Fatalf("status after opt-out %s", conv.Status)
		}
		// Opting out stops reminders, not answers: the person who writes
		// (confirmed earlier) is answered and told how to receive
		// reminders again.
		if state, texts := say("d6", "oi, quanto devo?"); state != "menu" || len(texts) != 1 ||
			!strings.Contains(texts[0], "VOLTAR") || !strings.Contains(texts[0], "R$ 104,00") {
			t.Fatalf("after opt-out: %s %q", state, texts)
		}
		entries, _ := st.Transcript(ctx, conv.ID)
		var events []string
		ins := 0
		for _, e := range entries {
			if strings.HasPrefix(e.Text, "event ") {
				events = append(events, strings.TrimPrefix(e.Text, "event "))
			}
			if e.Direction == bot.DirectionIn {
				ins++
			}
		}
		if strings.Join(events, ",") != "dispute.opened,conversation.handoff,contact.opted_out" {
			t.Fatalf("events %v", events)
		}
		if ins != 6 {
			t.Fatalf("%d inbound entries recorded, want every message", ins)
		}
	})
}
