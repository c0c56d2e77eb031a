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

// Formats lists the renderings available here.
var Formats = []string{"json", "txt", "html"}

// Render writes the transcript in format, with times in loc.
func Render(w io.Writer, format string, h Header, entries []bot.TranscriptEntry, loc *time.Location) error {
	switch format {
	case "json":
		return RenderJSON(w, h, entries)
	case "txt":
		return RenderText(w, h, entries, loc)
	case "html":
		return RenderHTML(w, h, entries, loc)
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
	}
	v := Verify(entries)
	if v.OK {
		fmt.Fprintf(&b, "\nHash chain: valid, %d entries.\n", v.Entries)
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
{{range lines .Text}}<div>{{.}}</div>{{end}}{{if .Media}}<div class="meta">[{{.Media.Type}} {{.Media.Filename}}]</div>{{end}}
<div class="hash">{{.Hash}}</div></div>
{{end}}
<p>{{if .V.OK}}Hash chain valid: {{.V.Entries}} entries.{{else}}Hash chain BROKEN at entry {{.V.BrokenSeq}}: {{.V.Reason}}.{{end}}</p>
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
