package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/store/storetest"
	"github.com/quitabot/quita/webhooks"
)

const testWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// deliver posts a billing webhook signed with secret and returns the
// status and decoded body.
func (in *instance) deliver(secret, id string, ts time.Time, body string) (int, map[string]any) {
	in.t.Helper()
	s, err := webhooks.ParseSecret(secret)
	if err != nil {
		in.t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", in.base+"/v1/webhooks/billing", strings.NewReader(body))
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", fmt.Sprint(ts.Unix()))
	req.Header.Set("webhook-signature", webhooks.Sign(s, id, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		in.t.Fatalf("webhook answer is not JSON: %d %s", resp.StatusCode, data)
	}
	return resp.StatusCode, out
}

// postOversized announces a body over the 1 MiB limit and reads the answer
// without sending it, as a server that refuses early is entitled to.
func (in *instance) postOversized(path string) (int, string) {
	in.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(in.base, "http://"))
	if err != nil {
		in.t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: quita\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		path, in.token, 2<<20)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		in.t.Fatalf("no answer to an oversized body: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

const createdBody = `{"type":"invoice.created","data":{"invoice_id":"INV-1234",
 "customer":{"id":"C-1","name":"Ana Lima","phone":"+5511977770000","email":"ana@example.com","locale":"pt-BR"},
 "amount_cents":15990,"currency":"BRL","due_date":"2030-11-25","description":"Internet 300MB - novembro",
 "items":[{"description":"Plano 300MB","amount_cents":15990}],
 "payment":{"link":"https://pay.example/INV-1234"},"pdf_url":"https://billing.example/INV-1234.pdf"}}`

func TestBillingWebhooksEndToEnd(t *testing.T) {
	for name, envFor := range backendEnvs(t) {
		t.Run(name, func(t *testing.T) {
			env := envFor(t)
			env["QUITA_WEBHOOK_SECRET"] = "whsec_bmV3LXNlY3JldC1rZXktMTIzNDU2Nzg5MA== " + testWebhookSecret
			q := startQuita(t, env)
			now := time.Now()

			st, body := q.deliver(testWebhookSecret, "msg_1", now, createdBody)
			if st != 200 || body["change"] != "created" {
				t.Fatalf("invoice.created: %d %v", st, body)
			}
			// The same delivery again has no second effect.
			if st, body = q.deliver(testWebhookSecret, "msg_1", now, createdBody); st != 200 || body["status"] != "duplicate" {
				t.Fatalf("replay: %d %v", st, body)
			}
			// The same invoice in a new delivery, same content: unchanged.
			if st, body = q.deliver(testWebhookSecret, "msg_2", now, createdBody); st != 200 || body["change"] != "unchanged" {
				t.Fatalf("same content: %d %v", st, body)
			}
			updated := strings.Replace(strings.Replace(createdBody, "2030-11-25", "2030-12-10", 1), "invoice.created", "invoice.updated", 1)
			if st, body = q.deliver(testWebhookSecret, "msg_3", now, updated); st != 200 || body["change"] != "updated" {
				t.Fatalf("new due date: %d %v", st, body)
			}

			rejected := []struct {
				name, secret, id string
				ts               time.Time
				body             string
				status           int
				code, field      string
			}{
				{"bad signature", "whsec_c29tZS1vdGhlci1rZXktMDEyMzQ1Njc4OQ==", "msg_x1", now, createdBody, 401, "unauthenticated", ""},
				{"old timestamp", testWebhookSecret, "msg_x2", now.Add(-6 * time.Minute), createdBody, 401, "unauthenticated", ""},
				{"bad json", testWebhookSecret, "msg_x3", now, `{"type":`, 400, "malformed_request", ""},
				{"missing phone", testWebhookSecret, "msg_x4", now, strings.Replace(createdBody, `"phone":"+5511977770000",`, "", 1), 422, "invalid", "data.customer.phone"},
				{"invalid phone", testWebhookSecret, "msg_x5", now, strings.Replace(createdBody, "+5511977770000", "123", 1), 422, "invalid", "data.customer.phone"},
				{"zero amount", testWebhookSecret, "msg_x6", now, strings.Replace(createdBody, `"amount_cents":15990,"currency"`, `"amount_cents":0,"currency"`, 1), 422, "invalid", "data.amount_cents"},
				{"unknown currency", testWebhookSecret, "msg_x7", now, strings.Replace(createdBody, `"BRL"`, `"XYZ"`, 1), 422, "invalid", "data.currency"},
				{"invalid date", testWebhookSecret, "msg_x8", now, strings.Replace(createdBody, "2030-11-25", "2030-13-01", 1), 422, "invalid", "data.due_date"},
				{"missing invoice id", testWebhookSecret, "msg_x9", now, strings.Replace(createdBody, `"invoice_id":"INV-1234",`, "", 1), 422, "invalid", "data.invoice_id"},
				{"paid unknown invoice", testWebhookSecret, "msg_x10", now, `{"type":"invoice.paid","data":{"invoice_id":"NOPE"}}`, 422, "invalid", "data.invoice_id"},
			}
			for _, r := range rejected {
				st, body := q.deliver(r.secret, r.id, r.ts, r.body)
				e, _ := body["error"].(map[string]any)
				if st != r.status || e["code"] != r.code || (r.field != "" && !strings.HasPrefix(fmt.Sprint(e["message"]), r.field)) {
					t.Errorf("%s: %d %v, want %d %s naming %q", r.name, st, body, r.status, r.code, r.field)
				}
			}
			// A body changed after signing (amount raised in transit).
			sec, _ := webhooks.ParseSecret(testWebhookSecret)
			tampered, _ := http.NewRequest("POST", q.base+"/v1/webhooks/billing", strings.NewReader(strings.Replace(createdBody, "15990", "99990", 1)))
			tampered.Header.Set("webhook-id", "msg_tampered")
			tampered.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
			tampered.Header.Set("webhook-signature", webhooks.Sign(sec, "msg_tampered", now, []byte(createdBody)))
			if resp, err := http.DefaultClient.Do(tampered); err != nil || resp.StatusCode != 401 {
				t.Errorf("tampered body: %v %v", resp, err)
			}
			if st, body := q.postOversized("/v1/webhooks/billing"); st != 413 || !strings.Contains(body, "payload_too_large") {
				t.Errorf("oversized webhook: %d %s", st, body)
			}

			var inv map[string]any
			q.call("GET", "/v1/invoices/INV-1234", nil, &inv)
			if inv["due_date"] != "2030-12-10" || inv["status"] != "open" || inv["amount_cents"].(float64) != 15990 {
				t.Fatalf("invoice after the rejected deliveries: %v", inv)
			}

			// A debtor who talked to the bot is thanked when the payment lands.
			var r inboundResp
			q.call("POST", "/v1/sim/inbound", map[string]string{"from": "+5511977770000", "text": "oi"}, &r)
			q.call("POST", "/v1/sim/inbound", map[string]string{"from": "+5511977770000", "text": "sim"}, &r)
			paid := `{"type":"invoice.paid","data":{"invoice_id":"INV-1234","paid_at":"2030-11-20T10:00:00-03:00","amount_cents":15990,"method":"pix"}}`
			if st, body = q.deliver(testWebhookSecret, "msg_4", now, paid); st != 200 || body["change"] != "paid" {
				t.Fatalf("invoice.paid: %d %v", st, body)
			}
			if st, body = q.deliver(testWebhookSecret, "msg_5", now, paid); st != 200 || body["change"] != "unchanged" {
				t.Fatalf("invoice.paid twice: %d %v", st, body)
			}
			var outbox struct{ Messages []struct{ Text string } }
			thanks := 0
			// The thanks is queued with the payment and sent by the background sender.
			for deadline := time.Now().Add(5 * time.Second); thanks == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				q.call("GET", "/v1/sim/outbox?to=%2B5511977770000", nil, &outbox)
				for _, m := range outbox.Messages {
					if strings.Contains(m.Text, "recebemos o pagamento de Internet 300MB - novembro (R$ 159,90)") {
						thanks++
					}
				}
			}
			if thanks != 1 {
				t.Fatalf("the debtor was thanked %d times: %+v", thanks, outbox)
			}
			// The debtor had talked to the bot before paying: the payment
			// counts as recovered, in the report and in Prometheus.
			var report struct {
				Invoices       struct{ Paid, PaidCents int64 } `json:"-"`
				RecoveredCents int64                           `json:"recovered_cents"`
				Raw            map[string]any                  `json:"invoices"`
			}
			if st := q.call("GET", "/v1/reports/collections", nil, &report); st != 200 || report.RecoveredCents != 15990 ||
				report.Raw["paid"] != float64(1) || report.Raw["paid_cents"] != float64(15990) {
				t.Fatalf("report after the payment: %d %+v", st, report)
			}
			if resp, err := http.Get(q.base + "/metrics"); err != nil {
				t.Fatal(err)
			} else if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), "quita_recovered_cents_total 15990") {
				t.Errorf("metrics lack quita_recovered_cents_total 15990")
			}
			cancelled := `{"type":"invoice.cancelled","data":{"invoice_id":"INV-1234","reason":"duplicate"}}`
			if st, body = q.deliver(testWebhookSecret, "msg_6", now, cancelled); st != 200 || body["change"] != "unchanged" {
				t.Fatalf("cancelling a paid invoice must not change it: %d %v", st, body)
			}
			if st, body = q.deliver(testWebhookSecret, "msg_7", now, `{"type":"subscription.renewed","data":{}}`); st != 202 || body["status"] != "recorded" {
				t.Fatalf("unknown type: %d %v", st, body)
			}
			customer := `{"type":"customer.updated","data":{"customer":{"id":"C-1","name":"Ana Lima Souza","phone":"11977770000"}}}`
			if st, body = q.deliver(testWebhookSecret, "msg_8", now, customer); st != 200 || body["change"] != "updated" {
				t.Fatalf("customer.updated: %d %v", st, body)
			}

			var received struct {
				Deliveries []struct{ ID, Type, Status, Error string }
			}
			q.call("GET", "/v1/webhooks/received?limit=500", nil, &received)
			byID := map[string]string{}
			for _, d := range received.Deliveries {
				byID[d.ID] = d.Status
			}
			if byID["msg_1"] != "applied" || byID["msg_7"] != "ignored" || byID["msg_x4"] != "rejected" || byID["msg_x1"] != "" {
				t.Fatalf("received deliveries: %v", byID)
			}

			var created map[string]any
			apiBody := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(createdBody), `{"type":"invoice.created","data":`), "}")
			apiBody = strings.Replace(apiBody, "INV-1234", "INV-9", 1)
			if st := q.call("POST", "/v1/invoices", []byte(apiBody), &created); st != 201 || created["invoice_id"] != "INV-9" {
				t.Fatalf("POST /v1/invoices: %d %v", st, created)
			}
			if st := q.call("POST", "/v1/invoices", []byte(apiBody), &created); st != 200 {
				t.Fatalf("POST the same invoice again: %d", st)
			}
			var list struct {
				Invoices []struct {
					InvoiceID string `json:"invoice_id"`
					Status    string
				}
			}
			q.call("GET", "/v1/invoices?status=open&phone=(11)%2097777-0000", nil, &list)
			if len(list.Invoices) != 1 || list.Invoices[0].InvoiceID != "INV-9" {
				t.Fatalf("open invoices of the phone: %+v", list)
			}
			var e apiError
			if st := q.call("GET", "/v1/invoices?overdue=maybe", nil, &e); st != 422 {
				t.Fatalf("bad overdue filter: %d", st)
			}
		})
	}
}

func TestOutboundEventsReachTheBillingSystemSigned(t *testing.T) {
	secret, _ := webhooks.ParseSecret(testWebhookSecret)
	verifier := &webhooks.Verifier{Secrets: []webhooks.Secret{secret}}
	got := make(chan map[string]any, 10)
	billing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifier.Verify(r.Header, body); err != nil {
			t.Errorf("event signature: %v", err)
			w.WriteHeader(401)
			return
		}
		var ev map[string]any
		json.Unmarshal(body, &ev)
		ev["webhook-id"] = r.Header.Get("webhook-id")
		got <- ev
	}))
	defer billing.Close()
	q := startQuita(t, map[string]string{"QUITA_DATABASE_URL": storetest.SQLiteURL(t),
		"QUITA_BILLING_WEBHOOK_URL": billing.URL, "QUITA_BILLING_WEBHOOK_SECRET": testWebhookSecret}, "--demo")
	q.call("POST", "/v1/sim/inbound", map[string]string{"from": "+5511988887777", "text": "oi"}, nil)
	q.call("POST", "/v1/sim/inbound", map[string]string{"from": "+5511988887777", "text": "não, número errado"}, nil)
	select {
	case ev := <-got:
		data, _ := ev["data"].(map[string]any)
		if ev["type"] != "contact.wrong_number" || data["phone"] != "+5511988887777" || data["customer_id"] != "DEMO-C-1" || data["conversation_id"] == "" {
			t.Fatalf("event = %v", ev)
		}
		var deliveries struct {
			Deliveries []struct{ ID, Type, Status string }
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			q.call("GET", "/v1/deliveries?status=sent", nil, &deliveries)
			if len(deliveries.Deliveries) == 1 {
				break
			}
		}
		if len(deliveries.Deliveries) != 1 || deliveries.Deliveries[0].ID != ev["webhook-id"] {
			t.Fatalf("deliveries = %+v, event id %v", deliveries, ev["webhook-id"])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event reached the billing system")
	}
}
