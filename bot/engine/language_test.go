package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/nlu"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// TestTheEngineAnswersInTheLanguageTheDebtorWrites: a pt-BR customer who
// writes in Spanish is answered in Spanish at once; an "ok" does not count
// as a language; the second Spanish message makes Spanish the
// conversation's and the customer's language, and the transcript says so.
func TestTheEngineAnswersInTheLanguageTheDebtorWrites(t *testing.T) {
	detector, err := nlu.New(locales.NLUFiles)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		seen := 0
		// say sends text and returns the language of the bot's answers.
		say := func(id, text string) string {
			t.Helper()
			out, err := r.engine.HandleInbound(ctx, inbound(id, text))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.sender.Deliver(ctx, out.OutboxIDs); err != nil {
				t.Fatal(err)
			}
			msgs, _ := st.SimMessages(ctx, "+5511988887777")
			var all string
			for _, m := range msgs[seen:] {
				all += m.Text + "\n"
			}
			seen = len(msgs)
			if all == "" {
				t.Fatalf("%q: no answer", text)
			}
			return detector.Detect(all)
		}
		state := func() (conv, customer string) {
			t.Helper()
			c, err := st.ConversationByPhone(ctx, sim.Name, "+5511988887777")
			if err != nil || c == nil {
				t.Fatalf("conversation: %v", err)
			}
			cu, err := st.Customer(ctx, "cus_maria")
			if err != nil {
				t.Fatal(err)
			}
			return c.Locale, cu.Locale
		}
		if got := say("m1", "bom dia"); got != "pt-BR" {
			t.Fatalf("pt-BR greeting answered in %q", got)
		}
		if got := say("m2", "hola, buenos días, quiero saber cuánto debo"); got != "es" {
			t.Fatalf("Spanish message answered in %q", got)
		}
		if conv, cust := state(); conv == "es" || cust == "es" {
			t.Fatalf("one Spanish message switched the stored language: conversation %q customer %q", conv, cust)
		}
		if got := say("m3", "ok"); got != "es" {
			t.Fatalf(`"ok" after Spanish answered in %q`, got)
		}
		if conv, _ := state(); conv == "es" {
			t.Fatal(`"ok" counted as a Spanish message`)
		}
		if got := say("m4", "sí, soy yo, no tengo plata este mes"); got != "es" {
			t.Fatalf("second Spanish message answered in %q", got)
		}
		if conv, cust := state(); conv != "es" || cust != "es" {
			t.Fatalf("after two Spanish messages: conversation %q customer %q, want es", conv, cust)
		}
		c, _ := st.ConversationByPhone(ctx, sim.Name, "+5511988887777")
		entries, _ := st.Transcript(ctx, c.ID)
		noted := false
		for _, e := range entries {
			if e.Direction == bot.DirectionSystem && e.Author == bot.AuthorSystem && strings.Contains(e.Text, "pt-BR") && strings.Contains(e.Text, "es") {
				noted = true
			}
		}
		if !noted {
			t.Fatal("the language change is not in the transcript")
		}
	})
}

// TestOneStrayMessageDoesNotSwitchTheLanguage: a pt-BR conversation that
// gets one English line and then Portuguese again stays pt-BR.
func TestOneStrayMessageDoesNotSwitchTheLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		seedMaria(t, st)
		r := newRig(t, st, coord.NewMemory())
		for i, text := range []string{"bom dia", "sim sou eu", "ok", "👍", "I already paid yesterday", "qual o valor da minha divida?", "can you send me the invoice"} {
			if _, err := r.engine.HandleInbound(ctx, inbound(string(rune('a'+i)), text)); err != nil {
				t.Fatal(err)
			}
		}
		c, _ := st.ConversationByPhone(ctx, sim.Name, "+5511988887777")
		cu, _ := st.Customer(ctx, "cus_maria")
		if c.Locale == "en" || cu.Locale == "en" {
			t.Fatalf("stray English lines switched the language: conversation %q customer %q", c.Locale, cu.Locale)
		}
	})
}
