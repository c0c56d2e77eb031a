package nlu

import (
	"testing"

	"github.com/quitabot/quita/bot"
)

// topicCase is a message, its locale, and the topic and (when set) intent
// it must get. An empty topic asserts that none is set.
type topicCase struct {
	locale, text, topic string
	intent              bot.Intent
}

// TestTopics checks each topic in the three locales: the wordings the
// flows rely on, typos and abbreviations, and look-alikes that must not
// carry the topic.
func TestTopics(t *testing.T) {
	const (
		who   = bot.TopicWhoIsWriting
		third = bot.TopicThirdParty
		dead  = bot.TopicDeceased
		self  = bot.TopicSelf
		optIn = bot.TopicOptIn
		plan  = bot.TopicPlanCancel
		inst  = bot.TopicInstallment
	)
	cases := []topicCase{
		// who_is_writing
		{"pt-BR", "quem fala?", who, bot.IntentUnknown},
		{"pt-BR", "quem é?", who, bot.IntentUnknown},
		{"pt-BR", "quem é vc", who, bot.IntentUnknown},
		{"pt-BR", "quem ta falando", who, bot.IntentUnknown},
		{"pt-BR", "qm fala", who, bot.IntentUnknown},
		{"pt-BR", "que empresa é essa", who, bot.IntentUnknown},
		{"pt-BR", "q empresa é essa?", who, ""},
		{"pt-BR", "de onde vcs são", who, bot.IntentUnknown},
		{"pt-BR", "do que se trata?", who, ""},
		{"pt-BR", "é sobre o que?", who, ""},
		{"pt-BR", "isso é golpe?", who, ""},
		{"pt-BR", "é golpe?", who, ""},
		{"pt-BR", "isso eh golpe?", who, ""},
		{"pt-BR", "como sei que não é golpe", who, ""},
		{"pt-BR", "qual o CNPJ?", who, bot.IntentUnknown},
		{"pt-BR", "me passa o cnpj de vcs", who, ""},
		{"pt-BR", "quem é você e o que quer comigo", who, bot.IntentUnknown},
		{"pt-BR", "não conheço essa pessoa, quem fala?", who, bot.IntentWrongPerson},
		{"pt-BR", "qual o cnpj pra fazer o pix?", "", bot.IntentPayNow},
		{"pt-BR", "caí num golpe e perdi tudo", "", bot.IntentFinancialHardship},
		{"pt-BR", "quem é a Maria?", "", bot.IntentWrongPerson},
		{"en", "who is this?", who, bot.IntentUnknown},
		{"en", "who's this", who, bot.IntentUnknown},
		{"en", "what company is this", who, bot.IntentUnknown},
		{"en", "is this a scam?", who, ""},
		{"en", "is this legit?", who, ""},
		{"en", "what's your CNPJ", who, bot.IntentUnknown},
		{"en", "what is your company registration number", who, bot.IntentUnknown},
		{"en", "I got scammed last year and lost everything", "", ""},
		{"es", "¿quién habla?", who, bot.IntentUnknown},
		{"es", "¿qué empresa es?", who, bot.IntentUnknown},
		{"es", "¿es una estafa?", who, ""},
		{"es", "de dónde me escriben", who, bot.IntentUnknown},
		{"es", "cuál es el RUT de la empresa", who, bot.IntentUnknown},

		// third_party
		{"pt-BR", "aqui é o filho dela, ela tá internada", third, bot.IntentWrongPerson},
		{"pt-BR", "aki é o filho dela", third, bot.IntentWrongPerson},
		{"pt-BR", "sou a esposa dele", third, bot.IntentWrongPerson},
		{"pt-BR", "ele não está, aqui é a irmã", third, bot.IntentWrongPerson},
		{"pt-BR", "é o celular da minha mãe", third, bot.IntentWrongPerson},
		{"pt-BR", "ela tá trabalhando, sou o marido", third, bot.IntentWrongPerson},
		{"pt-BR", "sou a cuidadora dela", third, bot.IntentWrongPerson},
		{"pt-BR", "este número é da minha filha", third, bot.IntentWrongPerson},
		{"pt-BR", "esse numero é do meu filho", third, bot.IntentWrongPerson},
		{"pt-BR", "sou filha dela, ela ta no hospital", third, bot.IntentWrongPerson},
		{"pt-BR", "eu sou o marido dela", third, bot.IntentWrongPerson},
		{"pt-BR", "minha mãe tá internada e perdi o emprego", "", bot.IntentFinancialHardship},
		{"pt-BR", "sou mãe solteira e tô desempregada", "", bot.IntentFinancialHardship},
		{"pt-BR", "não sou eu", "", bot.IntentWrongPerson},
		{"en", "this is her son", third, bot.IntentWrongPerson},
		{"en", "I'm his wife, he's not here", third, bot.IntentWrongPerson},
		{"en", "this phone belongs to my daughter", third, bot.IntentWrongPerson},
		{"en", "I'm her caregiver", third, bot.IntentWrongPerson},
		{"en", "my mom is in the hospital and I lost my job", "", bot.IntentFinancialHardship},
		{"en", "I'm a mom of three and out of work", "", ""},
		{"es", "soy el hijo de ella", third, bot.IntentWrongPerson},
		{"es", "soy su esposa, él no está", third, bot.IntentWrongPerson},
		{"es", "este número es de mi hija", third, bot.IntentWrongPerson},
		{"es", "mi mamá está internada y perdí el trabajo", "", bot.IntentFinancialHardship},

		// deceased
		{"pt-BR", "ela faleceu", dead, bot.IntentWrongPerson},
		{"pt-BR", "ele morreu mês passado", dead, bot.IntentWrongPerson},
		{"pt-BR", "a titular faleceu", dead, bot.IntentWrongPerson},
		{"pt-BR", "meu pai faleceu", dead, ""},
		{"pt-BR", "minha mãe faleceu", dead, ""},
		{"pt-BR", "infelizmente ela veio a óbito", dead, bot.IntentWrongPerson},
		{"pt-BR", "infelismente ela faleseu", dead, bot.IntentWrongPerson},
		{"pt-BR", "ele faleceu em outubro", dead, bot.IntentWrongPerson},
		{"pt-BR", "sou a filha dela, ela faleceu ano passado", dead, bot.IntentWrongPerson},
		{"pt-BR", "meu celular morreu ontem, por isso não respondi", "", ""},
		{"pt-BR", "quase morri de susto com esse valor", "", ""},
		{"pt-BR", "tô morrendo de vergonha mas não consigo pagar", "", ""},
		{"pt-BR", "ela não morreu não, tá viajando", "", ""},
		{"en", "she passed away", dead, bot.IntentWrongPerson},
		{"en", "he died", dead, bot.IntentWrongPerson},
		{"en", "I'm his son, he passed away last year", dead, bot.IntentWrongPerson},
		{"en", "my phone died yesterday", "", ""},
		{"en", "the battery is dead", "", ""},
		{"es", "falleció", dead, bot.IntentWrongPerson},
		{"es", "murió", dead, bot.IntentWrongPerson},
		{"es", "ella falleció el mes pasado", dead, bot.IntentWrongPerson},
		{"es", "mi celular murió", "", ""},

		// self
		{"pt-BR", "sou eu", self, bot.IntentAffirmative},
		{"pt-BR", "sou eu sim", self, bot.IntentAffirmative},
		{"pt-BR", "sou eu msm", self, bot.IntentAffirmative},
		{"pt-BR", "é ela mesma", self, bot.IntentAffirmative},
		{"pt-BR", "eu mesmo", self, bot.IntentAffirmative},
		{"pt-BR", "falando", self, bot.IntentAffirmative},
		{"pt-BR", "é o próprio", self, bot.IntentAffirmative},
		{"pt-BR", "não… brincadeira, sou eu sim", self, bot.IntentAffirmative},
		{"pt-BR", "não, pera, sou eu sim", self, bot.IntentAffirmative},
		{"pt-BR", "nao pera sou eu sim", self, bot.IntentAffirmative},
		{"pt-BR", "desculpa, sou eu sim", self, bot.IntentAffirmative},
		{"pt-BR", "era eu sim", self, bot.IntentAffirmative},
		{"pt-BR", "sou eu mas não devo", self, bot.IntentDisputeAmount},
		{"pt-BR", "sim", "", bot.IntentAffirmative},
		{"pt-BR", "1", "", bot.IntentAffirmative},
		{"pt-BR", "não, desculpa, eu sou pobre", "", ""},
		{"pt-BR", "quem vai pagar sou eu", "", ""},
		{"pt-BR", "eu mesmo vou pagar a conta dela", "", ""},
		{"pt-BR", "dia 5 cai meu salario e eu pago", "", bot.IntentPromiseToPay},
		{"pt-BR", "estou falando sério", "", ""},
		{"en", "it's me", self, bot.IntentAffirmative},
		{"en", "this is she", self, bot.IntentAffirmative},
		{"en", "speaking", self, bot.IntentAffirmative},
		{"en", "no... just kidding, it's me", self, bot.IntentAffirmative},
		{"en", "sorry, it's me", self, bot.IntentAffirmative},
		{"en", "yes", "", bot.IntentAffirmative},
		{"es", "soy yo", self, bot.IntentAffirmative},
		{"es", "sí, soy yo", self, bot.IntentAffirmative},
		{"es", "ella misma", self, bot.IntentAffirmative},
		{"es", "hablando", self, bot.IntentAffirmative},
		{"es", "no... es broma, soy yo", self, bot.IntentAffirmative},
		{"es", "sí", "", bot.IntentAffirmative},

		// opt_in
		{"pt-BR", "VOLTAR", optIn, bot.IntentUnknown},
		{"pt-BR", "voltar", optIn, bot.IntentUnknown},
		{"pt-BR", "quero voltar a receber as mensagens", optIn, ""},
		{"pt-BR", "pode voltar a mandar lembrete", optIn, ""},
		{"pt-BR", "podem voltar a me mandar mensagem", optIn, ""},
		{"pt-BR", "reativar lembretes", optIn, ""},
		{"pt-BR", "quero receber de novo", optIn, ""},
		{"pt-BR", "vou voltar a pagar", "", ""},
		{"pt-BR", "volto a falar amanhã", "", ""},
		{"pt-BR", "depois eu volto", "", ""},
		{"pt-BR", "voltei, desculpa a demora", "", ""},
		{"pt-BR", "quando eu voltar a receber meu salário eu pago", "", ""},
		{"pt-BR", "não quero voltar a receber mensagens", "", bot.IntentOptOut},
		{"en", "START", optIn, bot.IntentUnknown},
		{"en", "resume messages", optIn, ""},
		{"en", "I want the reminders again", optIn, ""},
		{"en", "I'll start paying next week", "", bot.IntentPromiseToPay},
		{"en", "send me the invoice again", "", bot.IntentInvoiceNotReceived},
		{"en", "don't send me messages again", "", bot.IntentOptOut},
		{"es", "VOLVER", optIn, bot.IntentUnknown},
		{"es", "quiero volver a recibir mensajes", optIn, ""},
		{"es", "voy a volver a pagar", "", ""},

		// plan_cancel
		{"pt-BR", "quero cancelar o parcelamento", plan, bot.IntentRequestInstallments},
		{"pt-BR", "cancela meu acordo", plan, bot.IntentRequestInstallments},
		{"pt-BR", "desistir do acordo", plan, bot.IntentRequestInstallments},
		{"pt-BR", "não quero mais o parcelamento", plan, ""},
		{"pt-BR", "não quero continuar com o acordo", plan, ""},
		{"pt-BR", "quero fazer um acordo", "", bot.IntentRequestInstallments},
		{"pt-BR", "o acordo foi cancelado?", "", ""},
		{"pt-BR", "tem algum acordo pra eu sair do serasa?", "", ""},
		{"pt-BR", "cancela o boleto antigo e manda outro", "", bot.IntentInvoiceNotReceived},
		{"en", "cancel my payment plan", plan, bot.IntentRequestInstallments},
		{"en", "I don't want the payment plan anymore", plan, ""},
		{"en", "I want to make a payment plan", "", bot.IntentRequestInstallments},
		{"es", "cancelar el acuerdo", plan, bot.IntentRequestInstallments},
		{"es", "ya no quiero el acuerdo", plan, ""},
		{"es", "quiero cancelar la deuda", "", bot.IntentPayNow},

		// installment
		{"pt-BR", "cadê o boleto da parcela?", inst, bot.IntentInvoiceNotReceived},
		{"pt-BR", "manda o pix da parcela 2", inst, bot.IntentPayNow},
		{"pt-BR", "quanto é a parcela desse mês", inst, bot.IntentBalanceInquiry},
		{"pt-BR", "não recebi a parcela", inst, bot.IntentInvoiceNotReceived},
		{"pt-BR", "2ª parcela", inst, ""},
		{"pt-BR", "me manda o boleto da 3ª parcela", inst, bot.IntentInvoiceNotReceived},
		{"pt-BR", "quando vence a próxima parcela?", inst, ""},
		{"pt-BR", "já paguei a parcela de novembro", inst, bot.IntentAlreadyPaid},
		{"pt-BR", "dá pra parcelar em 3x?", "", bot.IntentRequestInstallments},
		{"pt-BR", "posso pagar em 3 parcelas?", "", bot.IntentRequestInstallments},
		{"pt-BR", "quanto fica a parcela em 10x?", "", bot.IntentRequestInstallments},
		{"pt-BR", "parcela pra mim?", "", bot.IntentRequestInstallments},
		{"pt-BR", "queria negociar, uma parcelinha que caiba no bolso", "", bot.IntentRequestInstallments},
		{"en", "where is the boleto for the installment?", inst, bot.IntentInvoiceNotReceived},
		{"en", "send me the pix for installment 2", inst, bot.IntentPayNow},
		{"en", "how much is this month's installment", inst, bot.IntentBalanceInquiry},
		{"en", "can I pay in installments?", "", bot.IntentRequestInstallments},
		{"en", "can I get a smaller installment?", "", bot.IntentRequestInstallments},
		{"es", "¿dónde está el boleto de la cuota?", inst, bot.IntentInvoiceNotReceived},
		{"es", "mándame el pix de la cuota 2", inst, bot.IntentPayNow},
		{"es", "cuánto es la cuota de este mes", inst, bot.IntentBalanceInquiry},
		{"es", "¿puedo pagar en 3 cuotas?", "", bot.IntentRequestInstallments},
	}
	c := newTestClassifier(t)
	now := refTime(t)
	for _, tc := range cases {
		got := c.Classify(tc.text, tc.locale, now)
		if got.Entities.Topic != tc.topic {
			t.Errorf("%s %q: topic %q, want %q (intent %s)", tc.locale, tc.text, got.Entities.Topic, tc.topic, got.Intent)
		}
		if tc.intent != "" && got.Intent != tc.intent {
			t.Errorf("%s %q: intent %s, want %s", tc.locale, tc.text, got.Intent, tc.intent)
		}
	}
}

// TestTopicPrecedence: one topic per message, the higher one winning.
func TestTopicPrecedence(t *testing.T) {
	c := newTestClassifier(t)
	now := refTime(t)
	for _, tc := range []topicCase{
		{"pt-BR", "aqui é a filha dela, ela faleceu", bot.TopicDeceased, ""},
		{"pt-BR", "sou a esposa dele, quem fala?", bot.TopicThirdParty, ""},
		{"pt-BR", "sou eu sim, quem fala?", bot.TopicSelf, ""},
		{"pt-BR", "quero voltar a receber os lembretes da parcela", bot.TopicOptIn, ""},
		{"pt-BR", "quero cancelar o acordo, a parcela de dezembro não veio", bot.TopicPlanCancel, ""},
	} {
		if got := c.Classify(tc.text, tc.locale, now); got.Entities.Topic != tc.topic {
			t.Errorf("%q: topic %q, want %q", tc.text, got.Entities.Topic, tc.topic)
		}
	}
}
