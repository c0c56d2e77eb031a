package cloudapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// cloudWebhook is web.CloudWebhook's method set, copied so the package
// need not import web.
type cloudWebhook interface {
	VerifyChallenge(mode, token, challenge string) (answer string, ok bool)
	HandleWebhook(ctx context.Context, body []byte, signature string) error
}

var (
	_ cloudWebhook  = (*Transport)(nil)
	_ bot.Transport = (*Transport)(nil)
)

// ts is the webhook timestamp of a moment d before testNow.
func ts(d time.Duration) string { return fmt.Sprint(testNow.Add(-d).Unix()) }

// fromDebtor is the start of a message from the debtor as Meta writes it:
// the Brazilian number without its ninth digit, as WhatsApp keeps old
// accounts.
func fromDebtor(id string, age time.Duration) string {
	return `"from":"551188887777","id":"` + id + `","timestamp":"` + ts(age) + `"`
}

var receipt = []byte("%PDF-1.4 comprovante de pagamento")

func b64sum(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func hexsum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestWebhookMessages(t *testing.T) {
	at := testNow.Add(-5 * time.Minute)
	base := bot.InboundMessage{Transport: Name, From: debtor, SentAt: at}
	with := func(f func(*bot.InboundMessage)) bot.InboundMessage { m := base; f(&m); return m }
	tests := []struct {
		name    string
		message string
		graph   func(url string) []call // the media requests it causes
		want    bot.InboundMessage
	}{
		{name: "text quoting a message",
			message: `{"context":{"from":"15550783881","id":"wamid.ASK"},` + fromDebtor("wamid.T1", 5*time.Minute) + `,"type":"text","text":{"body":"já paguei"}}`,
			want:    with(func(m *bot.InboundMessage) { m.ExternalID, m.Text, m.Reply = "wamid.T1", "já paguei", "wamid.ASK" })},
		{name: "reply button",
			message: `{"context":{"from":"15550783881","id":"wamid.OFFER"},` + fromDebtor("wamid.B1", 5*time.Minute) +
				`,"type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"1","title":"Sim"}}}`,
			want: with(func(m *bot.InboundMessage) { m.ExternalID, m.Text, m.Reply = "wamid.B1", "Sim", "wamid.OFFER" })},
		{name: "list row",
			message: `{"context":{"from":"15550783881","id":"wamid.MENU"},` + fromDebtor("wamid.L1", 5*time.Minute) +
				`,"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"4","title":"Parcelar","description":""}}}`,
			want: with(func(m *bot.InboundMessage) { m.ExternalID, m.Text, m.Reply = "wamid.L1", "Parcelar", "wamid.MENU" })},
		{name: "template quick reply",
			message: `{` + fromDebtor("wamid.Q1", 5*time.Minute) + `,"type":"button","button":{"payload":"pay_now","text":"Pagar agora"}}`,
			want:    with(func(m *bot.InboundMessage) { m.ExternalID, m.Text = "wamid.Q1", "Pagar agora" })},
		{name: "image downloaded through the Graph API",
			message: `{` + fromDebtor("wamid.I1", 5*time.Minute) + `,"type":"image","image":{"caption":"comprovante","mime_type":"image/jpeg","sha256":"` +
				b64sum(receipt) + `","id":"1003383421387256"}}`,
			graph: func(url string) []call {
				return []call{
					{method: "GET", path: "/" + testVersion + "/1003383421387256",
						reply: `{"url":"` + url + `/whatsapp_business/attachments/?mid=1003383421387256&ext=1","mime_type":"image/jpeg","sha256":"` +
							b64sum(receipt) + `","file_size":` + fmt.Sprint(len(receipt)) + `,"id":"1003383421387256","messaging_product":"whatsapp"}`},
					{method: "GET", path: "/whatsapp_business/attachments/", query: "mid=1003383421387256&ext=1", raw: receipt},
				}
			},
			want: with(func(m *bot.InboundMessage) {
				m.ExternalID, m.Text = "wamid.I1", "comprovante"
				m.Media = &bot.Media{Type: "image", MIME: "image/jpeg", SHA256: hexsum(receipt), Size: int64(len(receipt)), Data: receipt}
			})},
		{name: "document with its filename",
			message: `{` + fromDebtor("wamid.D1", 5*time.Minute) + `,"type":"document","document":{"filename":"comprovante.pdf","mime_type":"application/pdf","sha256":"` +
				b64sum(receipt) + `","id":"MEDIA2"}}`,
			graph: func(url string) []call {
				return []call{
					{method: "GET", path: "/" + testVersion + "/MEDIA2", reply: `{"url":"` + url + `/media/MEDIA2","mime_type":"application/pdf","file_size":33}`},
					{method: "GET", path: "/media/MEDIA2", raw: receipt},
				}
			},
			want: with(func(m *bot.InboundMessage) {
				m.ExternalID = "wamid.D1"
				m.Media = &bot.Media{Type: "document", MIME: "application/pdf", Filename: "comprovante.pdf", SHA256: hexsum(receipt),
					Size: int64(len(receipt)), Data: receipt}
			})},
		{name: "document over the size limit is recorded without its bytes",
			message: `{` + fromDebtor("wamid.D2", 5*time.Minute) + `,"type":"document","document":{"filename":"big.pdf","mime_type":"application/pdf","sha256":"` +
				hexsum(receipt) + `","id":"MEDIA3"}}`,
			graph: func(url string) []call {
				return []call{{method: "GET", path: "/" + testVersion + "/MEDIA3", reply: `{"url":"` + url + `/media/MEDIA3","file_size":20971520}`}}
			},
			want: with(func(m *bot.InboundMessage) {
				m.ExternalID = "wamid.D2"
				m.Media = &bot.Media{Type: "document", MIME: "application/pdf", Filename: "big.pdf", SHA256: hexsum(receipt), Size: 20 << 20}
			})},
		{name: "file_size written as a string, as Meta's media reference shows it, still bounds the download",
			message: `{` + fromDebtor("wamid.D3", 5*time.Minute) + `,"type":"document","document":{"filename":"big.pdf","mime_type":"application/pdf","sha256":"` +
				hexsum(receipt) + `","id":"MEDIA4"}}`,
			graph: func(url string) []call {
				return []call{{method: "GET", path: "/" + testVersion + "/MEDIA4", reply: `{"url":"` + url + `/media/MEDIA4","file_size":"20971520"}`}}
			},
			want: with(func(m *bot.InboundMessage) {
				m.ExternalID = "wamid.D3"
				m.Media = &bot.Media{Type: "document", MIME: "application/pdf", Filename: "big.pdf", SHA256: hexsum(receipt), Size: 20 << 20}
			})},
		{name: "voice note recorded without download",
			message: `{` + fromDebtor("wamid.A1", 5*time.Minute) + `,"type":"audio","audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"` +
				b64sum(receipt) + `","id":"AUDIO1","voice":true}}`,
			want: with(func(m *bot.InboundMessage) {
				m.ExternalID = "wamid.A1"
				m.Media = &bot.Media{Type: "audio", MIME: "audio/ogg; codecs=opus", SHA256: hexsum(receipt)}
			})},
		{name: "location is recorded by type",
			message: `{` + fromDebtor("wamid.G1", 5*time.Minute) + `,"type":"location","location":{"latitude":-23.55,"longitude":-46.63}}`,
			want:    with(func(m *bot.InboundMessage) { m.ExternalID, m.Media = "wamid.G1", &bot.Media{Type: "location"} })},
		{name: "unsupported message",
			message: `{` + fromDebtor("wamid.U1", 5*time.Minute) + `,"type":"unsupported","errors":[{"code":131051,"title":"Message type unknown"}]}`,
			want:    with(func(m *bot.InboundMessage) { m.ExternalID, m.Media = "wamid.U1", &bot.Media{Type: "unsupported"} })},
		{name: "a thumbs-up reaction answers the message it reacts to",
			message: `{` + fromDebtor("wamid.R1", 5*time.Minute) + `,"type":"reaction","reaction":{"message_id":"wamid.ASK","emoji":"👍"}}`,
			want:    with(func(m *bot.InboundMessage) { m.ExternalID, m.Text, m.Reply = "wamid.R1", "👍", "wamid.ASK" })},
		{name: "a message older than the reply age is history",
			message: `{` + fromDebtor("wamid.OLD", 50*time.Hour) + `,"type":"text","text":{"body":"sim"}}`,
			want: bot.InboundMessage{Transport: Name, ExternalID: "wamid.OLD", From: debtor, Text: "sim",
				SentAt: testNow.Add(-50 * time.Hour), Kind: bot.InboundHistory}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.graph != nil {
				e.graph.expect(tc.graph(e.graph.srv.URL)...)
			}
			payload := value(testPhoneID, `"contacts":[{"profile":{"name":"Maria Souza"},"wa_id":"551188887777"}],"messages":[`+tc.message+`]`)
			if err := e.deliver(t, notification(payload)); err != nil {
				t.Fatalf("HandleWebhook: %v", err)
			}
			if len(e.sink.Messages()) != 1 {
				t.Fatalf("Sink received %d messages, want 1", len(e.sink.Messages()))
			}
			got := e.sink.Messages()[0]
			if !got.SentAt.Equal(tc.want.SentAt) {
				t.Errorf("SentAt = %v, want %v", got.SentAt, tc.want.SentAt)
			}
			got.SentAt, tc.want.SentAt = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("received\n %+v (media %+v)\nwant\n %+v (media %+v)", got, got.Media, tc.want, tc.want.Media)
			}
		})
	}
}

func TestWebhookStatuses(t *testing.T) {
	e := newEnv(t)
	statuses := `"statuses":[
		{"id":"wamid.S","status":"sent","timestamp":"` + ts(3*time.Minute) + `","recipient_id":"5511988887777",
		 "conversation":{"id":"c1","origin":{"type":"utility"}},"pricing":{"billable":true,"pricing_model":"CBP","category":"utility"}},
		{"id":"wamid.S","status":"delivered","timestamp":"` + ts(2*time.Minute) + `","recipient_id":"5511988887777"},
		{"id":"wamid.S","status":"read","timestamp":"` + ts(time.Minute) + `","recipient_id":"5511988887777"},
		{"id":"wamid.F","status":"failed","timestamp":"` + ts(0) + `","recipient_id":"5511988887777",
		 "errors":[{"code":131026,"title":"Message undeliverable","message":"Message undeliverable","error_data":{"details":"Message Undeliverable."}}]},
		{"id":"wamid.S","status":"deleted","timestamp":"` + ts(0) + `","recipient_id":"5511988887777"}]`
	if err := e.deliver(t, notification(value(testPhoneID, statuses))); err != nil {
		t.Fatal(err)
	}
	want := []bot.DeliveryReport{
		{Transport: Name, ExternalID: "wamid.S", Status: bot.DeliverySent, At: testNow.Add(-3 * time.Minute)},
		{Transport: Name, ExternalID: "wamid.S", Status: bot.DeliveryDelivered, At: testNow.Add(-2 * time.Minute)},
		{Transport: Name, ExternalID: "wamid.S", Status: bot.DeliveryRead, At: testNow.Add(-time.Minute)},
		{Transport: Name, ExternalID: "wamid.F", Status: bot.DeliveryFailed, At: testNow,
			Reason: "Message undeliverable (code 131026): Message Undeliverable."},
	}
	if len(e.sink.Reports()) != len(want) {
		t.Fatalf("reports = %+v, want %d (deleted ignored)", e.sink.Reports(), len(want))
	}
	for i, w := range want {
		got := e.sink.Reports()[i]
		if !got.At.Equal(w.At) {
			t.Errorf("report %d At = %v, want %v", i, got.At, w.At)
		}
		got.At, w.At = time.Time{}, time.Time{}
		if got != w {
			t.Errorf("report %d = %+v, want %+v", i, got, w)
		}
	}
}

func TestWebhookIgnoresOtherPhoneNumbers(t *testing.T) {
	e := newEnv(t) // the fake graph fails the test if the image is downloaded
	foreign := value("999999999", `"messages":[{`+fromDebtor("wamid.X", time.Minute)+
		`,"type":"image","image":{"id":"M9","mime_type":"image/jpeg"}}],"statuses":[{"id":"wamid.Y","status":"read","timestamp":"1"}]`)
	ours := value(testPhoneID, `"messages":[{`+fromDebtor("wamid.OURS", time.Minute)+`,"type":"text","text":{"body":"oi"}}]`)
	if err := e.deliver(t, notification(foreign, ours)); err != nil {
		t.Fatal(err)
	}
	msgs, reps := e.sink.Messages(), e.sink.Reports()
	if len(msgs) != 1 || msgs[0].ExternalID != "wamid.OURS" || len(reps) != 0 {
		t.Fatalf("sink got %+v / %+v, want only wamid.OURS", msgs, reps)
	}
}

func TestWebhookSignature(t *testing.T) {
	body := notification(value(testPhoneID, `"messages":[{`+fromDebtor("wamid.T1", time.Minute)+`,"type":"text","text":{"body":"oi"}}]`))
	tests := []struct {
		name, signature string
		ok              bool
	}{
		{"good", sign(body), true},
		{"good, uppercase hex", "sha256=" + strings.ToUpper(strings.TrimPrefix(sign(body), "sha256=")), true},
		{"missing", "", false},
		{"another body's", sign(body + " "), false},
		{"another secret's", "sha256=" + hexsum([]byte(body)), false},
		{"sha1 scheme", "sha1=" + strings.TrimPrefix(sign(body), "sha256="), false},
		{"not hex", "sha256=zz", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			err := e.tr.HandleWebhook(context.Background(), []byte(body), tc.signature)
			if tc.ok {
				if err != nil || len(e.sink.Messages()) != 1 {
					t.Fatalf("HandleWebhook = %v with %d messages, want accepted", err, len(e.sink.Messages()))
				}
				return
			}
			if bot.ErrorCodeOf(err) != bot.CodeUnauthenticated {
				t.Fatalf("HandleWebhook = %v, want an unauthenticated bot.Error", err)
			}
			if len(e.sink.Messages()) != 0 {
				t.Errorf("an unsigned webhook reached the sink")
			}
		})
	}
}

func TestWebhookMalformedBodyIsInvalid(t *testing.T) {
	for _, body := range []string{`{"object":`, `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":
		{"metadata":{"phone_number_id":"1065403522"},"messages":[{"from":"551188887777","id":"x","timestamp":"yesterday","type":"text"}]}}]}]}`} {
		e := newEnv(t)
		if err := e.deliver(t, body); bot.ErrorCodeOf(err) != bot.CodeInvalid {
			t.Errorf("HandleWebhook(%.30s…) = %v, want an invalid bot.Error", body, err)
		}
	}
}

func TestWebhookOtherObjectsAreIgnored(t *testing.T) {
	e := newEnv(t)
	if err := e.deliver(t, `{"object":"page","entry":[]}`); err != nil || len(e.sink.Messages()) != 0 {
		t.Fatalf("HandleWebhook = %v, want nil and nothing received", err)
	}
}

func TestWebhookFailsWhenTheSinkFails(t *testing.T) {
	e := newEnv(t)
	e.sink.Fail = errors.New("disk full")
	err := e.deliver(t, notification(value(testPhoneID, `"messages":[{`+fromDebtor("wamid.T1", time.Minute)+`,"type":"text","text":{"body":"oi"}}]`)))
	if err == nil || !strings.Contains(err.Error(), "disk full") || bot.ErrorCodeOf(err) != bot.CodeInternal {
		t.Fatalf("HandleWebhook = %v, want the sink's failure so Meta delivers again", err)
	}
	err = e.deliver(t, notification(value(testPhoneID, `"statuses":[{"id":"wamid.S","status":"read","timestamp":"`+ts(0)+`"}]`)))
	if err == nil {
		t.Fatal("a failed Report was swallowed")
	}
}

func TestVerifyChallenge(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		mode, token string
		ok          bool
	}{
		{"subscribe", testVerifyToken, true},
		{"subscribe", "wrong", false},
		{"subscribe", "", false},
		{"unsubscribe", testVerifyToken, false},
		{"", testVerifyToken, false},
	}
	for _, tc := range tests {
		answer, ok := e.tr.VerifyChallenge(tc.mode, tc.token, "1158201444")
		if ok != tc.ok || (ok && answer != "1158201444") || (!ok && answer != "") {
			t.Errorf("VerifyChallenge(%q, %q) = %q, %v; want ok=%v", tc.mode, tc.token, answer, ok, tc.ok)
		}
	}
}

// choosySink refuses the messages refuse picks with err and records the
// rest, as the engine does with a message it cannot store.
type choosySink struct {
	*fakeSink
	refuse func(bot.InboundMessage) error
}

func (s choosySink) Receive(ctx context.Context, msg bot.InboundMessage) error {
	if err := s.refuse(msg); err != nil {
		return err
	}
	return s.fakeSink.Receive(ctx, msg)
}

// TestWebhookBatchGoesOnPastABadMessage: one message the Sink refuses no
// longer fails the whole notification (Meta would redeliver it forever and
// the messages after it would never be stored); it is recorded as refused.
// A passing failure still fails the delivery, after the rest were stored.
func TestWebhookBatchGoesOnPastABadMessage(t *testing.T) {
	batch := notification(value(testPhoneID, `"messages":[`+
		`{`+fromDebtor("wamid.A", time.Minute)+`,"type":"text","text":{"body":"um"}},`+
		`{`+fromDebtor("wamid.BAD", time.Minute)+`,"type":"text","text":{"body":"dois"}},`+
		`{`+fromDebtor("wamid.C", time.Minute)+`,"type":"text","text":{"body":"três"}}]`))
	for _, tc := range []struct {
		name       string
		refusal    error
		wantErr    bool
		wantStored []string
	}{
		{"refused for what it is", bot.Invalid("id", "must be at most 200 bytes"), false, []string{"um", "id: must be at most 200 bytes", "três"}},
		{"a passing failure", errors.New("connection reset"), true, []string{"um", "três"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := choosySink{fakeSink: &fakeSink{}, refuse: func(m bot.InboundMessage) error {
				if m.ExternalID == "wamid.BAD" {
					return tc.refusal
				}
				return nil
			}}
			e := newEnv(t, func(c *Config) { c.Sink = sink })
			err := e.deliver(t, batch)
			if (err != nil) != tc.wantErr {
				t.Fatalf("HandleWebhook = %v, want error: %v", err, tc.wantErr)
			}
			var stored []string
			for _, m := range sink.Messages() {
				stored = append(stored, m.Text)
				if m.Kind == bot.InboundRefused && (m.From != "+5511988887777" || !strings.HasPrefix(m.ExternalID, "refused.")) {
					t.Errorf("refused placeholder %+v", m)
				}
			}
			if strings.Join(stored, "|") != strings.Join(tc.wantStored, "|") {
				t.Fatalf("stored %q, want %q", stored, tc.wantStored)
			}
		})
	}
}
