package engine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/nlu"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts under testdata/scenarios")

// TestGoldenScenarios runs every testdata/scenarios/*.txt script through
// the real engine, SQLite, the NLU and the simulator transport, and
// compares what happened with the .golden file beside it. Run with
// -update to rewrite them; review the diff like code.
//
// Script lines:
//
//	# comment
//	@now 2026-11-23T10:00:00-03:00          set the clock (forward only)
//	@clock +2h | +3d                         move the clock forward
//	@customer NAME | +55… | locale           the debtor the script talks as
//	@invoice ID | cents | due | description | key=value…  (pix=, boleto=, link=, pdf=, items=desc:cents;…)
//	@media image|document FILENAME           attach a file to the next message
//	@paid ID                                 the billing system confirms a payment
//	@policy key.path=value                   (reserved for policy overrides; YAML subset)
//	anything else                            a message from the debtor
func TestGoldenScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(name, func(t *testing.T) {
			got := runScenario(t, file)
			golden := strings.TrimSuffix(file, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s (run with -update and review the diff):\n%s", name, golden, diffLines(string(want), got))
			}
		})
	}
}

type scenario struct {
	t        *testing.T
	st       *store.Store
	engine   *engine.Engine
	sender   *engine.Sender
	clock    *clock.Manual
	customer bot.Customer
	media    *bot.Media
	msgs     int
}

func runScenario(t *testing.T, file string) string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st := storetest.OpenSQLite(t)
	catalog, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	classifier, err := nlu.New(locales.NLUFiles)
	if err != nil {
		t.Fatal(err)
	}
	pol := policy.Default()
	pol.Company = policy.Company{Name: "Acme Telecom", ContactPhone: "(11) 4000-1234"}
	pol.Pix = policy.Pix{Key: "pix@acme.example", MerchantCity: "SAO PAULO"}
	clk := clock.NewManual(time.Date(2026, 11, 23, 10, 0, 0, 0, saoPaulo))
	ids := &bot.SequenceIDs{}
	e, err := engine.New(engine.Config{Store: st, Classifier: classifier, Catalog: catalog, Policy: pol, Clock: clk,
		IDs: ids, Coord: coord.NewMemory(), Location: saoPaulo, Transports: []string{sim.Name}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	sc := &scenario{t: t, st: st, engine: e, clock: clk, sender: engine.NewSender(st, clk, nil, nil, sim.New(st, clk, ids))}
	in := bufio.NewScanner(f)
	for line := 1; in.Scan(); line++ {
		text := strings.TrimSpace(in.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if err := sc.do(text); err != nil {
			t.Fatalf("%s:%d: %v", file, line, err)
		}
	}
	return sc.render()
}

func fields(s string) []string {
	parts := strings.Split(s, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func (sc *scenario) do(line string) error {
	ctx := context.Background()
	cmd, rest, _ := strings.Cut(line, " ")
	switch cmd {
	case "@now":
		at, err := time.Parse(time.RFC3339, rest)
		if err != nil {
			return err
		}
		return sc.clock.Set(at)
	case "@clock":
		d, err := parseOffset(rest)
		if err != nil {
			return err
		}
		sc.clock.Advance(d)
		_, err = sc.sender.RunDue(ctx)
		return err
	case "@customer":
		f := fields(rest)
		if len(f) != 3 {
			return fmt.Errorf("@customer NAME | PHONE | LOCALE")
		}
		sc.customer = bot.Customer{ID: "cus_" + strings.ToLower(strings.Fields(f[0])[0]), Name: f[0], Phone: f[1], Locale: f[2],
			Document: "123.456.789-09", Email: "cliente@example.com", CreatedAt: sc.clock.Now(), UpdatedAt: sc.clock.Now()}
		return sc.st.UpsertCustomer(ctx, sc.customer)
	case "@invoice":
		return sc.invoice(rest)
	case "@media":
		f := strings.Fields(rest)
		if len(f) != 2 {
			return fmt.Errorf("@media TYPE FILENAME")
		}
		mime := map[string]string{"image": "image/jpeg", "document": "application/pdf"}[f[0]]
		sc.media = &bot.Media{Type: f[0], MIME: mime, Filename: f[1], Data: []byte("receipt bytes of " + f[1])}
		return nil
	case "@remind":
		return sc.remind(ctx, rest)
	case "@paid":
		inv, changed, err := sc.st.SetInvoiceStatus(ctx, strings.TrimSpace(rest), bot.InvoicePaid, sc.clock.Now())
		if err != nil || !changed {
			return fmt.Errorf("@paid: %v (changed %v)", err, changed)
		}
		out, err := sc.engine.InvoicePaid(ctx, inv)
		if err != nil {
			return err
		}
		return sc.sender.Deliver(ctx, out.OutboxIDs)
	}
	if strings.HasPrefix(cmd, "@") {
		return fmt.Errorf("unknown directive %s", cmd)
	}
	sc.msgs++
	msg := bot.InboundMessage{Transport: sim.Name, ExternalID: fmt.Sprintf("m%d", sc.msgs), From: sc.customer.Phone, Text: line, Media: sc.media}
	if line == "<media>" {
		msg.Text = ""
	}
	sc.media = nil
	out, err := sc.engine.HandleInbound(ctx, msg)
	if err != nil {
		return err
	}
	return sc.sender.Deliver(ctx, out.OutboxIDs)
}

func (sc *scenario) invoice(rest string) error {
	f := fields(rest)
	if len(f) < 4 {
		return fmt.Errorf("@invoice ID | CENTS | DUE | DESCRIPTION | key=value…")
	}
	cents, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return err
	}
	inv := bot.Invoice{ID: f[0], CustomerID: sc.customer.ID, AmountCents: cents, Currency: "BRL", DueDate: f[2], Description: f[3],
		Status: bot.InvoiceOpen, CreatedAt: sc.clock.Now(), UpdatedAt: sc.clock.Now()}
	for _, kv := range f[4:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "pix":
			inv.Payment.PixCopyPaste = v
		case "boleto":
			inv.Payment.BoletoLine = v
		case "link":
			inv.Payment.Link = v
		case "pdf":
			inv.PDFURL = v
		case "items":
			for _, item := range strings.Split(v, ";") {
				desc, c, _ := strings.Cut(item, ":")
				n, _ := strconv.ParseInt(c, 10, 64)
				inv.Items = append(inv.Items, bot.InvoiceItem{Description: desc, AmountCents: n})
			}
		default:
			return fmt.Errorf("unknown invoice key %q", k)
		}
	}
	return sc.st.UpsertInvoice(context.Background(), sc.customer, inv)
}

func parseOffset(s string) (time.Duration, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		return time.Duration(n) * 24 * time.Hour, err
	}
	return time.ParseDuration(s)
}

// render writes the conversation as a reviewer reads it: every transcript
// entry, then the events for the billing system and the invoices' states.
func (sc *scenario) render() string {
	ctx := context.Background()
	var b strings.Builder
	convs, err := sc.st.Conversations(ctx, store.ConversationFilter{Phones: []string{sc.customer.Phone}})
	if err != nil || len(convs) != 1 {
		sc.t.Fatalf("conversations: %v %v", convs, err)
	}
	conv := convs[0]
	entries, err := sc.st.Transcript(ctx, conv.ID)
	if err != nil {
		sc.t.Fatal(err)
	}
	if v := transcript.Verify(entries); !v.OK {
		sc.t.Fatalf("transcript chain broken: %+v", v)
	}
	fmt.Fprintf(&b, "conversation status=%s state=%s\n\n", conv.Status, conv.State)
	for _, e := range entries {
		at := e.At.In(saoPaulo).Format("02/01 15:04")
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
				fmt.Fprintf(&b, "    <document %s %s>\n", e.Media.Filename, e.Media.URL)
			}
		default:
			fmt.Fprintf(&b, "%s system: %s\n", at, e.Text)
		}
	}
	var events []bot.OutboxItem
	if err := sc.st.Gorm.Raw("SELECT id, event_type, payload FROM outbox WHERE kind = 'event' ORDER BY id").Scan(&events).Error; err != nil {
		sc.t.Fatal(err)
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
	open, _ := sc.st.Invoices(ctx, store.InvoiceFilter{Phones: []string{sc.customer.Phone}})
	ids := make([]string, len(open))
	for i, o := range open {
		ids[i] = o.Invoice.ID
	}
	cols, _ := sc.st.Collections(ctx, ids)
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
