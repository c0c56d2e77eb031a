package nlu

import (
	"testing"
	"time"
)

// The reference moment of every entity test: Monday 2026-11-23 10:00 in
// São Paulo (the corpus uses the same).
func TestDates(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	cases := []struct{ locale, text, want string }{
		{"pt-BR", "pago dia 10", "2026-12-10"},
		{"pt-BR", "pago dia 23", "2026-11-23"}, // today is not in the past
		{"pt-BR", "pago dia 30", "2026-11-30"},
		{"pt-BR", "pago dia 31", "2026-12-31"}, // November has no 31st
		{"pt-BR", "pago dia primeiro", "2026-12-01"},
		{"pt-BR", "amanhã eu pago", "2026-11-24"},
		{"pt-BR", "amanha eu pago", "2026-11-24"},
		{"pt-BR", "depois de amanhã", "2026-11-25"},
		{"pt-BR", "hoje eu pago", "2026-11-23"},
		{"pt-BR", "hj eu pago", "2026-11-23"},
		{"pt-BR", "pago sexta", "2026-11-27"},
		{"pt-BR", "pago sexta-feira", "2026-11-27"},
		{"pt-BR", "pago na sex", "2026-11-27"},
		{"pt-BR", "pago segunda", "2026-11-30"}, // a weekday is the next one after today
		{"pt-BR", "pago quarta feira", "2026-11-25"},
		{"pt-BR", "semana que vem eu pago", "2026-11-30"},
		{"pt-BR", "pago 10/12", "2026-12-10"},
		{"pt-BR", "pago 10/12/2026", "2026-12-10"},
		{"pt-BR", "pago 05/01/27", "2027-01-05"},
		{"pt-BR", "pago no fim do mês", "2026-11-30"},
		{"pt-BR", "pago dia 5 de janeiro", "2027-01-05"},
		{"pt-BR", "pago 5 de janeiro", "2027-01-05"},
		{"pt-BR", "pago mês que vem", "2026-12-01"},
		{"pt-BR", "pago no próximo mês", "2026-12-01"},
		{"pt-BR", "daqui a 3 dias eu pago", "2026-11-26"},
		{"pt-BR", "daqui duas semanas eu pago", "2026-12-07"},
		{"pt-BR", "pago no fim de semana", "2026-11-28"},
		{"pt-BR", "paguei dia 20", "2026-11-20"}, // a payment made looks back
		{"pt-BR", "paguei sexta", "2026-11-20"},
		{"pt-BR", "paguei ontem", "2026-11-22"},
		{"pt-BR", "manda a segunda via", ""}, // "segunda" here is no weekday
		{"pt-BR", "pago dia 45", ""},
		{"en", "I'll pay tomorrow", "2026-11-24"},
		{"en", "I'll pay on the 10th", "2026-12-10"},
		{"en", "I'll pay 12/10", "2026-12-10"}, // US order
		{"en", "will pay on Friday", "2026-11-27"},
		{"en", "I'll pay next week", "2026-11-30"},
		{"en", "by the end of the month", "2026-11-30"},
		{"en", "on December 15", "2026-12-15"},
		{"es", "pago mañana", "2026-11-24"},
		{"es", "pago pasado mañana", "2026-11-25"},
		{"es", "el viernes pago", "2026-11-27"},
		{"es", "pago el 10", "2026-12-10"},
		{"es", "pago 10/12", "2026-12-10"},
		{"es", "la próxima semana pago", "2026-11-30"},
		{"es", "pago a fin de mes", "2026-11-30"},
		{"es", "por la mañana pago", ""},
	}
	for _, tc := range cases {
		if got := c.Classify(tc.text, tc.locale, now).Entities.Date; got != tc.want {
			t.Errorf("%s %q: date %q, want %q", tc.locale, tc.text, got, tc.want)
		}
	}
}

// Dates resolve in the location of now: 23:30 on Monday in São Paulo is
// already Tuesday in UTC, and "amanhã" must still be Tuesday.
func TestDatesUseNowLocation(t *testing.T) {
	c := newTestClassifier(t)
	late := time.Date(2026, 11, 23, 23, 30, 0, 0, refTime(t).Location())
	if got := c.Classify("amanhã eu pago", "pt-BR", late).Entities.Date; got != "2026-11-24" {
		t.Errorf("got %s", got)
	}
	if got := c.Classify("amanhã eu pago", "pt-BR", late.UTC()).Entities.Date; got != "2026-11-25" {
		t.Errorf("in UTC got %s", got)
	}
}

func TestAmounts(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	cases := []struct {
		locale, text string
		want         int64
	}{
		{"pt-BR", "paguei R$ 150,00", 15000},
		{"pt-BR", "paguei R$150", 15000},
		{"pt-BR", "paguei 150 reais", 15000},
		{"pt-BR", "paguei 1.234,56", 123456},
		{"pt-BR", "o valor é R$ 1.234", 123400},
		{"pt-BR", "paguei cento e cinquenta reais", 15000},
		{"pt-BR", "dois mil e quinhentos reais", 250000},
		{"pt-BR", "vinte e cinco reais e cinquenta centavos", 2550},
		{"pt-BR", "300 conto", 30000},
		{"pt-BR", "150 pila", 15000},
		{"pt-BR", "2 mil reais", 200000},
		{"pt-BR", "posso dar 100 de entrada", 10000},
		{"pt-BR", "quero pagar os 150 agora", 15000},
		{"pt-BR", "em 3 parcelas de 50", 5000},
		{"pt-BR", "pago dia 10", 0},
		{"pt-BR", "quero parcelar em 3x", 0},
		{"en", "I paid the $150 yesterday", 15000},
		{"en", "one hundred and fifty dollars", 15000},
		{"en", "$1,234.56", 123456},
		{"es", "ya pagué los 150 pesos ayer", 15000},
		{"es", "ciento cincuenta pesos", 15000},
	}
	for _, tc := range cases {
		if got := c.Classify(tc.text, tc.locale, now).Entities.AmountCents; got != tc.want {
			t.Errorf("%s %q: amount %d, want %d", tc.locale, tc.text, got, tc.want)
		}
	}
}

func TestInstallments(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	cases := []struct {
		locale, text string
		want         int
	}{
		{"pt-BR", "quero parcelar em 3x", 3},
		{"pt-BR", "3x", 3},
		{"pt-BR", "em 3 vezes", 3},
		{"pt-BR", "parcelar 3 vz", 3},
		{"pt-BR", "três parcelas", 3},
		{"pt-BR", "tres parcelas", 3},
		{"pt-BR", "dá pra fazer em 12 meses?", 12},
		{"pt-BR", "doze parcelas", 12},
		{"pt-BR", "dá pra parcelar em duas?", 2},
		{"pt-BR", "quanto fica em 10x?", 10},
		{"pt-BR", "liguei 3 vezes e ninguém atendeu", 0},
		{"pt-BR", "pago em 10 dias", 0},
		{"en", "can I pay in 3 installments?", 3},
		{"en", "split it into 4 payments", 4},
		{"en", "over twelve months", 12},
		{"es", "en 3 cuotas", 3},
		{"es", "se puede dividir en 3 pagos?", 3},
	}
	for _, tc := range cases {
		if got := c.Classify(tc.text, tc.locale, now).Entities.Installments; got != tc.want {
			t.Errorf("%s %q: installments %d, want %d", tc.locale, tc.text, got, tc.want)
		}
	}
}

func TestOptions(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	cases := []struct{ locale, text, want string }{
		{"pt-BR", "3", "3"},
		{"pt-BR", " 4. ", "4"},
		{"pt-BR", "opção 2", "2"},
		{"pt-BR", "opcao 4", "4"},
		{"pt-BR", "quero a 3", "3"},
		{"pt-BR", "pay_now", "pay_now"},
		{"pt-BR", "menu:installments", "menu:installments"},
		{"pt-BR", "pago dia 3", ""},
		{"pt-BR", "1", "1"},
		{"en", "option 2", "2"},
		{"es", "opción 3", "3"},
	}
	for _, tc := range cases {
		if got := c.Classify(tc.text, tc.locale, now).Entities.Option; got != tc.want {
			t.Errorf("%s %q: option %q, want %q", tc.locale, tc.text, got, tc.want)
		}
	}
}
