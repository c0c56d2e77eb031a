package whatsapp

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine/scenario"
)

// waHarness runs scenarios over the WhatsApp adapter: debtor messages
// arrive as real whatsmeow events through the fake client, replies leave
// through its SendMessage.
type waHarness struct{ h *harness }

func (w *waHarness) Transport(t testing.TB, env scenario.Env) bot.Transport {
	w.h = newHarness(t.(*testing.T), func(c *Config) {
		c.DB, c.Sink, c.Clock, c.Routes, c.Location = env.Store.DB, env.Sink, env.Clock, env.Store, scenario.Location
		c.Media = fakeMedia{} // invoice PDFs
		// Pacing sleeps advance the harness's own clock, not the
		// scenario's; no caps, so every reminder of a script goes out.
		c.Pacing = Pacing{MinDelay: time.Second, MaxDelay: time.Second}
	})
	w.h.cli.everyone = true
	return w.h.tr
}

// DropsImageNames implements scenario.Lossy: WhatsApp photos carry no file
// name, so a transcript shows "<image >" where the simulator kept one.
func (w *waHarness) DropsImageNames() bool { return true }

func (w *waHarness) Deliver(ctx context.Context, msg bot.InboundMessage) error {
	sender := types.NewJID(strings.TrimPrefix(msg.From, "+"), types.DefaultUserServer)
	m := &waE2E.Message{Conversation: proto.String(msg.Text)}
	if md := msg.Media; md != nil {
		sum := sha256.Sum256(md.Data)
		data := md.Data
		w.h.cli.download = func() ([]byte, error) { return data, nil }
		switch md.Type {
		case "image":
			m = &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String(md.MIME), Caption: proto.String(msg.Text),
				FileSHA256: sum[:], FileLength: proto.Uint64(uint64(len(data)))}}
		default:
			m = &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String(md.MIME), FileName: proto.String(md.Filename),
				Caption: proto.String(msg.Text), FileSHA256: sum[:], FileLength: proto.Uint64(uint64(len(data)))}}
		}
	}
	if !w.h.cli.dispatch(dm(sender, "WA"+msg.ExternalID, msg.SentAt, m)) {
		return fmt.Errorf("the transport did not acknowledge message %s", msg.ExternalID)
	}
	return nil
}

// TestScenariosOverWhatsApp runs the engine's golden scenarios with the
// whatsmeow adapter as the transport: every transcript must be the
// simulator's.
func TestScenariosOverWhatsApp(t *testing.T) {
	for _, file := range scenario.Files(t, "../../engine/testdata/scenarios") {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			scenario.Golden(t, file, &waHarness{}, false)
		})
	}
}
