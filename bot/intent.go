package bot

// Intent is what a debtor's message asks for. The names are part of the
// external contract (contract.md §3) and must not change.
type Intent string

// The intents of contract §3, in no particular order. Precedence between
// them is the classifier's business.
const (
	IntentAlreadyPaid         Intent = "already_paid"
	IntentInvoiceNotReceived  Intent = "invoice_not_received"
	IntentRequestInstallments Intent = "request_installments"
	IntentPayNow              Intent = "pay_now"
	IntentPromiseToPay        Intent = "promise_to_pay"
	IntentRequestExtension    Intent = "request_extension"
	IntentDisputeAmount       Intent = "dispute_amount"
	IntentFinancialHardship   Intent = "financial_hardship"
	IntentBalanceInquiry      Intent = "balance_inquiry"
	IntentHumanAgent          Intent = "human_agent"
	IntentOptOut              Intent = "opt_out"
	IntentWrongPerson         Intent = "wrong_person"
	IntentAffirmative         Intent = "affirmative"
	IntentNegative            Intent = "negative"
	IntentGreeting            Intent = "greeting"
	IntentThanks              Intent = "thanks"
	IntentUnknown             Intent = "unknown"
)

// AllIntents lists every contract intent, useful for tests and validation.
var AllIntents = []Intent{
	IntentAlreadyPaid, IntentInvoiceNotReceived, IntentRequestInstallments,
	IntentPayNow, IntentPromiseToPay, IntentRequestExtension,
	IntentDisputeAmount, IntentFinancialHardship, IntentBalanceInquiry,
	IntentHumanAgent, IntentOptOut, IntentWrongPerson, IntentAffirmative,
	IntentNegative, IntentGreeting, IntentThanks, IntentUnknown,
}

// Entities are the values recognised inside a message. Zero values mean
// "not present"; Date is an ISO date (YYYY-MM-DD) resolved in the business
// timezone against the message time.
type Entities struct {
	Date         string `json:"date,omitempty"`
	AmountCents  int64  `json:"amount_cents,omitempty"`
	Installments int    `json:"installments,omitempty"`
	Option       string `json:"option,omitempty"`
	// Topic is a finer distinction inside an intent that the flows act on
	// (contract §3 keeps the 17 intent names stable): one of the Topic
	// constants, or empty.
	Topic string `json:"topic,omitempty"`
}

// Topics a message can carry besides its intent (Entities.Topic).
const (
	// TopicWhoIsWriting asks who is writing, which company, what it is
	// about, whether it is a scam, or the creditor's CNPJ.
	TopicWhoIsWriting = "who_is_writing"
	// TopicThirdParty is someone else answering for the holder: a relative,
	// a colleague, a carer ("aqui é o filho dela").
	TopicThirdParty = "third_party"
	// TopicDeceased says the holder died ("ela faleceu").
	TopicDeceased = "deceased"
	// TopicSelf is the writer saying they are the holder ("sou eu sim"),
	// which takes back an earlier "não".
	TopicSelf = "self"
	// TopicOptIn asks to receive messages again after an opt-out ("VOLTAR").
	TopicOptIn = "opt_in"
	// TopicPlanCancel asks to cancel an installment plan.
	TopicPlanCancel = "plan_cancel"
	// TopicInstallment is about one installment of a plan ("o boleto da
	// parcela"), not the whole invoice.
	TopicInstallment = "installment"
)

// Classification is the understanding of one message.
type Classification struct {
	Intent     Intent   `json:"intent"`
	Confidence float64  `json:"confidence"`
	Entities   Entities `json:"entities"`
}
