package nlu

import (
	"testing"
)

// benchMix is a realistic mix of inbound messages: short answers, typos,
// run-on voice-to-text, entities and the three locales.
var benchMix = []struct{ text, locale string }{
	{"ja paguei", "pt-BR"},
	{"1", "pt-BR"},
	{"oi bom dia tudo bem?", "pt-BR"},
	{"não recebi o boleto desse mês, pode mandar de novo?", "pt-BR"},
	{"quero parcelar em 3x", "pt-BR"},
	{"ainda não paguei mas pago amanhã sem falta", "pt-BR"},
	{"oi boa tarde eu sei que to devendo mas eu perdi o emprego e ta tudo muito dificil aqui em casa, da pra esperar ate o dia 10?", "pt-BR"},
	{"me passa o pix que eu pago agora", "pt-BR"},
	{"nao sou a maria, numero errado", "pt-BR"},
	{"parem de me mandar mensagem", "pt-BR"},
	{"qual o valor atualizado com juros?", "pt-BR"},
	{"posso dar R$ 150,00 de entrada e o resto em doze parcelas?", "pt-BR"},
	{"kkkkk", "pt-BR"},
	{"boletu", "pt-BR"},
	{"👍", "pt-BR"},
	{"I'll pay on Friday", "en"},
	{"can I split it into 3 payments?", "en"},
	{"wrong number, stop texting me", "en"},
	{"ya pagué, aquí está el comprobante", "es"},
	{"puedo pagar el 15?", "es"},
}

func BenchmarkClassify(b *testing.B) {
	c := newTestClassifier(b)
	now := refTime(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := benchMix[i%len(benchMix)]
		c.Classify(m.text, m.locale, now)
	}
}

func BenchmarkClassifyParallel(b *testing.B) {
	c := newTestClassifier(b)
	now := refTime(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m := benchMix[i%len(benchMix)]
			c.Classify(m.text, m.locale, now)
			i++
		}
	})
}

// BenchmarkDetect is the cost of telling a message's language alone.
func BenchmarkDetect(b *testing.B) {
	c := newTestClassifier(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Detect(benchMix[i%len(benchMix)].text)
	}
}

// BenchmarkClassifyDetected is a classification with the language
// detected rather than given, as `quita classify` without --locale and the
// engine do it.
func BenchmarkClassifyDetected(b *testing.B) {
	c := newTestClassifier(b)
	now := refTime(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.ClassifyDetected(benchMix[i%len(benchMix)].text, DefaultLocale, now)
	}
}
