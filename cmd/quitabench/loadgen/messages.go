package loadgen

import (
	"encoding/json"
	"fmt"
	"time"
)

// Mix is the pt-BR message mix of the inbound mode, in the order a debtor
// of the mix sends them: the i-th message of a run goes to debtor
// i mod Debtors as line (i / Debtors) mod len(Mix), so every debtor walks
// through a plausible conversation — greeting, identity, balance, paying,
// arranging — and round again.
var Mix = []string{
	"oi",
	"sim sou eu",
	"quanto devo?",
	"quero pagar com pix",
	"já paguei",
	"parcelar em 3x",
	"pago dia 10",
	"bom dia, recebi uma cobrança de vocês",
	"1",
	"qual o valor atualizado?",
	"não recebi o boleto",
	"posso pagar na sexta?",
	"obrigado",
}

// Phone is debtor d's number: +55 11 9 and eight digits.
func Phone(d int) string { return fmt.Sprintf("+55119%08d", d%100_000_000) }

// InvoiceID is debtor d's invoice in the seeded book.
func InvoiceID(d int) string { return fmt.Sprintf("QB-%08d", d) }

type inboundBody struct {
	From string `json:"from"`
	Text string `json:"text"`
	ID   string `json:"id"`
}

// inbound returns the body of the run's i-th message.
func (c *Config) inbound(i int) []byte {
	d := i % c.Debtors
	text := Mix[(i/c.Debtors)%len(Mix)]
	b, _ := json.Marshal(inboundBody{From: Phone(d), Text: text, ID: fmt.Sprintf("qb-%s-%d", c.RunID, i)})
	return b
}

type customerJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Phone  string `json:"phone"`
	Locale string `json:"locale"`
}

type invoiceData struct {
	InvoiceID   string       `json:"invoice_id"`
	Customer    customerJSON `json:"customer"`
	AmountCents int64        `json:"amount_cents"`
	Currency    string       `json:"currency"`
	DueDate     string       `json:"due_date"`
	Description string       `json:"description"`
}

type eventJSON struct {
	Type string      `json:"type"`
	Data invoiceData `json:"data"`
}

var firstNames = []string{"Maria", "João", "Ana", "Pedro", "Juliana", "Carlos", "Fernanda", "Lucas", "Patrícia", "Rafael"}
var lastNames = []string{"Souza", "Silva", "Oliveira", "Santos", "Lima", "Pereira", "Costa", "Almeida", "Ribeiro", "Gomes"}

// invoiceEvent returns an invoice.created or invoice.updated body for
// debtor d; version changes the amount so an update is a real change.
func invoiceEvent(typ string, d, version int, due time.Time) []byte {
	b, _ := json.Marshal(eventJSON{Type: typ, Data: invoiceData{
		InvoiceID: InvoiceID(d),
		Customer: customerJSON{ID: fmt.Sprintf("QB-C-%08d", d), Name: firstNames[d%len(firstNames)] + " " + lastNames[(d/len(firstNames))%len(lastNames)],
			Phone: Phone(d), Locale: "pt-BR"},
		AmountCents: 15990 + int64(version%100)*100, Currency: "BRL", DueDate: due.Format("2006-01-02"),
		Description: "Internet 300MB",
	}})
	return b
}
