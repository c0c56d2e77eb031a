// Package scenario runs the engine's golden scenario scripts
// (bot/engine/testdata/scenarios) through the whole engine over a chosen
// transport: the simulator, or a real transport's adapter talking to a
// fake network, so every transport is held to the same transcripts. It is
// test support: only tests import it. It imports the engine, the store and
// their collaborators, never a transport but the simulator.
package scenario

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/nlu"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/store/storetest"
)

// Location is the business timezone of every scenario.
var Location, _ = time.LoadLocation("America/Sao_Paulo")

// Start is the clock's time when a scenario begins.
var Start = time.Date(2026, 11, 23, 10, 0, 0, 0, Location)

// Policy is the policy every scenario runs under (and its reminder runner
// plans with), unless the script changes it with @pix off.
func Policy() policy.Policy {
	pol := policy.Default()
	pol.Company = policy.Company{Name: "Acme Telecom", ContactPhone: "(11) 4000-1234", Document: "11.222.333/0001-81"}
	pol.Pix = policy.Pix{Key: "pix@acme.example", MerchantCity: "SAO PAULO"}
	return pol
}

// Env is what a harness may use to build its transport.
type Env struct {
	Store  *store.Store
	Clock  *clock.Manual
	IDs    bot.IDs
	Policy policy.Policy
	// Sink processes what the transport receives synchronously: the
	// message is handled and its replies are sent before Receive returns,
	// so scripts stay deterministic.
	Sink bot.Sink
}

// Harness is one transport under test.
type Harness interface {
	// Transport builds the transport the engine sends through; its Name is
	// the conversations' transport.
	Transport(t testing.TB, env Env) bot.Transport
	// Deliver makes a debtor's message arrive as the network would deliver
	// it to the transport, which hands it to env.Sink. msg.ExternalID is
	// unique per script; msg.Media carries the bytes of an attachment.
	Deliver(ctx context.Context, msg bot.InboundMessage) error
}

// Lossy is implemented by a harness whose transport cannot carry all the
// simulator can.
type Lossy interface {
	// DropsImageNames reports that photos arrive without a file name
	// (WhatsApp's do): image lines are compared without it.
	DropsImageNames() bool
}

// imageLine is a debtor's photo in a rendered transcript (the bot's own
// attachments also show their URL).
var imageLine = regexp.MustCompile(`(?m)^    <image [^ >]*>$`)

// Files lists the scenario scripts under dir, sorted.
func Files(t testing.TB, dir string) []string {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios under %s: %v", dir, err)
	}
	return files
}

// Golden compares what Run renders for file with the .golden file beside
// it, or rewrites that file when update is set.
func Golden(t *testing.T, file string, h Harness, update bool) {
	got := Run(t, file, h)
	golden := strings.TrimSuffix(file, ".txt") + ".golden"
	if update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	expected := string(want)
	if l, ok := h.(Lossy); ok && l.DropsImageNames() {
		expected = imageLine.ReplaceAllString(expected, "    <image >")
	}
	if got != expected {
		t.Errorf("%s differs from %s (run with -update and review the diff):\n%s", filepath.Base(file), golden, diffLines(expected, got))
	}
}

// runner is one scenario in progress.
type runner struct {
	t        testing.TB
	st       *store.Store
	engine   *engine.Engine
	sender   *engine.Sender
	clock    *clock.Manual
	harness  Harness
	customer bot.Customer
	media    *bot.Media
	msgs     int
	policy   policy.Policy
}

// scriptPolicy is Policy() as the script's settings directives change it.
// The engine is built with its policy before the first line runs, so these
// directives take effect wherever they stand; scripts put them at the top.
func scriptPolicy(lines []string) policy.Policy {
	pol := Policy()
	for _, l := range lines {
		if strings.TrimSpace(l) == "@pix off" {
			pol.Pix = policy.Pix{} // no key: only the billing system's codes exist
		}
	}
	return pol
}

// Run runs one script over h and returns the rendered outcome.
func Run(t testing.TB, file string, h Harness) string {
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
	var lines []string
	for in := bufio.NewScanner(f); in.Scan(); {
		lines = append(lines, in.Text())
	}
	r := &runner{t: t, st: st, clock: clock.NewManual(Start), harness: h, policy: scriptPolicy(lines)}
	ids := &bot.SequenceIDs{}
	tr := h.Transport(t, Env{Store: st, Clock: r.clock, IDs: ids, Policy: r.policy, Sink: syncSink{r}})
	r.sender = engine.NewSender(st, r.clock, nil, nil, tr)
	r.engine, err = engine.New(engine.Config{Store: st, Classifier: classifier, Catalog: catalog, Policy: r.policy, Clock: r.clock,
		IDs: ids, Coord: coord.NewMemory(), Location: Location, Transports: []string{tr.Name()},
		QRCode: func(p string) ([]byte, error) { return qrcode.Encode(p, qrcode.Medium, 256) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.engine.Close(context.Background()) })
	for i, raw := range lines {
		line, text := i+1, strings.TrimSpace(raw)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if err := r.do(text); err != nil {
			t.Fatalf("%s:%d: %v", file, line, err)
		}
	}
	return r.render()
}

// syncSink handles what the transport receives before returning, then
// sends the replies, as the simulator endpoint does.
type syncSink struct{ r *runner }

func (s syncSink) Receive(ctx context.Context, msg bot.InboundMessage) error {
	out, err := s.r.engine.HandleInbound(ctx, msg)
	if err != nil {
		return err
	}
	return s.r.sender.Deliver(ctx, out.OutboxIDs)
}

func (s syncSink) Report(ctx context.Context, rep bot.DeliveryReport) error {
	return s.r.engine.Report(ctx, rep)
}

func (s syncSink) Link(bot.LinkState) {}

// Simulator is the harness of the simulator transport.
type Simulator struct{ sink bot.Sink }

// Transport implements Harness.
func (h *Simulator) Transport(_ testing.TB, env Env) bot.Transport {
	h.sink = env.Sink
	return sim.New(env.Store, env.Clock, env.IDs)
}

// Deliver implements Harness: the simulator's messages arrive as sent.
func (h *Simulator) Deliver(ctx context.Context, msg bot.InboundMessage) error {
	msg.Transport = sim.Name
	return h.sink.Receive(ctx, msg)
}

func (r *runner) message(line string) error {
	r.msgs++
	msg := bot.InboundMessage{ExternalID: fmt.Sprintf("m%d", r.msgs), From: r.customer.Phone, Text: line, Media: r.media,
		SentAt: r.clock.Now()}
	if line == "<media>" {
		msg.Text = ""
	}
	r.media = nil
	return r.harness.Deliver(context.Background(), msg)
}
