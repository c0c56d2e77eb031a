package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/store"
)

// render writes the conversation as a reviewer reads it: every transcript
// entry, then the events for the billing system and the invoices' states.
func (r *runner) render() string {
	ctx := context.Background()
	var b strings.Builder
	convs, err := r.st.Conversations(ctx, store.ConversationFilter{Phones: []string{r.customer.Phone}})
	if err != nil || len(convs) != 1 {
		r.t.Fatalf("conversations: %v %v", convs, err)
	}
	conv := convs[0]
	entries, err := r.st.Transcript(ctx, conv.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	if v := transcript.Verify(entries); !v.OK {
		r.t.Fatalf("transcript chain broken: %+v", v)
	}
	fmt.Fprintf(&b, "conversation status=%s state=%s\n\n", conv.Status, conv.State)
	for _, e := range entries {
		at := e.At.In(Location).Format("02/01 15:04")
		switch e.Direction {
		case bot.DirectionIn:
			fmt.Fprintf(&b, "%s debtor [%s] %s → %s\n", at, e.Intent, e.StateFrom, e.StateTo)
			if e.Text != "" {
				b.WriteString(indent(e.Text))
			}
			if e.Media != nil {
				fmt.Fprintf(&b, "    <%s %s>\n", e.Media.Type, e.Media.Filename)
			}
		case bot.DirectionOut:
			fmt.Fprintf(&b, "%s %s {%s}\n%s", at, e.Author, e.Status, indent(e.Text))
			if e.Media != nil {
				fmt.Fprintf(&b, "    <%s %s %s>\n", e.Media.Type, e.Media.Filename, e.Media.URL)
			}
		default:
			fmt.Fprintf(&b, "%s system: %s\n", at, e.Text)
		}
	}
	var events []bot.OutboxItem
	if err := r.st.Gorm.Raw("SELECT id, event_type, payload FROM outbox WHERE kind = 'event' ORDER BY id").Scan(&events).Error; err != nil {
		r.t.Fatal(err)
	}
	b.WriteString("\nevents:\n")
	for _, ev := range events {
		var body struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(ev.Payload, &body)
		delete(body.Data, "conversation_id")
		keys := make([]string, 0, len(body.Data))
		for k := range body.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&b, "  %s", body.Type)
		for _, k := range keys {
			v, _ := json.Marshal(body.Data[k])
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
		b.WriteString("\n")
	}
	open, _ := r.st.Invoices(ctx, store.InvoiceFilter{Phones: []string{r.customer.Phone}})
	ids := make([]string, len(open))
	for i, o := range open {
		ids[i] = o.Invoice.ID
	}
	cols, _ := r.st.Collections(ctx, ids)
	b.WriteString("invoices:\n")
	for _, o := range open {
		c := cols[o.Invoice.ID]
		status := string(c.Status)
		if status == "" {
			status = "active"
		}
		fmt.Fprintf(&b, "  %s %s collection=%s", o.Invoice.ID, o.Invoice.Status, status)
		if c.Until != "" {
			fmt.Fprintf(&b, " until=%s", c.Until)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}

// diffLines shows the first differing lines, enough to see what changed.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, wl, gl)
		}
	}
	return ""
}
