package cloudapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// offline refuses every Graph request, so media downloads fail at once
// (the message is still delivered, without bytes) and a fuzz input can
// never reach the fake Graph API, which fails a test on any request it
// was not told to expect.
type offline struct{}

func (offline) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("fuzz: offline")
}

func fuzzEnv(t *testing.T) *env {
	return newEnv(t, func(c *Config) { c.HTTPClient = &http.Client{Transport: offline{}} })
}

// FuzzWebhook posts arbitrary bodies, correctly signed, to HandleWebhook.
// It must never panic, fail only with CodeInvalid (the sink never fails
// here), and hand the sink only what the engine can use (see checkSink).
// The same body with a wrong signature changes nothing.
func FuzzWebhook(f *testing.F) {
	at := `"timestamp":"` + ts(5*time.Minute) + `"`
	for _, v := range []string{
		value(testPhoneID, `"messages":[{"from":"551188887777","id":"wamid.T1",`+at+`,"type":"text","text":{"body":"já paguei"}}]`),
		value(testPhoneID, `"messages":[{"context":{"id":"wamid.ASK"},"from":"5511988887777","id":"wamid.B1",`+at+
			`,"type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"1","title":"Sim"}}}]`),
		value(testPhoneID, `"messages":[{"from":"5511988887777","id":"wamid.R1","type":"reaction","reaction":{"message_id":"wamid.ASK","emoji":"👍"}}]`),
		value(testPhoneID, `"messages":[{"from":"+1 (555) 010-0000","id":"wamid.I1",`+at+
			`,"type":"image","image":{"id":"M1","mime_type":"image/jpeg","sha256":"bm90IGEgaGFzaA==","caption":"comprovante"}}]`),
		value(testPhoneID, `"messages":[{"from":"","id":"wamid.X"},{"from":"5511988887777","id":""},{"from":"abc","id":"wamid.Y","type":"location"}]`),
		value(testPhoneID, `"statuses":[{"id":"wamid.S","status":"read","timestamp":1},{"id":"wamid.F","status":"failed","errors":[{"code":131026,"title":"x"}]},{"id":"","status":"sent"}]`),
		value("other-number", `"messages":[{"from":"5511988887777","id":"wamid.O"}]`),
		value(testPhoneID, `"errors":[{"code":131000,"title":"Something went wrong"}],"messages":[{"from":"5511988887777","id":"wamid.A","timestamp":"-62135596800","type":"audio","audio":{"sha256":"`+hexsum(receipt)+`"}}]`),
	} {
		f.Add([]byte(notification(v)))
	}
	for _, s := range []string{"", "{}", "null", `{"object":"page"}`, `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"account_update"}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"` + testPhoneID +
			`"},"messages":[{"from":"5511988887777","id":"w","timestamp":"99999999999999999999"}]}}]}]}`, `{"object":1}`, "[]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := fuzzEnv(t)
		ctx := context.Background()
		if err := e.tr.HandleWebhook(ctx, body, sign(string(body)+"tampered")); bot.ErrorCodeOf(err) != bot.CodeUnauthenticated {
			t.Fatalf("a wrong signature gave %v", err)
		}
		if len(e.sink.Messages())+len(e.sink.Reports()) != 0 {
			t.Fatalf("an unsigned body reached the sink")
		}
		err := e.tr.HandleWebhook(ctx, body, sign(string(body)))
		if err != nil && bot.ErrorCodeOf(err) != bot.CodeInvalid {
			t.Fatalf("HandleWebhook(%q) = %v, want nil or CodeInvalid", body, err)
		}
		checkSink(t, e.sink)
	})
}

// FuzzWebhookMessage puts fuzzed values into the fields of one
// well-formed message, so every input reaches the message decoding that
// raw bodies mostly fail to: the sender, id, type, timestamp (as a string
// or a bare number), text, quoted message and media hash.
func FuzzWebhookMessage(f *testing.F) {
	f.Add("551188887777", "wamid.T1", "text", ts(5*time.Minute), "já paguei", "", "")
	f.Add("+55 (11) 98888-7777", "wamid.I1", "image", "1", "comprovante", "wamid.ASK", b64sum(receipt))
	f.Add("5511988887777", "wamid.D1", "document", "", "boleto.pdf", "", hexsum(receipt))
	f.Add("5511988887777", "wamid.R1", "reaction", "0", "", "wamid.ASK", "")
	f.Add("15550783881", "wamid.B1", "interactive", "1764162000", "Sim", "wamid.OFFER", "")
	f.Add("0", "x", "sticker", "-1", "", "", "====")
	f.Add("5511988887777", "", "text", "", "sem id", "", "")
	f.Add("551188887777@s.whatsapp.net", "wamid.J", "button", "9223372036854775807", "Pagar", "", "")
	f.Fuzz(func(t *testing.T, from, id, typ, stamp, text, reply, sha string) {
		if len(from)+len(id)+len(typ)+len(stamp)+len(text)+len(reply)+len(sha) > 8<<10 {
			return // Meta caps a text at 4096 characters; longer only slows the search
		}
		m := map[string]any{"from": from, "id": id, "type": typ, "timestamp": stamp,
			"text": map[string]any{"body": text}, "button": map[string]any{"text": text, "payload": text},
			"interactive": map[string]any{"type": "list_reply", "list_reply": map[string]any{"id": text, "title": text}},
			"reaction":    map[string]any{"message_id": reply, "emoji": text}}
		if reply != "" {
			m["context"] = map[string]any{"from": from, "id": reply}
		}
		if typ != "" {
			m[typ] = map[string]any{"id": reply, "sha256": sha, "caption": text, "mime_type": "application/pdf", "filename": text}
		}
		if n, err := json.Number(stamp).Int64(); err == nil && len(stamp)%2 == 0 {
			m["timestamp"] = n // Meta sends strings; numbers are read too
		}
		inner, err := json.Marshal(map[string]any{"messages": []any{m}, "statuses": []any{
			map[string]any{"id": id, "status": text, "timestamp": stamp, "recipient_id": from}}})
		if err != nil {
			return // invalid UTF-8 is replaced by json.Marshal; other failures are not ours
		}
		body := notification(value(testPhoneID, string(inner[1:len(inner)-1])))
		e := fuzzEnv(t)
		err = e.tr.HandleWebhook(context.Background(), []byte(body), sign(body))
		if err != nil && bot.ErrorCodeOf(err) != bot.CodeInvalid {
			t.Fatalf("HandleWebhook(%s) = %v", body, err)
		}
		checkSink(t, e.sink)
		if err == nil && len(e.sink.Messages()) == 1 && e.sink.Messages()[0].ExternalID != asJSON(id) {
			t.Fatalf("message id %q, sent %q", e.sink.Messages()[0].ExternalID, id)
		}
	})
}

// asJSON is s as it reads back from JSON: invalid UTF-8 becomes U+FFFD.
func asJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// checkSink states what every message and report handed to the engine
// carries: an id, a sender in E.164 that normalises to itself, the
// transport name and a time; a report's status is one Quita tracks.
func checkSink(t *testing.T, s *fakeSink) {
	t.Helper()
	for _, m := range s.Messages() {
		if m.ExternalID == "" || m.Transport != Name || m.SentAt.IsZero() {
			t.Fatalf("message without id, transport or time: %+v", m)
		}
		if !isE164(m.From) {
			t.Fatalf("message %s from %q, not E.164", m.ExternalID, m.From)
		}
		if again, err := phone.Normalize(m.From, ""); err != nil || again != m.From {
			t.Fatalf("sender %q normalises to %q, %v", m.From, again, err)
		}
		if m.Media != nil && m.Media.SHA256 != "" && !isLowerHex(m.Media.SHA256, 64) {
			t.Fatalf("media hash %q is not lowercase hex SHA-256", m.Media.SHA256)
		}
	}
	for _, r := range s.Reports() {
		switch r.Status {
		case bot.DeliverySent, bot.DeliveryDelivered, bot.DeliveryRead, bot.DeliveryFailed:
		default:
			t.Fatalf("report with status %q", r.Status)
		}
		if r.ExternalID == "" || r.Transport != Name || r.At.IsZero() {
			t.Fatalf("report without id, transport or time: %+v", r)
		}
	}
}

// isE164 is "+" and 8 to 15 digits, the first not 0.
func isE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}
