package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/nlu"
	"github.com/quitabot/quita/bot/pix"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// negotiationRig is newRig with a policy of the test's choosing.
func negotiationRig(t *testing.T, st *store.Store, p policy.Policy) *rig {
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
	e, err := engine.New(engine.Config{Store: st, Classifier: classifier, Catalog: catalog, Policy: p,
		Clock: clk, IDs: ids, Coord: coord.NewMemory(), Location: saoPaulo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return &rig{st: st, engine: e, clock: clk, sender: engine.NewSender(st, clk, nil, nil, sim.New(st, clk, ids))}
}

// chat sends text and returns the outcome and the texts of the replies.
func (r *rig) chat(t *testing.T, id, text string) (engine.Outcome, []string) {
	t.Helper()
	ctx := context.Background()
	out, err := r.engine.HandleInbound(ctx, inbound(id, text))
	if err != nil {
		t.Fatal(err)
	}
	items, _ := r.st.OutboxItems(ctx, out.OutboxIDs)
	var texts []string
	for _, it := range items {
		m, _ := engine.DecodeMessage(it)
		texts = append(texts, m.Text)
	}
	return out, texts
}

// TestPlanOverTheRealPipeline: Maria owes R$ 104,00 today (R$ 100,00 due
// 24/09 with charges), asks to split it, picks the plan, and gets the
// schedule, from the next business day, and a Pix code for the first
// installment.
func TestPlanOverTheRealPipeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		p := policy.Default()
		p.Company.Name = "Loja Exemplo"
		p.Pix = policy.Pix{Key: "pix@lojaexemplo.com.br", MerchantCity: "SAO PAULO"}
		r := negotiationRig(t, st, p)
		r.chat(t, "n1", "oi")
		r.chat(t, "n2", "sim sou eu")
		out, texts := r.chat(t, "n3", "da pra parcelar?")
		want := "Estas são as opções de parcelamento da Loja Exemplo para o valor atualizado de hoje, R$ 104,00:\n" +
			"• Internet outubro (vencimento 24/09)\n1 - 2x de R$ 52,26 (total R$ 104,52)\n2 - À vista: R$ 104,00\n" +
			"Os valores já incluem juros de 1,00% ao mês.\nÉ só responder com o número da opção que preferir. 😊"
		if out.State != "plan_offer" || len(texts) != 1 || texts[0] != want {
			t.Fatalf("offer %s:\n%s", out.State, strings.Join(texts, "\n---\n"))
		}
		out, texts = r.chat(t, "n4", "1")
		if out.State != "menu" || len(texts) != 3 {
			t.Fatalf("accept %s: %q", out.State, texts)
		}
		if !strings.Contains(texts[0], "• Parcela 1 de 2: R$ 52,26 em 24/11\n• Parcela 2 de 2: R$ 52,26 em 24/12\nTotal: R$ 104,52.") {
			t.Fatalf("schedule:\n%s", texts[0])
		}
		code, err := pix.Parse(texts[2])
		if err != nil || code.AmountCents != 5226 || code.Key != "pix@lojaexemplo.com.br" || code.TxID != "INV1P1" {
			t.Fatalf("pix %q: %+v %v", texts[2], code, err)
		}
		cols, _ := st.Collections(ctx, []string{"INV-1"})
		var detail struct {
			Installments int `json:"installments"`
			Schedule     []struct {
				DueDate     string `json:"due_date"`
				AmountCents int64  `json:"amount_cents"`
			} `json:"schedule"`
		}
		if c := cols["INV-1"]; c.Status != bot.CollectionPlan || c.Until != "2026-12-24" || json.Unmarshal(c.Detail, &detail) != nil ||
			detail.Installments != 2 || len(detail.Schedule) != 2 || detail.Schedule[1].DueDate != "2026-12-24" {
			t.Fatalf("collection %+v %s", c, c.Detail)
		}
		conv, _ := st.Conversation(ctx, out.ConversationID)
		entries, _ := st.Transcript(ctx, out.ConversationID)
		if conv.Status != bot.StatusOpen || !strings.Contains(entries[len(entries)-3].Text+entries[len(entries)-4].Text, "event plan.accepted") {
			t.Fatalf("status %s, entries %+v", conv.Status, entries[len(entries)-4:])
		}
	})
}

// TestPromiseAndExtensionOverTheRealPipeline: a request for more time is
// met with a date instead of a refusal, and the date is recorded.
func TestPromiseAndExtensionOverTheRealPipeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		r.chat(t, "e1", "oi")
		r.chat(t, "e2", "sim")
		out, texts := r.chat(t, "e3", "preciso de mais prazo pra pagar")
		if out.State != "deal_options" || !strings.Contains(texts[0], "1 - Combinar uma data para pagar (até 23/12)\n2 - Ver opções de parcelamento") {
			t.Fatalf("extension %s: %q", out.State, texts)
		}
		out, texts = r.chat(t, "e4", "1")
		if out.State != "promise_ask_date" || !strings.Contains(texts[0], "Pode ser qualquer dia até 23/12") {
			t.Fatalf("ask date %s: %q", out.State, texts)
		}
		out, texts = r.chat(t, "e5", "sexta")
		// R$ 100,00 due 24/09, paid on Friday 27/11: R$ 2,00 multa + R$ 2,13 juros (64 days).
		if out.State != "menu" || !strings.HasPrefix(texts[0], "Combinado, Maria! Anotei o seu pagamento de R$ 104,13 para 27/11:\n• Internet outubro (vencimento 24/09)\nAté lá, a Quita Demo pausa") {
			t.Fatalf("promise %s: %q", out.State, texts)
		}
		if c, _ := st.Collections(ctx, []string{"INV-1"}); c["INV-1"].Status != bot.CollectionPromised || c["INV-1"].Until != "2026-11-27" {
			t.Fatalf("collection %+v", c)
		}
		out, texts = r.chat(t, "e6", "to desempregada, sem condições")
		if out.State != "hardship_ask" || !strings.HasPrefix(texts[0], "Sinto muito por esse momento, Maria.") {
			t.Fatalf("hardship %s: %q", out.State, texts)
		}
	})
}
