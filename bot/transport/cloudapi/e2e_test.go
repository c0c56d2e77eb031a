package cloudapi

import (
	"context"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// TestEndToEnd runs one exchange the way the service does: Meta delivers
// a debtor's message, the Sink stores it (and so opens the window, since
// the window is read from what the Sink stored), the bot answers through
// the Graph API, and Meta's status for that answer comes back under the
// id Send returned.
func TestEndToEnd(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Templates = testTemplates
		// The sink plays the inbox, as the composition root wires it.
		c.Window = WindowFunc(c.Sink.(*fakeSink).LastInbound)
	})

	// Before the debtor writes, only a template may go.
	_, err := e.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_0", To: debtor, Text: "Oi"})
	if err == nil {
		t.Fatal("free text went out before the debtor opened the window")
	}

	inbound := notification(value(testPhoneID, `"contacts":[{"profile":{"name":"Maria"},"wa_id":"551188887777"}],"messages":[{`+
		fromDebtor("wamid.IN1", 10*time.Second)+`,"type":"text","text":{"body":"quero pagar"}}]`))
	if err := e.tr.HandleWebhook(context.Background(), []byte(inbound), sign(inbound)); err != nil {
		t.Fatalf("HandleWebhook: %v", err)
	}
	msgs := e.sink.Messages()
	if len(msgs) != 1 || msgs[0].From != debtor || msgs[0].Text != "quero pagar" {
		t.Fatalf("sink messages = %+v", msgs)
	}

	// The engine answers the message it received.
	in := msgs[0]
	e.graph.expectSend(body("interactive", `"interactive":{"type":"button","body":{"text":"Como prefere pagar?\n1 - Pix\n2 - Boleto"},
		"action":{"buttons":[{"type":"reply","reply":{"id":"1","title":"Pix"}},{"type":"reply","reply":{"id":"2","title":"Boleto"}}]}}`),
		"wamid.OUT1")
	id, err := e.tr.Send(context.Background(), bot.OutboundMessage{ID: "out_1", ConversationID: "conv_1", To: in.From,
		Text: "Como prefere pagar?\n1 - Pix\n2 - Boleto", Buttons: buttons("Pix", "Boleto"), Key: "pay.method.ask", Locale: "pt-BR"})
	if err != nil || id != "wamid.OUT1" {
		t.Fatalf("Send = %q, %v", id, err)
	}

	status := notification(value(testPhoneID, `"statuses":[{"id":"`+id+`","status":"delivered","timestamp":"`+ts(0)+
		`","recipient_id":"5511988887777","biz_opaque_callback_data":"out_1"}]`))
	if err := e.tr.HandleWebhook(context.Background(), []byte(status), sign(status)); err != nil {
		t.Fatal(err)
	}
	if reps := e.sink.Reports(); len(reps) != 1 || reps[0].ExternalID != "wamid.OUT1" || reps[0].Status != bot.DeliveryDelivered {
		t.Fatalf("reports = %+v, want delivered for wamid.OUT1", reps)
	}
	if l := e.tr.Links()[0]; l.State != bot.LinkConnected {
		t.Errorf("link after a full exchange = %+v", l)
	}
}
