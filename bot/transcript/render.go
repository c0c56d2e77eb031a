package transcript

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/quitabot/quita/bot"
)

// Header describes the conversation a transcript belongs to.
type Header struct {
	ID        string    `json:"id"`
	Phone     string    `json:"phone"`
	Status    string    `json:"status"`
	State     string    `json:"state"`
	Agent     string    `json:"agent"`
	Transport string    `json:"transport"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// HeaderOf builds a Header from a conversation.
func HeaderOf(c bot.Conversation) Header {
	return Header{ID: c.ID, Phone: c.Phone, Status: string(c.Status), State: c.State, Agent: c.Agent,
		Transport: c.Transport, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// Formats lists every rendering of a transcript. Render writes all but
// "pdf", which names the parties and so needs a PDFInfo: see RenderPDF.
var Formats = []string{"json", "txt", "html", "pdf"}

// Render writes the transcript in format, with times in loc.
func Render(w io.Writer, format string, h Header, entries []bot.TranscriptEntry, loc *time.Location) error {
	switch format {
	case "json":
		return RenderJSON(w, h, entries)
	case "txt":
		return RenderText(w, h, entries, loc)
	case "html":
		return RenderHTML(w, h, entries, loc)
	case "pdf":
		// A PDF without creditor and debtor would look complete and not be.
		return fmt.Errorf("transcript: pdf needs the parties: use RenderPDF")
	}
	return fmt.Errorf("transcript: unknown format %q", format)
}

// RenderJSON writes {"conversation":…,"entries":[…]} (contract §4.4).
func RenderJSON(w io.Writer, h Header, entries []bot.TranscriptEntry) error {
	if entries == nil {
		entries = []bot.TranscriptEntry{}
	}
	return json.NewEncoder(w).Encode(struct {
		Conversation Header                `json:"conversation"`
		Entries      []bot.TranscriptEntry `json:"entries"`
	}{h, entries})
}

// RenderText writes a plain-text transcript a person can read or print,
// ending with the chain's verification so a reader knows it is intact.
func RenderText(w io.Writer, h Header, entries []bot.TranscriptEntry, loc *time.Location) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Conversation %s with %s (%s)\nStatus: %s, state: %s\n\n", h.ID, h.Phone, h.Transport, h.Status, h.State)
	for _, e := range entries {
		fmt.Fprintf(&b, "#%d %s %s", e.Seq, e.At.In(loc).Format("2006-01-02 15:04:05 -07:00"), e.Author)
		if e.Intent != "" {
			fmt.Fprintf(&b, " [%s]", e.Intent)
		}
		if e.StateFrom != e.StateTo {
			fmt.Fprintf(&b, " (%s → %s)", e.StateFrom, e.StateTo)
		}
		if e.Status != "" {
			fmt.Fprintf(&b, " {%s}", e.Status)
		}
		b.WriteString("\n")
		if e.Text != "" {
			b.WriteString("    " + strings.ReplaceAll(e.Text, "\n", "\n    ") + "\n")
		}
		if e.Media != nil {
			fmt.Fprintf(&b, "    [%s %s %s]\n", e.Media.Type, e.Media.Filename, e.Media.URL)
		}
		if e.Erased {
			b.WriteString("    [content erased]\n")
		}
	}
	v := Verify(entries)
	if v.OK {
		fmt.Fprintf(&b, "\nHash chain: valid, %d entries (%d erased).\n", v.Entries, v.Erased)
	} else {
		fmt.Fprintf(&b, "\nHash chain: BROKEN at entry %d (%s).\n", v.BrokenSeq, v.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var htmlTemplate = template.Must(template.New("transcript").Funcs(template.FuncMap{
	"lines": func(s string) []string { return strings.Split(s, "\n") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Transcript {{.H.ID}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem;color:#111}
.e{margin:.5rem 0;padding:.5rem .75rem;border-radius:8px;background:#f3f4f6}
.in{background:#dcf8c6;margin-left:15%}.out{background:#fff;border:1px solid #ddd;margin-right:15%}
.system{background:none;color:#555;font-size:.85rem;text-align:center}
.meta{font-size:.75rem;color:#555}.hash{font-family:monospace;font-size:.65rem;color:#888;word-break:break-all}
</style></head><body>
<h1>Conversation {{.H.ID}}</h1>
<p>Phone {{.H.Phone}} · {{.H.Transport}} · status {{.H.Status}} · state {{.H.State}}</p>
{{range .E}}<div class="e {{.Direction}}"><div class="meta">#{{.Seq}} {{.Local}} · {{.Author}}{{if .Intent}} · intent {{.Intent}}{{end}}{{if ne .StateFrom .StateTo}} · {{.StateFrom}} → {{.StateTo}}{{end}}{{if .Status}} · {{.Status}}{{end}}</div>
{{range lines .Text}}<div>{{.}}</div>{{end}}{{if .Media}}<div class="meta">[{{.Media.Type}} {{.Media.Filename}}]</div>{{end}}{{if .Erased}}<div class="meta">[content erased]</div>{{end}}
<div class="hash">{{.Hash}}</div></div>
{{end}}
<p>{{if .V.OK}}Hash chain valid: {{.V.Entries}} entries ({{.V.Erased}} erased).{{else}}Hash chain BROKEN at entry {{.V.BrokenSeq}}: {{.V.Reason}}.{{end}}</p>
</body></html>
`))

// RenderHTML writes a self-contained HTML page of the transcript.
func RenderHTML(w io.Writer, h Header, entries []bot.TranscriptEntry, loc *time.Location) error {
	type entry struct {
		bot.TranscriptEntry
		Local string
	}
	es := make([]entry, len(entries))
	for i, e := range entries {
		es[i] = entry{e, e.At.In(loc).Format("2006-01-02 15:04:05")}
	}
	return htmlTemplate.Execute(w, struct {
		H Header
		E []entry
		V Verification
	}{h, es, Verify(entries)})
}

// InvoicesInvolved picks, from all of a debtor's invoices, the ones a
// transcript is about: those still open and those an entry names (a
// promise, a billing event), so a paid invoice the talk was about still
// appears while years of unrelated paid ones do not.
func InvoicesInvolved(all []bot.Invoice, entries []bot.TranscriptEntry) []bot.Invoice {
	var out []bot.Invoice
	for _, inv := range all {
		keep := inv.Status == bot.InvoiceOpen
		for i := 0; !keep && i < len(entries); i++ {
			keep = mentions(entries[i].Text, inv.ID)
		}
		if keep {
			out = append(out, inv)
		}
	}
	return out
}

// mentions reports whether text names id as a whole word, so "INV-1" is
// not found in "INV-10".
func mentions(text, id string) bool {
	isPart := func(b byte) bool {
		return b == '-' || b == '_' || b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z'
	}
	for from := 0; id != ""; {
		i := strings.Index(text[from:], id)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(id)
		if (start == 0 || !isPart(text[start-1])) && (end == len(text) || !isPart(text[end])) {
			return true
		}
		from = start + 1
	}
	return false
}

// MaskDocument hides most of a debtor's CPF or CNPJ the way Brazilian
// public records do under the LGPD, keeping the middle digits so a person
// can still tell two debtors apart: "123.456.789-09" → "***.456.789-**",
// a CNPJ → "**.345.678/0001-**". Anything else is hidden entirely, so an
// unusual format never leaks.
func MaskDocument(doc string) string {
	d := digitsOnly(doc)
	switch {
	case doc == "":
		return ""
	case len(d) == 11:
		return "***." + d[3:6] + "." + d[6:9] + "-**"
	case len(d) == 14:
		return "**." + d[2:5] + "." + d[5:8] + "/" + d[8:12] + "-**"
	}
	return "***"
}

// formatDocument punctuates a CPF or CNPJ given as bare digits.
func formatDocument(doc string) string {
	d := digitsOnly(doc)
	switch len(d) {
	case 11:
		return d[:3] + "." + d[3:6] + "." + d[6:9] + "-" + d[9:]
	case 14:
		return d[:2] + "." + d[2:5] + "." + d[5:8] + "/" + d[8:12] + "-" + d[12:]
	}
	return doc
}

// docLabel names a document by its length: 11 digits is a CPF, 14 a CNPJ.
func docLabel(doc string) string {
	switch len(digitsOnly(doc)) {
	case 11:
		return "CPF"
	case 14:
		return "CNPJ"
	}
	return "Documento"
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// formatPhone writes a Brazilian E.164 number as people read it,
// "+55 (11) 98888-7777"; other numbers are left as they are.
func formatPhone(e164 string) string {
	d := strings.TrimPrefix(e164, "+55")
	if d == e164 || len(d) < 10 || len(d) > 11 || digitsOnly(d) != d {
		return e164
	}
	return "+55 (" + d[:2] + ") " + d[2:len(d)-4] + "-" + d[len(d)-4:]
}

// formatMoney writes cents as "R$ 1.234,56"; a currency other than BRL is
// named by its code instead of "R$".
func formatMoney(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	units := fmt.Sprint(cents / 100)
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	prefix := "R$ "
	if currency != "" && currency != "BRL" {
		prefix = currency + " "
	}
	return fmt.Sprintf("%s%s%s,%02d", sign, prefix, b.String(), cents%100)
}

// formatDate turns an ISO civil date into "25/11/2026".
func formatDate(iso string) string {
	t, err := time.Parse("2006-01-02", iso)
	if err != nil {
		return iso
	}
	return t.Format("02/01/2006")
}

// The words of the PDF, which is written in Portuguese (see RenderPDF).
var invoiceStatus = map[bot.InvoiceStatus]string{bot.InvoiceOpen: "Em aberto", bot.InvoicePaid: "Paga", bot.InvoiceCancelled: "Cancelada"}

var conversationStatus = map[string]string{string(bot.StatusOpen): "aberta",
	string(bot.StatusNeedsAgent): "aguardando agente", string(bot.StatusResolved): "encerrada"}

var deliveryStatus = map[string]string{bot.DeliveryQueued: "na fila", bot.DeliverySent: "enviada",
	bot.DeliveryDelivered: "entregue", bot.DeliveryRead: "lida", bot.DeliveryFailed: "falhou"}

// authorName names who wrote an entry, in the document's language.
func authorName(author string) string {
	switch {
	case author == bot.AuthorDebtor:
		return "Devedor"
	case author == bot.AuthorBot:
		return "Bot"
	case author == bot.AuthorSystem:
		return "Sistema"
	case strings.HasPrefix(author, "agent:"):
		return "Agente: " + strings.TrimPrefix(author, "agent:")
	}
	return author
}

// reasonPT translates Verify's reasons, which are written for operators.
func reasonPT(reason string) string {
	switch {
	case strings.HasPrefix(reason, "expected seq"):
		return "sequência fora de ordem, esperado " + strings.TrimPrefix(reason, "expected seq ")
	case strings.HasPrefix(reason, "prev_hash"):
		return "o hash anterior não confere"
	case strings.HasPrefix(reason, "hash does not match"), strings.HasPrefix(reason, "content_hash does not match"):
		return "o conteúdo não confere com o hash"
	case strings.HasPrefix(reason, "an erased entry"):
		return "um registro apagado ainda tem conteúdo"
	}
	return reason
}

// sizeText is an attachment's size for the PDF, ", 47,1 KB".
func sizeText(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n < 1024:
		return fmt.Sprintf(", %d B", n)
	case n < 1024*1024:
		return ", " + strings.Replace(fmt.Sprintf("%.1f KB", float64(n)/1024), ".", ",", 1)
	}
	return ", " + strings.Replace(fmt.Sprintf("%.1f MB", float64(n)/(1024*1024)), ".", ",", 1)
}
