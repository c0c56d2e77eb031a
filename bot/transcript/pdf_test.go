package transcript

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

var saoPaulo = mustLocation("America/Sao_Paulo")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// pdfSample is a conversation touching every kind of entry: accents,
// several lines, an emoji, an attachment, an agent, a state change, a
// failed delivery and a system event naming an invoice.
func pdfSample() (PDFInfo, []bot.TranscriptEntry) {
	at := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	entries := []bot.TranscriptEntry{
		{Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "oi, quanto eu devo?", Intent: "balance_inquiry", StateFrom: "start", StateTo: "confirm_identity"},
		{Direction: bot.DirectionOut, Author: bot.AuthorBot, Text: "Olá! Você é Maria Souza?\n1. Sim\n2. Não", Status: bot.DeliveryRead, StateFrom: "confirm_identity", StateTo: "confirm_identity"},
		{Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "Já paguei ontem 👍🏽 segue o comprovante", Intent: "already_paid",
			Media: &bot.Media{Type: "image", MIME: "image/jpeg", Filename: "comprovante-pix.jpg", Size: 48213}},
		{Direction: bot.DirectionSystem, Author: bot.AuthorSystem, Text: "collection of INV-2: paused", StateFrom: "menu", StateTo: "awaiting_billing"},
		{Direction: bot.DirectionOut, Author: "agent:ana", Text: "Obrigada, Maria. Vou conferir a informação e retorno até amanhã.", Status: bot.DeliveryFailed},
	}
	for i := range entries {
		entries[i].ConversationID = "conv-1"
		entries[i].At = at.Add(time.Duration(i) * time.Minute)
	}
	Seal(nil, entries)
	cust := &bot.Customer{ID: "c1", ExternalID: "CLI-77", Name: "Maria Souza", Phone: "+5511988887777", Document: "123.456.789-09"}
	return PDFInfo{
		Conversation: Header{ID: "conv-1", Phone: cust.Phone, Status: "needs_agent", State: "awaiting_billing", Agent: "ana", Transport: "whatsapp"},
		Company: policy.Company{Name: "Provedor Conexão Ltda.", Document: "11222333000181", Address: "Rua das Acácias, 100 - São Paulo/SP",
			ContactPhone: "(11) 4000-1234", Email: "cobranca@example.com"},
		Customer: cust,
		Invoices: []bot.Invoice{
			{ID: "INV-1", AmountCents: 123456, Currency: "BRL", DueDate: "2026-11-10", Description: "Internet 300MB - outubro", Status: bot.InvoiceOpen},
			{ID: "INV-2", AmountCents: 15990, Currency: "BRL", DueDate: "2026-12-10", Description: "Internet 300MB - novembro", Status: bot.InvoicePaid},
		},
		Location:    saoPaulo,
		GeneratedAt: time.Date(2026, 11, 24, 9, 30, 0, 0, saoPaulo),
	}, entries
}

// pdfDump is a rendered PDF taken apart: the raw file and its page
// content streams, decompressed, where the drawn text can be searched.
type pdfDump struct {
	raw, content string
	pages        int
}

var streamRE = regexp.MustCompile(`(?s)stream\n(.*?)\nendstream`)
var countRE = regexp.MustCompile(`/Type /Pages\n/Kids \[[^\]]*\]\n/Count (\d+)`)

func renderPDF(t *testing.T, info PDFInfo, entries []bot.TranscriptEntry) pdfDump {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderPDF(&buf, info, entries); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	if !strings.HasPrefix(raw, "%PDF-1.") || !strings.HasSuffix(strings.TrimRight(raw, "\r\n"), "%%EOF") {
		t.Fatalf("not a PDF file: starts %q, ends %q", raw[:min(10, len(raw))], raw[max(0, len(raw)-10):])
	}
	var content strings.Builder
	for _, m := range streamRE.FindAllStringSubmatch(raw, -1) {
		zr, err := zlib.NewReader(strings.NewReader(m[1]))
		if err != nil {
			content.WriteString(m[1])
			continue
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("corrupt content stream: %v", err)
		}
		content.Write(data)
	}
	m := countRE.FindStringSubmatch(raw)
	if m == nil {
		t.Fatal("no page tree in the PDF")
	}
	pages, _ := strconv.Atoi(m[1])
	if n := strings.Count(raw, "/Type /Page\n"); n != pages {
		t.Fatalf("page tree counts %d pages, file has %d", pages, n)
	}
	return pdfDump{raw: raw, content: content.String(), pages: pages}
}

// drawn is s as it appears in a content stream: cp1252 bytes with PDF
// string escapes.
func drawn(s string) string {
	s = fpdf.New("P", "mm", "A4", "").UnicodeTranslatorFromDescriptor("")(s)
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s)
}

func (p pdfDump) shows(s string) bool { return strings.Contains(p.content, drawn(s)) }

func TestRenderPDFShowsPartiesExchangeAndVerification(t *testing.T) {
	info, entries := pdfSample()
	p := renderPDF(t, info, entries)
	if p.pages != 1 {
		t.Errorf("a five-entry transcript takes %d pages, want 1", p.pages)
	}
	for _, want := range []string{
		"Provedor Conexão Ltda.", "11.222.333/0001-81", "Rua das Acácias, 100 - São Paulo/SP", // creditor
		"Maria Souza", "***.456.789-**", "+55 (11) 98888-7777", "CLI-77", // debtor
		"INV-1", "R$ 1.234,56", "10/11/2026", "Vencida", "INV-2", "Paga", // invoices, INV-2 named by a system entry
		"23/11/2026 10:00:00 a 23/11/2026 10:04:00 (America/Sao_Paulo, UTC-03:00)", "whatsapp", // period in business time
		"Olá! Você é Maria Souza?", "2. Não", // accents, lines kept
		"Já paguei ontem [emoji] segue o comprovante", "comprovante-pix.jpg", "intenção: already_paid",
		"Devedor", "Bot", "Agente: ana", "Sistema", "lida", "falhou", "estado: start -> confirm_identity",
		"Cadeia de hashes íntegra: 5 registros verificados", entries[4].Hash, "Página 1 de 1",
	} {
		if !p.shows(want) {
			t.Errorf("PDF does not show %q", want)
		}
	}
	for _, leak := range []string{"123.456.789-09", "12345678909", "789-09"} {
		if strings.Contains(p.raw, leak) || strings.Contains(p.content, leak) {
			t.Errorf("PDF leaks the debtor's document (%q)", leak)
		}
	}
	if strings.Contains(p.content, drawn("estado: confirm_identity -> confirm_identity")) {
		t.Error("an entry that did not change state shows a state change")
	}
	if !strings.Contains(p.raw, "/CreationDate (D:20261124123000") {
		t.Error("creation date is not GeneratedAt")
	}
}

func TestRenderPDFIsReproducible(t *testing.T) {
	info, entries := pdfSample()
	a, b := renderPDF(t, info, entries), renderPDF(t, info, entries)
	if a.raw != b.raw {
		t.Fatal("the same transcript rendered twice differs")
	}
}

func TestRenderPDFFlowsOverPages(t *testing.T) {
	info, entries := pdfSample()
	long := strings.Repeat("Uma linha longa de uma mensagem que não cabe numa página só. ", 150)
	more := []bot.TranscriptEntry{{ConversationID: "conv-1", At: entries[4].At, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: long}}
	for i := range 120 {
		more = append(more, bot.TranscriptEntry{ConversationID: "conv-1", At: entries[4].At.Add(time.Duration(i) * time.Second),
			Direction: bot.DirectionOut, Author: bot.AuthorBot, Text: fmt.Sprintf("Mensagem número %d.", i+1), Status: bot.DeliverySent})
	}
	Seal(&entries[4], more)
	entries = append(entries, more...)
	p := renderPDF(t, info, entries)
	// About 13 mm per short entry and 270 mm of page: 120 of them fill six
	// pages, the long message two more.
	if p.pages < 8 || p.pages > 11 {
		t.Fatalf("%d entries take %d pages, want 8 to 11", len(entries), p.pages)
	}
	for i := 1; i <= p.pages; i++ {
		if !p.shows(fmt.Sprintf("Página %d de %d", i, p.pages)) {
			t.Errorf("page %d lacks its number out of %d", i, p.pages)
		}
	}
	if !p.shows("Mensagem número 120.") || !p.shows(fmt.Sprintf("Cadeia de hashes íntegra: %d registros", len(entries))) {
		t.Error("the end of a long transcript is missing")
	}
}

func TestRenderPDFShowsABrokenChain(t *testing.T) {
	info, entries := pdfSample()
	entries[1].Text = "Olá! Sua dívida está quitada."
	p := renderPDF(t, info, entries)
	if !p.shows("CADEIA DE HASHES QUEBRADA no registro #2 (o conteúdo não confere com o hash)") {
		t.Fatal("a tampered transcript is not flagged")
	}
	if p.shows("Cadeia de hashes íntegra") {
		t.Fatal("a tampered transcript is called intact")
	}
}

func TestRenderPDFWithoutDebtorOrInvoices(t *testing.T) {
	info, _ := pdfSample()
	info.Customer, info.Invoices = nil, nil
	p := renderPDF(t, info, nil)
	for _, want := range []string{"não identificado", "+55 (11) 98888-7777", "Nenhuma fatura", "Nenhum registro", "sem registros",
		"Cadeia de hashes íntegra: 0 registros"} {
		if !p.shows(want) {
			t.Errorf("PDF does not show %q", want)
		}
	}
}

func TestRenderRefersPDFToRenderPDF(t *testing.T) {
	info, entries := pdfSample()
	if err := Render(io.Discard, "pdf", info.Conversation, entries, saoPaulo); err == nil {
		t.Fatal("Render made a PDF without the parties")
	}
}

func TestPDFSafe(t *testing.T) {
	tr := fpdf.New("P", "mm", "A4", "").UnicodeTranslatorFromDescriptor("")
	for in, want := range map[string]string{
		"ação, não, você, é":   "ação, não, você, é",
		"e\u0301 na\u0303o":    "é não", // decomposed accents, as some keyboards send them
		"ok 👍🏽👍":               "ok [emoji]",
		"👨\u200d👩\u200d👧 oi":   "[emoji] oi",
		"a\tb\r\nc":            "a    b\nc",
		"R$ 10 → R$ 12 ≥ 5":    "R$ 10 -> R$ 12 >= 5",
		"“aspas” – €5 … ©":     "“aspas” – €5 … ©",
		"Привет 汉字 \U00020000": "?????? ?? ?",
		"a\u00a0b\u2009c":      "a b c",
	} {
		got := pdfSafe(in, tr)
		if got != want {
			t.Errorf("pdfSafe(%q) = %q, want %q", in, got, want)
		}
		if enc := tr(got); strings.Count(enc, ".") != strings.Count(got, ".") {
			t.Errorf("pdfSafe(%q) left characters cp1252 lacks: %q", in, enc)
		}
	}
}

func TestMaskDocumentAndFormats(t *testing.T) {
	for in, want := range map[string]string{"123.456.789-09": "***.456.789-**", "12345678909": "***.456.789-**",
		"11.222.333/0001-81": "**.222.333/0001-**", "": "", "AB-12": "***"} {
		if got := MaskDocument(in); got != want {
			t.Errorf("MaskDocument(%q) = %q, want %q", in, got, want)
		}
	}
	if got := formatMoney(123456789, "BRL"); got != "R$ 1.234.567,89" {
		t.Errorf("formatMoney = %q", got)
	}
	if got := formatMoney(-5, "USD"); got != "-USD 0,05" {
		t.Errorf("formatMoney = %q", got)
	}
	if got := formatPhone("+551133334444"); got != "+55 (11) 3333-4444" {
		t.Errorf("formatPhone = %q", got)
	}
}

func TestInvoicesInvolved(t *testing.T) {
	all := []bot.Invoice{{ID: "INV-1", Status: bot.InvoicePaid}, {ID: "INV-2", Status: bot.InvoiceOpen},
		{ID: "INV-3", Status: bot.InvoiceCancelled}, {ID: "INV-4", Status: bot.InvoicePaid}}
	entries := []bot.TranscriptEntry{{Text: "invoice.paid INV-3"}, {Text: "collection of INV-10: promised"}}
	got := InvoicesInvolved(all, entries)
	if len(got) != 2 || got[0].ID != "INV-2" || got[1].ID != "INV-3" {
		t.Fatalf("InvoicesInvolved = %+v, want INV-2 (open) and INV-3 (named), not INV-1 (INV-10 named)", got)
	}
}

func TestRenderPDFSaysWhichEntriesWereErased(t *testing.T) {
	info, entries := pdfSample()
	Erase(&entries[0])
	p := renderPDF(t, info, entries)
	if !p.shows("conteúdo apagado a pedido do titular") || !p.shows("1 deles tiveram o conteúdo apagado") {
		t.Fatal("the PDF does not say an entry was erased")
	}
	if !p.shows("Cadeia de hashes íntegra") {
		t.Fatal("a partly erased transcript is not called intact")
	}
	var txt, html strings.Builder
	if err := RenderText(&txt, info.Conversation, entries, time.UTC); err != nil || !strings.Contains(txt.String(), "[content erased]") ||
		!strings.Contains(txt.String(), "(1 erased)") {
		t.Fatalf("text export: %v\n%s", err, txt.String())
	}
	if err := RenderHTML(&html, info.Conversation, entries, time.UTC); err != nil || !strings.Contains(html.String(), "[content erased]") {
		t.Fatalf("html export: %v", err)
	}
}
