package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// A conversation, a payment, an erasure, and a fresh message from the same
// number: it starts a new conversation as an unknown number, and the old
// transcript, without its words, still verifies.
func TestAfterErasureTheNumberStartsFresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		first, err := r.engine.HandleInbound(ctx, inbound("m1", "bom dia"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.engine.HandleInbound(ctx, inbound("m2", "sim sou eu")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.SetInvoiceStatus(ctx, "INV-1", bot.InvoicePaid, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		// seedMaria's customer has no billing id: Quita's own id names it.
		if _, err := st.EraseCustomer(ctx, store.ErasureRequest{CustomerID: "cus_maria", Reason: "titular pediu",
			Actor: "api", At: r.clock.Now(), ID: "era_1", EventID: "evt_era_1"}); err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(time.Hour)
		again, err := r.engine.HandleInbound(ctx, inbound("m3", "bom dia"))
		if err != nil {
			t.Fatal(err)
		}
		if again.ConversationID == first.ConversationID {
			t.Fatal("the erased conversation was continued")
		}
		if err := r.sender.Deliver(ctx, again.OutboxIDs); err != nil {
			t.Fatal(err)
		}
		msgs, _ := st.SimMessages(ctx, "+5511988887777")
		for _, m := range msgs {
			if strings.Contains(m.Text, "Maria") || strings.Contains(m.Text, "100,00") {
				t.Fatalf("the fresh conversation knows the erased debtor: %q", m.Text)
			}
		}
		if len(msgs) == 0 {
			t.Fatal("the unknown number got no answer")
		}
		old, _ := st.Transcript(ctx, first.ConversationID)
		if v := transcript.Verify(old); !v.OK || v.Erased != len(old) || v.Entries == 0 {
			t.Fatalf("erased transcript: %+v", v)
		}
	})
}
