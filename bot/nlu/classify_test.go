package nlu

import (
	"sync"
	"testing"
	"testing/fstest"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/locales"
)

// The labelling rules of contract §3 and the hard cases of real WhatsApp
// Portuguese, one line each.
func TestLabellingRules(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	cases := []struct {
		text string
		want bot.Intent
	}{
		// Negation labels what is left.
		{"não paguei ainda", bot.IntentNegative},
		{"ainda não paguei mas pago amanhã", bot.IntentPromiseToPay},
		{"não quero parcelar, quero pagar tudo agora", bot.IntentPayNow},
		{"não recebi o boleto", bot.IntentInvoiceNotReceived},
		{"nao chegou nada", bot.IntentInvoiceNotReceived},
		{"recebi nada ate agora", bot.IntentInvoiceNotReceived},
		{"nao recebi meu salario ainda", bot.IntentFinancialHardship},
		{"paguei não", bot.IntentNegative},
		{"não quero pagar à vista, prefiro parcelar", bot.IntentRequestInstallments},
		// Identity.
		{"nao sou eu", bot.IntentWrongPerson},
		{"não conheço essa pessoa", bot.IntentWrongPerson},
		{"não sou a Maria", bot.IntentWrongPerson},
		{"esse número não é mais dele", bot.IntentWrongPerson},
		{"sou eu mas não devo", bot.IntentDisputeAmount},
		{"sou eu sim", bot.IntentAffirmative},
		// Precedence.
		{"numero errado, para de mandar", bot.IntentWrongPerson},
		{"ja paguei, para de me cobrar", bot.IntentAlreadyPaid},
		{"para de me mandar msg que eu nao devo nada", bot.IntentOptOut},
		{"isso ta errado, quero falar com um atendente", bot.IntentHumanAgent},
		{"to desempregado, da pra parcelar em 5x?", bot.IntentRequestInstallments},
		{"bom dia, ja paguei viu", bot.IntentAlreadyPaid},
		{"ok obrigado", bot.IntentAffirmative},
		{"nao, valeu", bot.IntentNegative},
		// already_paid claims the whole debt.
		{"paguei metade e vcs cobram tudo", bot.IntentDisputeAmount},
		{"ja paguei uma parte, posso parcelar o que falta?", bot.IntentRequestInstallments},
		// Commitment vs request.
		{"pago sexta", bot.IntentPromiseToPay},
		{"sexta ta pago", bot.IntentPromiseToPay},
		{"amanha eu pago, ok?", bot.IntentPromiseToPay},
		{"posso pagar dia 10?", bot.IntentRequestExtension},
		{"pago assim que der", bot.IntentRequestExtension},
		{"preciso de mais prazo", bot.IntentRequestExtension},
		// Copy vs pay.
		{"manda a segunda via", bot.IntentInvoiceNotReceived},
		{"o boleto venceu, manda outro", bot.IntentInvoiceNotReceived},
		{"me passa o pix", bot.IntentPayNow},
		{"qual a chave pix?", bot.IntentPayNow},
		// Splits, neutral and hostile questions.
		{"quanto fica em 12x?", bot.IntentRequestInstallments},
		{"quero fazer um acordo", bot.IntentRequestInstallments},
		{"pago a metade dia 10 e o resto dia 30", bot.IntentRequestInstallments},
		{"quanto fica com juros?", bot.IntentBalanceInquiry},
		{"esse juros ta absurdo", bot.IntentDisputeAmount},
		{"isso é golpe?", bot.IntentDisputeAmount},
		// Opt-out and agents.
		{"parem de me mandar mensagem", bot.IntentOptOut},
		{"PARA", bot.IntentOptOut},
		{"não quero mais receber mensagens", bot.IntentOptOut},
		{"quero falar com um atendente", bot.IntentHumanAgent},
		// Short answers, emoji, placeholders.
		{"1", bot.IntentAffirmative},
		{"2", bot.IntentNegative},
		{"👍", bot.IntentAffirmative},
		{"👍🏽", bot.IntentAffirmative},
		{"🙏", bot.IntentThanks},
		{"simmm", bot.IntentAffirmative},
		{"obrigadaaa", bot.IntentThanks},
		{"ñ", bot.IntentNegative},
		{"<áudio>", bot.IntentUnknown},
		{"[figurinha]", bot.IntentUnknown},
		{"kkkk", bot.IntentUnknown},
		{"teste", bot.IntentUnknown},
		{"", bot.IntentUnknown},
		{"vcs vendem pizza?", bot.IntentUnknown},
		{"oi", bot.IntentGreeting},
		// Typos and abbreviations.
		{"boletu", bot.IntentInvoiceNotReceived},
		{"quero parselar", bot.IntentRequestInstallments},
		{"da pra fazer umas parcelinhas?", bot.IntentRequestInstallments},
		{"vc pode me mandar o boleto hj pfv", bot.IntentInvoiceNotReceived},
		{"ja ta quitadu", bot.IntentAlreadyPaid},
		{"oi bom dia moça eu queria saber se da pra parcelar essa conta ai porque eu to meio apertado esse mes", bot.IntentRequestInstallments},
	}
	for _, tc := range cases {
		got := c.Classify(tc.text, "pt-BR", now)
		if got.Intent != tc.want {
			t.Errorf("%q: %s (%.2f), want %s", tc.text, got.Intent, got.Confidence, tc.want)
		}
	}
}

func TestOtherLocales(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	cases := []struct {
		locale, text string
		want         bot.Intent
	}{
		{"en", "I already paid", bot.IntentAlreadyPaid},
		{"en", "haven't paid yet but I'll pay tomorrow", bot.IntentPromiseToPay},
		{"en", "I don't want installments, I'll pay the full amount now", bot.IntentPayNow},
		{"en", "wrong number", bot.IntentWrongPerson},
		{"en", "stop texting me", bot.IntentOptOut},
		{"en", "can I pay on the 15th?", bot.IntentRequestExtension},
		{"es", "ya pagué", bot.IntentAlreadyPaid},
		{"es", "todavía no pagué pero mañana pago", bot.IntentPromiseToPay},
		{"es", "no soy esa persona", bot.IntentWrongPerson},
		{"es", "dejen de escribirme", bot.IntentOptOut},
		{"es", "puedo pagar en cuotas?", bot.IntentRequestInstallments},
	}
	for _, tc := range cases {
		if got := c.Classify(tc.text, tc.locale, now); got.Intent != tc.want {
			t.Errorf("%s %q: %s, want %s", tc.locale, tc.text, got.Intent, tc.want)
		}
	}
}

func TestLocaleFallback(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	for _, loc := range []string{"", "xx", "pt", "pt_BR", "PT-br"} {
		if got := c.Classify("já paguei", loc, now).Intent; got != bot.IntentAlreadyPaid {
			t.Errorf("locale %q: %s", loc, got)
		}
	}
	if got := c.Classify("I already paid", "en-US", now).Intent; got != bot.IntentAlreadyPaid {
		t.Errorf("en-US: %s", got)
	}
	if got := c.Locales(); len(got) != 3 {
		t.Errorf("locales %v", got)
	}
}

func TestButtonIDs(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	for id, want := range map[string]bot.Intent{
		"pay_now": bot.IntentPayNow, "intent:opt_out": bot.IntentOptOut,
		"menu:3": bot.IntentUnknown, "plan_12x": bot.IntentUnknown,
	} {
		got := c.Classify(id, "pt-BR", now)
		if got.Intent != want || got.Entities.Option != id {
			t.Errorf("%q: %+v", id, got)
		}
	}
}

// Confidence says how sure the classifier is: low for unknown, high for a
// clear cue, lower when strong cues compete.
func TestConfidence(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	conf := func(s string) float64 { return c.Classify(s, "pt-BR", now).Confidence }
	if v := conf("já paguei"); v < 0.9 {
		t.Errorf("clear cue: %.2f", v)
	}
	if v := conf("blablabla xyz"); v > 0.35 {
		t.Errorf("unknown: %.2f", v)
	}
	if a, b := conf("já paguei"), conf("já paguei, para de mandar mensagem e quero falar com atendente"); b >= a {
		t.Errorf("competing cues %.2f not below clear %.2f", b, a)
	}
	for _, s := range []string{"", "1", "boleto", "oi", "kkk", "pago sexta"} {
		if v := conf(s); v < 0 || v > 1 {
			t.Errorf("%q: %.2f out of range", s, v)
		}
	}
}

func TestIntentListsAgree(t *testing.T) {
	if len(precedence) != numIntents || len(bot.AllIntents) != numIntents || len(locales.NLUIntents) != numIntents || len(tier) != numIntents {
		t.Fatalf("intent lists disagree: %d %d %d %d", len(precedence), len(bot.AllIntents), len(locales.NLUIntents), len(tier))
	}
	for _, in := range bot.AllIntents {
		if intentIndex(string(in)) < 0 {
			t.Errorf("%s missing from precedence", in)
		}
	}
	for _, n := range locales.NLUIntents {
		if intentIndex(n) < 0 {
			t.Errorf("locales lists unknown intent %s", n)
		}
	}
}

func TestTopicListsAgree(t *testing.T) {
	if len(topicPrecedence) != len(locales.NLUTopics) {
		t.Fatalf("topic lists disagree: %v %v", topicPrecedence, locales.NLUTopics)
	}
	for _, n := range locales.NLUTopics {
		if topicIndex(n) < 0 {
			t.Errorf("locales lists topic %s the classifier does not rank", n)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	want := map[string]bot.Classification{}
	for _, m := range benchMix {
		want[m.text] = c.Classify(m.text, m.locale, now)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				m := benchMix[(i+g)%len(benchMix)]
				if got := c.Classify(m.text, m.locale, now); got != want[m.text] {
					t.Errorf("%q: %+v, want %+v", m.text, got, want[m.text])
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestNewErrors(t *testing.T) {
	noDefault := fstest.MapFS{"nlu/en.nlu": {Data: []byte("[locale]\nname = en\n[concept A]\na\n[intent greeting]\nA\n")}}
	if _, err := New(noDefault); err == nil {
		t.Error("a data set without pt-BR was accepted")
	}
	if _, err := New(fstest.MapFS{}); err == nil {
		t.Error("an empty data set was accepted")
	}
}

func TestTypoMatching(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"boleto", "boletu", true}, {"boleto", "bolto", true}, {"boleto", "boelto", true},
		{"boleto", "boletos", true}, {"boleto", "bilhete", false}, {"pagar", "pagar", true},
	} {
		if got := oneEdit(tc.a, tc.b); got != tc.want {
			t.Errorf("oneEdit(%q,%q) = %v", tc.a, tc.b, got)
		}
	}
	if !prefixOneEdit("parcel", "parselamento") || prefixOneEdit("parcel", "parece") {
		t.Error("prefixOneEdit")
	}
}
