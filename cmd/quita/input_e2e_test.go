package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// hostileEntry is the part of a transcript entry these tests read.
type hostileEntry struct {
	Direction, Author, Text string
	Media                   *struct{ Type, Filename string }
}

// transcriptOf returns the transcript of the conversation with number.
func (in *instance) transcriptOf(number string) []hostileEntry {
	in.t.Helper()
	var list struct{ Conversations []struct{ ID string } }
	in.call("GET", "/v1/conversations?phone="+strings.ReplaceAll(number, "+", "%2B"), nil, &list)
	if len(list.Conversations) == 0 {
		return nil
	}
	var tr struct{ Entries []hostileEntry }
	in.call("GET", "/v1/conversations/"+list.Conversations[0].ID+"/transcript", nil, &tr)
	return tr.Entries
}

// TestHostileTextIsStoredOrRefusedNeverA500 sends NUL bytes, invalid UTF-8
// and over-long ids through every way text enters Quita, on every
// backend. PostgreSQL refuses NUL and invalid UTF-8 in text, so before the
// input gate each of these was a 500 there, and a Cloud API batch holding
// one such message was redelivered, and refused, forever.
func TestHostileTextIsStoredOrRefusedNeverA500(t *testing.T) {
	for name, env := range backendEnvs(t) {
		t.Run(name, func(t *testing.T) {
			graph := &fakeGraph{}
			srv := httptest.NewServer(graph)
			defer srv.Close()
			e := env(t)
			for k, v := range map[string]string{"QUITA_CLOUDAPI_PHONE_NUMBER_ID": "106540352242922", "QUITA_CLOUDAPI_TOKEN": "graph-token",
				"QUITA_CLOUDAPI_APP_SECRET": "app-secret", "QUITA_CLOUDAPI_VERIFY_TOKEN": "verify-me", "QUITA_CLOUDAPI_BASE_URL": srv.URL,
				"QUITA_API_TOKEN": "test-token-0123456789", "QUITA_WEBHOOK_SECRET": testWebhookSecret} {
				e[k] = v
			}
			q := startQuita(t, e)

			t.Run("a cloud api batch is stored message by message", func(t *testing.T) {
				now := time.Now().Unix()
				msg := func(id, inner string) string {
					return fmt.Sprintf(`{"from":"5511988887777","id":"%s","timestamp":"%d",%s}`, id, now, inner)
				}
				longID := "wamid." + strings.Repeat("A", 300)
				batch := `{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{` +
					`"messaging_product":"whatsapp","metadata":{"display_phone_number":"551140001234","phone_number_id":"106540352242922"},` +
					`"messages":[` + strings.Join([]string{
					msg("wamid.B1", `"type":"text","text":{"body":"primeira"}`),
					msg("wamid.B2", `"type":"text","text":{"body":"oi\u0000 tudo bem"}`),
					msg("wamid.B3", `"type":"document","document":{"filename":"recibo\u0000.pdf","mime_type":"application/pdf","caption":"comprovante"}`),
					msg(longID, `"type":"text","text":{"body":"id longo demais"}`),
					msg("wamid.B5", "\"type\":\"text\",\"text\":{\"body\":\"caf\xe9\"}"),
					msg("wamid.B6", `"type":"text","text":{"body":"última"}`),
				}, ",") + `]}}]}]}`
				mac := hmac.New(sha256.New, []byte("app-secret"))
				mac.Write([]byte(batch))
				for attempt := range 2 { // Meta's redelivery must be a no-op too
					req, _ := http.NewRequest("POST", q.base+"/v1/webhooks/whatsapp", strings.NewReader(batch))
					req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != 200 {
						t.Fatalf("delivery %d of the batch: %d, want 200", attempt+1, resp.StatusCode)
					}
				}
				want := []string{"primeira", "oi tudo bem", "comprovante", "caf\uFFFD", "última"}
				var ins []hostileEntry
				var refused []string
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					ins, refused = nil, nil
					for _, en := range q.transcriptOf("+5511988887777") {
						switch {
						case en.Direction == "in":
							ins = append(ins, en)
						case en.Direction == "system" && strings.Contains(en.Text, "could not be recorded"):
							refused = append(refused, en.Text)
						}
					}
					if len(ins) >= len(want) && len(refused) > 0 {
						break
					}
				}
				// Each stored message is stepped on its own goroutine, so
				// the transcript's order is not the batch's.
				var got []string
				var doc *hostileEntry
				for i, en := range ins {
					got = append(got, en.Text)
					if en.Text == "comprovante" {
						doc = &ins[i]
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("inbound texts %q, want %q", got, want)
				}
				if doc.Media == nil || doc.Media.Filename != "recibo.pdf" {
					t.Errorf("the document's name: %+v", doc.Media)
				}
				if len(refused) != 1 || !strings.Contains(refused[0], "id") {
					t.Errorf("the message with an unusable id left %q in the transcript, want one system entry naming the id", refused)
				}
			})

			t.Run("the simulator cleans like the other transports", func(t *testing.T) {
				var out inboundResp
				if st := q.call("POST", "/v1/sim/inbound", map[string]any{"from": "+5511966665555", "text": "oi\u0000"}, &out); st != 200 {
					t.Fatalf("NUL in the text: %d", st)
				}
				if st := q.call("POST", "/v1/sim/inbound", map[string]any{"from": "+5511966665555", "text": "segue",
					"media": map[string]string{"type": "document", "mime": "application/pdf", "filename": "recibo\u0000\xff.pdf", "data_base64": "JVBERi0xLjQK"}}, &out); st != 200 {
					t.Fatalf("NUL in the file name: %d", st)
				}
				var texts, files []string
				for _, en := range q.transcriptOf("+5511966665555") {
					if en.Direction == "in" {
						texts = append(texts, en.Text)
						if en.Media != nil {
							files = append(files, en.Media.Filename)
						}
					}
				}
				if strings.Join(texts, "|") != "oi|segue" || strings.Join(files, "|") != "recibo\uFFFD.pdf" {
					t.Errorf("stored texts %q and files %q", texts, files)
				}
			})

			t.Run("invoice fields with NUL are refused by name", func(t *testing.T) {
				for _, tc := range []struct{ field, body string }{
					{"description", `"description":"Internet\u0000"`},
					{"customer.name", `"description":"x"`},
				} {
					name := "Ana"
					if tc.field == "customer.name" {
						name = `Ana\u0000`
					}
					body := `{"invoice_id":"INV-NUL","customer":{"id":"C-9","name":"` + name + `","phone":"+5511955554444"},` +
						`"amount_cents":1000,"due_date":"2030-01-10",` + tc.body + `}`
					var e apiError
					if st := q.call("POST", "/v1/invoices", []byte(body), &e); st != 422 || !strings.Contains(e.Error.Message, tc.field) {
						t.Errorf("%s with NUL: %d %+v, want 422 naming it", tc.field, st, e)
					}
				}
			})

			t.Run("a webhook-id that is not text is refused", func(t *testing.T) {
				st, out := q.deliver(testWebhookSecret, "msg_\xff\xfe", time.Now(), createdBody)
				if st != 422 {
					t.Errorf("webhook-id with invalid UTF-8: %d %v, want 422", st, out)
				}
			})
		})
	}
}
