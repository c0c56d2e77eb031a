package transcript

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
)

// PDFInfo is what a PDF transcript shows besides the entries. The PDF is a
// document the creditor keeps or hands to a lawyer, Procon or a court, so
// it names both parties and the invoices the conversation was about.
type PDFInfo struct {
	Conversation Header
	Company      policy.Company
	Customer     *bot.Customer // nil when the number matched no debtor
	Invoices     []bot.Invoice // see InvoicesInvolved
	Location     *time.Location
	// GeneratedAt is printed on every page and stored as the PDF's creation
	// date; fixing it makes the output byte-for-byte reproducible.
	GeneratedAt time.Time
}

// The PDF is written in Portuguese, with pt-BR dates and amounts: the
// creditor is Brazilian and the document is meant for Brazilian readers
// (the debtor, Procon, a court), unlike the operator-facing txt and html.
const (
	pdfMargin   = 15.0 // left, top and right, in mm
	pdfBottom   = 18.0 // room for the page footer
	pdfContentW = 210 - 2*pdfMargin
	pdfIndent   = 30.0 // how far a message bubble stops short of the other side
	pdfBodyH    = 4.6  // line height of message text (9.5 pt)
	pdfMetaH    = 3.8  // line height of small print (7.5 pt)
	pdfPad      = 1.6
	pdfDateTime = "02/01/2006 15:04:05"
)

// RenderPDF writes an A4 PDF transcript: creditor, debtor (document
// masked), invoices and period; then every entry; then the hash chain's
// verification, so a printed copy still says whether the record is intact.
func RenderPDF(w io.Writer, info PDFInfo, entries []bot.TranscriptEntry) error {
	if info.Location == nil {
		info.Location = time.UTC
	}
	if info.GeneratedAt.IsZero() {
		info.GeneratedAt = time.Now()
	}
	f := fpdf.New("P", "mm", "A4", "")
	d := &pdfDoc{f: f, cp1252: f.UnicodeTranslatorFromDescriptor(""), info: info}
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(true, pdfBottom)
	f.SetCatalogSort(true)
	// PDF dates carry no zone here, so they are written in UTC.
	f.SetCreationDate(info.GeneratedAt.UTC())
	f.SetModificationDate(info.GeneratedAt.UTC())
	f.SetTitle("Transcrição da conversa "+info.Conversation.ID, true)
	f.SetAuthor(info.Company.Name, true)
	f.SetCreator("Quita", true)
	f.SetLang("pt-BR")
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(d.footer)
	f.AddPage()

	d.title()
	d.parties()
	d.invoices()
	d.conversation(entries)
	d.heading("Mensagens")
	if len(entries) == 0 {
		d.line("Helvetica", "I", 9.5, pdfBodyH, "Nenhum registro nesta conversa.")
	}
	for _, e := range entries {
		d.entry(e)
	}
	d.verification(entries)
	return f.Output(w)
}

type pdfDoc struct {
	f      *fpdf.Fpdf
	cp1252 func(string) string
	info   PDFInfo
}

// t turns UTF-8 into the cp1252 bytes the standard PDF fonts draw.
func (d *pdfDoc) t(s string) string { return d.cp1252(pdfSafe(s, d.cp1252)) }

func (d *pdfDoc) localTime(t time.Time) string { return t.In(d.info.Location).Format(pdfDateTime) }

func (d *pdfDoc) footer() {
	f := d.f
	f.SetY(-pdfBottom + 6)
	f.SetDrawColor(200, 200, 200)
	f.Line(pdfMargin, f.GetY(), pdfMargin+pdfContentW, f.GetY())
	f.SetFont("Helvetica", "", 7.5)
	f.SetTextColor(110, 110, 110)
	left := fmt.Sprintf("Conversa %s · gerado em %s (%s)", d.info.Conversation.ID,
		d.info.GeneratedAt.In(d.info.Location).Format("02/01/2006 15:04"), d.info.Location)
	f.CellFormat(pdfContentW*0.75, 5, d.t(fit(f, d.t, left, pdfContentW*0.75)), "", 0, "L", false, 0, "")
	f.CellFormat(0, 5, d.t(fmt.Sprintf("Página %d de {nb}", f.PageNo())), "", 0, "R", false, 0, "")
}

func (d *pdfDoc) title() {
	f := d.f
	f.SetFont("Helvetica", "B", 16)
	f.SetTextColor(20, 20, 20)
	f.CellFormat(0, 8, d.t("Transcrição de conversa de cobrança"), "", 1, "L", false, 0, "")
	d.line("Helvetica", "", 8.5, 4.5, "Registro encadeado por hash (SHA-256) de todas as mensagens, mudanças de estado e eventos da conversa.")
	f.Ln(1)
}

// heading starts a section, moving to a new page rather than leaving the
// heading alone at the bottom of one.
func (d *pdfDoc) heading(s string) {
	d.ensure(16)
	f := d.f
	f.Ln(3)
	f.SetFont("Helvetica", "B", 11)
	f.SetTextColor(20, 20, 20)
	f.SetDrawColor(160, 160, 160)
	f.CellFormat(0, 6.5, d.t(s), "B", 1, "L", false, 0, "")
	f.Ln(1.5)
}

// ensure starts a new page unless h mm still fit on this one.
func (d *pdfDoc) ensure(h float64) {
	_, pageH := d.f.GetPageSize()
	if d.f.GetY()+h > pageH-pdfBottom {
		d.f.AddPage()
	}
}

// line writes s wrapped to the full width.
func (d *pdfDoc) line(family, style string, size, h float64, s string) {
	d.f.SetFont(family, style, size)
	d.f.SetTextColor(60, 60, 60)
	d.f.MultiCell(0, h, d.t(s), "", "L", false)
}

type pdfField struct{ label, value string }

// parties draws creditor and debtor side by side.
func (d *pdfDoc) parties() {
	c := d.info.Company
	creditor := []pdfField{{"Nome", c.Name}, {docLabel(c.Document), formatDocument(c.Document)}, {"Endereço", c.Address},
		{"Telefone", c.ContactPhone}, {"E-mail", c.Email}, {"Site", c.Website}}
	debtor := []pdfField{{"Nome", "não identificado (número sem cadastro)"}, {"Telefone", formatPhone(d.info.Conversation.Phone)}}
	if cu := d.info.Customer; cu != nil {
		debtor = []pdfField{{"Nome", cu.Name}, {docLabel(cu.Document), MaskDocument(cu.Document)},
			{"Telefone", formatPhone(cu.Phone)}, {"Cliente", cu.ExternalID}}
	}
	d.heading("Partes")
	top := d.f.GetY()
	colW := (pdfContentW - 6) / 2
	b1 := d.column(pdfMargin, top, colW, "Credor", creditor)
	b2 := d.column(pdfMargin+colW+6, top, colW, "Devedor", debtor)
	d.f.SetXY(pdfMargin, max(b1, b2))
}

// column writes a list of fields, under title unless it is empty, in a
// column of width w at (x, y), skipping empty values, and returns where it
// ends.
func (d *pdfDoc) column(x, y, w float64, title string, fields []pdfField) float64 {
	f := d.f
	f.SetXY(x, y)
	if title != "" {
		f.SetFont("Helvetica", "B", 9.5)
		f.SetTextColor(20, 20, 20)
		f.CellFormat(w, 5.5, d.t(title), "", 2, "L", false, 0, "")
	}
	for _, fl := range fields {
		if fl.value == "" {
			continue
		}
		f.SetX(x)
		f.SetFont("Helvetica", "B", 8)
		f.SetTextColor(100, 100, 100)
		f.CellFormat(18, 4.6, d.t(fl.label), "", 0, "L", false, 0, "")
		f.SetFont("Helvetica", "", 9)
		f.SetTextColor(20, 20, 20)
		for i, l := range f.SplitLines([]byte(d.t(fl.value)), w-18) {
			if i > 0 {
				f.SetX(x + 18)
			}
			f.CellFormat(w-18, 4.6, string(l), "", 2, "L", false, 0, "")
		}
	}
	return f.GetY()
}

func (d *pdfDoc) invoices() {
	f := d.f
	d.heading("Faturas")
	if len(d.info.Invoices) == 0 {
		d.line("Helvetica", "I", 9, 5, "Nenhuma fatura vinculada a esta conversa.")
		return
	}
	widths := []float64{34, 0, 28, 24, 24}
	widths[1] = pdfContentW - 34 - 28 - 24 - 24
	aligns := []string{"L", "L", "R", "C", "C"}
	row := func(style string, fill bool, cells ...string) {
		d.ensure(6)
		f.SetFont("Helvetica", style, 8.5)
		for i, s := range cells {
			f.CellFormat(widths[i], 5.5, d.t(fit(f, d.t, s, widths[i])), "B", 0, aligns[i], fill, 0, "")
		}
		f.Ln(-1)
	}
	f.SetFillColor(235, 235, 235)
	f.SetDrawColor(210, 210, 210)
	f.SetTextColor(20, 20, 20)
	row("B", true, "Fatura", "Descrição", "Valor", "Vencimento", "Situação")
	today := d.info.GeneratedAt.In(d.info.Location).Format("2006-01-02")
	for _, inv := range d.info.Invoices {
		status := invoiceStatus[inv.Status]
		if status == "" {
			status = string(inv.Status)
		}
		if inv.Status == bot.InvoiceOpen && inv.DueDate < today {
			status = "Vencida"
		}
		row("", false, inv.ID, inv.Description, formatMoney(inv.AmountCents, inv.Currency), formatDate(inv.DueDate), status)
	}
}

func (d *pdfDoc) conversation(entries []bot.TranscriptEntry) {
	h := d.info.Conversation
	d.heading("Conversa")
	period := "sem registros"
	if n := len(entries); n > 0 {
		first := entries[0].At.In(d.info.Location)
		period = fmt.Sprintf("%s a %s (%s, UTC%s)", d.localTime(first), d.localTime(entries[n-1].At),
			d.info.Location, first.Format("-07:00"))
	}
	status := conversationStatus[h.Status]
	if status == "" {
		status = h.Status
	}
	status += ", estado " + h.State
	if h.Agent != "" {
		status += ", com o agente " + h.Agent
	}
	fields := []pdfField{{"Conversa", h.ID}, {"Canal", h.Transport}, {"Período", period},
		{"Situação", status}, {"Registros", fmt.Sprint(len(entries))}}
	d.f.SetY(d.column(pdfMargin, d.f.GetY(), pdfContentW, "", fields))
}

// entry draws one entry as a bubble: the debtor's on the right in green,
// the bot's and agents' on the left in grey, system events full width
// without a fill, so who said what survives a black-and-white print too
// (the author is also named on each entry).
func (d *pdfDoc) entry(e bot.TranscriptEntry) {
	f := d.f
	x, w, fill := pdfMargin, pdfContentW-pdfIndent, true
	switch e.Direction {
	case bot.DirectionIn:
		x = pdfMargin + pdfIndent
		f.SetFillColor(220, 244, 204)
	case bot.DirectionSystem:
		w, fill = pdfContentW, false
	default:
		f.SetFillColor(238, 240, 242)
	}
	head := fmt.Sprintf("  #%d · %s", e.Seq, d.localTime(e.At))
	if e.Status != "" {
		head += " · " + cmp.Or(deliveryStatus[e.Status], e.Status)
	}
	var details []string
	if e.Intent != "" {
		details = append(details, "intenção: "+e.Intent)
	}
	if e.StateFrom != e.StateTo {
		details = append(details, "estado: "+e.StateFrom+" -> "+e.StateTo)
	}
	if m := e.Media; m != nil {
		details = append(details, "anexo: "+cmp.Or(m.Filename, "(sem nome)")+" ("+strings.Trim(m.Type+", "+m.MIME, ", ")+sizeText(m.Size)+")")
	}
	f.SetFont("Helvetica", "", 7.5)
	meta := f.SplitLines([]byte(d.t(strings.Join(details, " · "))), w)
	bodyStyle := ""
	if e.Direction == bot.DirectionSystem {
		bodyStyle = "I"
	}
	text := e.Text
	if e.Erased {
		bodyStyle, text = "I", "[conteúdo apagado a pedido do titular (LGPD); o registro segue verificável pelo hash]"
	}
	f.SetFont("Helvetica", bodyStyle, 9.5)
	body := f.SplitLines([]byte(d.t(text)), w)
	// Keep an entry on one page when it fits on one; a longer one flows on.
	h := 2*pdfPad + pdfMetaH*float64(1+len(meta)) + pdfBodyH*float64(len(body))
	_, pageH := f.GetPageSize()
	if h < pageH-pdfMargin-pdfBottom {
		d.ensure(h)
	}
	cell := func(h float64, s string, style string, size float64, gray int) {
		f.SetX(x)
		f.SetFont("Helvetica", style, size)
		f.SetTextColor(gray, gray, gray)
		f.CellFormat(w, h, s, "", 1, "L", fill, 0, "")
	}
	cell(pdfPad, "", "", 7.5, 0)
	// The author in bold, then sequence, time and delivery on the same line.
	f.SetX(x)
	f.SetFont("Helvetica", "B", 7.5)
	f.SetTextColor(40, 40, 40)
	who := d.t(fit(f, d.t, authorName(e.Author), w/2))
	ww := f.GetStringWidth(who) + 2*f.GetCellMargin()
	f.CellFormat(ww, pdfMetaH, who, "", 0, "L", fill, 0, "")
	f.SetFont("Helvetica", "", 7.5)
	f.SetTextColor(100, 100, 100)
	f.CellFormat(w-ww, pdfMetaH, d.t(fit(f, d.t, head, w-ww)), "", 1, "L", fill, 0, "")
	for _, l := range meta {
		cell(pdfMetaH, string(l), "", 7.5, 100)
	}
	for _, l := range body {
		cell(pdfBodyH, string(l), bodyStyle, 9.5, 20)
	}
	cell(pdfPad, "", "", 7.5, 0)
	f.Ln(1.8)
}

// verification closes the document with the chain's verdict and the last
// hash: whoever holds the printout can compare it with the live record.
func (d *pdfDoc) verification(entries []bot.TranscriptEntry) {
	f := d.f
	v := Verify(entries)
	d.ensure(45) // the heading, the verdict and the explanation stay together
	d.heading("Verificação de integridade")
	last := "-"
	if n := len(entries); n > 0 {
		last = entries[n-1].Hash
	}
	verdict := fmt.Sprintf("Cadeia de hashes íntegra: %d registros verificados, do primeiro ao último.", v.Entries)
	if v.Erased > 0 {
		verdict += fmt.Sprintf(" %d deles tiveram o conteúdo apagado (LGPD) e foram verificados pelos seus elos.", v.Erased)
	}
	f.SetFillColor(225, 242, 225)
	if !v.OK {
		verdict = fmt.Sprintf("CADEIA DE HASHES QUEBRADA no registro #%d (%s): este documento não é um registro íntegro da conversa.",
			v.BrokenSeq, reasonPT(v.Reason))
		f.SetFillColor(250, 222, 222)
	}
	f.SetFont("Helvetica", "B", 9.5)
	f.SetTextColor(20, 20, 20)
	f.MultiCell(0, 5.5, d.t(verdict), "", "L", true)
	f.SetFont("Helvetica", "", 8)
	f.CellFormat(36, 5, d.t("Último hash (SHA-256):"), "", 0, "L", false, 0, "")
	f.SetFont("Courier", "", 8)
	f.CellFormat(0, 5, last, "", 1, "L", false, 0, "")
	d.line("Helvetica", "", 8, 4,
		"Cada registro contém o hash SHA-256 do seu conteúdo e do registro anterior; alterar, inserir ou remover qualquer registro "+
			"quebra a cadeia. Para conferir com o registro no sistema: GET /v1/conversations/"+d.info.Conversation.ID+
			"/transcript/verify, ou quita transcript export "+d.info.Conversation.ID+" --format json.")
}

// fit shortens s with an ellipsis until it fits a cell of width w in the
// current font; tr is the encoding the width is measured in.
func fit(f *fpdf.Fpdf, tr func(string) string, s string, w float64) string {
	avail := w - 2*f.GetCellMargin()
	if f.GetStringWidth(tr(s)) <= avail {
		return s
	}
	r := []rune(s)
	for len(r) > 0 {
		width := f.GetStringWidth(tr(string(r) + "…"))
		if width <= avail {
			break
		}
		// Cut in proportion, so a very long text is not trimmed a rune at a time.
		r = r[:min(len(r)-1, int(float64(len(r))*avail/width))]
	}
	return string(r) + "…"
}

// pdfSafe rewrites s into what cp1252 can hold, so no character turns
// into the '.' fpdf substitutes silently: decomposed accents are composed,
// tabs become spaces, invisible joiners and selectors vanish, arrows and
// odd spaces get ASCII stand-ins, a run of emoji becomes one "[emoji]"
// (dropping it could empty a message such as a thumbs-up reply) and any
// other script becomes "?". tr is the cp1252 translator, used as the
// membership test.
func pdfSafe(s string, tr func(string) string) string {
	out := make([]rune, 0, len(s))
	inEmoji := false
	for _, r := range s {
		add := ""
		switch {
		case r == '\n' || (r >= 0x20 && r < 0x7f):
			add = string(r)
		case r == '\t':
			add = "    "
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			continue
		case unicode.Is(unicode.Mn, r) || (r >= 0x200b && r <= 0x200f) || r == 0x2060 || r == 0xfeff ||
			(r >= 0xfe00 && r <= 0xfe0f) || (r >= 0x1f3fb && r <= 0x1f3ff):
			// Marks, joiners, selectors and skin tones: they belong to
			// what precedes them, so an emoji sequence stays one run.
			if n := len(out); n > 0 {
				if c, ok := composed[[2]rune{out[n-1], r}]; ok {
					out[n-1] = c
				}
			}
			continue
		case asciiFor[r] != "":
			add = asciiFor[r]
		case unicode.IsSpace(r):
			add = " "
		case tr(string(r)) != ".":
			add = string(r)
		case r != utf8.RuneError && (unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r) || (r >= 0x1f000 && r <= 0x1faff)):
			if !inEmoji {
				out = append(out, []rune("[emoji]")...)
			}
			inEmoji = true
			continue
		default:
			add = "?"
		}
		inEmoji = false
		out = append(out, []rune(add)...)
	}
	return string(out)
}

var asciiFor = map[rune]string{'→': "->", '←': "<-", '⇒': "=>", '↔': "<->", '−': "-", '‐': "-", '‑': "-", '‒': "-",
	'≤': "<=", '≥': ">=", '≠': "!=", '✓': "v", '✔': "v", '✗': "x", '✘': "x", '⁄': "/"}

// composed maps a letter and a combining accent (as some keyboards send
// "e" + U+0301 instead of "é") to the precomposed letter cp1252 has.
var composed = func() map[[2]rune]rune {
	m := map[[2]rune]rune{}
	for mark, pairs := range map[rune][2]string{
		0x0301: {"aeiouyAEIOUY", "áéíóúýÁÉÍÓÚÝ"}, 0x0300: {"aeiouAEIOU", "àèìòùÀÈÌÒÙ"},
		0x0302: {"aeiouAEIOU", "âêîôûÂÊÎÔÛ"}, 0x0303: {"aonAON", "ãõñÃÕÑ"},
		0x0308: {"aeiouyAEIOU", "äëïöüÿÄËÏÖÜ"}, 0x0327: {"cC", "çÇ"},
	} {
		to := []rune(pairs[1])
		for i, base := range pairs[0] {
			m[[2]rune{base, mark}] = to[i]
		}
	}
	return m
}()
