package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// A conversation, a payment, an erasure and a fresh message from the same
// number; then, with retention_days: 30, the simulator clock moved 31 days
// erases the customer whose debt is settled, on both backends.
func TestPersonalDataLifecycleEndToEnd(t *testing.T) {
	for name, env := range backendEnvs(t) {
		t.Run(name, func(t *testing.T) {
			path := t.TempDir() + "/quita.yaml"
			policy := "company:\n  name: Quita Demo\n  document: 11.222.333/0001-81\nreminders:\n  cadence: []\nretention_days: 30\n"
			if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
				t.Fatal(err)
			}
			e := env(t)
			e["QUITA_CONFIG"] = path
			q := startQuita(t, e)
			due := time.Now().In(saoPauloTZ(t)).AddDate(0, 0, 5).Format("2006-01-02")
			pay := func(customer, name, phone string) string {
				t.Helper()
				body := map[string]any{"invoice_id": "INV-" + customer, "amount_cents": 15990, "due_date": due, "description": "Internet",
					"customer": map[string]string{"id": customer, "name": name, "phone": phone, "document": "123.456.789-09"}}
				if st := q.call("POST", "/v1/invoices", body, nil); st != 201 {
					t.Fatalf("create invoice: %d", st)
				}
				var in inboundResp
				if st := q.call("POST", "/v1/sim/inbound", map[string]string{"from": phone, "text": "bom dia", "id": customer + "-m1"}, &in); st != 200 {
					t.Fatalf("inbound: %d", st)
				}
				if st := q.call("POST", "/v1/conversations/"+in.ConversationID+"/payments/confirm",
					map[string]string{"invoice_id": "INV-" + customer}, nil); st != 200 {
					t.Fatalf("confirm payment: %d", st)
				}
				return in.ConversationID
			}

			conv := pay("C-E", "Elisa Prado", "+5511955554444")
			var apiErr apiError
			var erased struct {
				Forced bool
				Erased struct {
					TranscriptEntries int `json:"transcript_entries"`
				}
				Kept []struct {
					AmountCents int `json:"amount_cents"`
				}
			}
			if st := q.call("POST", "/v1/customers/C-E/erase", map[string]any{"reason": "pedido da titular"}, &erased); st != 200 ||
				erased.Forced || erased.Erased.TranscriptEntries == 0 || len(erased.Kept) != 1 || erased.Kept[0].AmountCents != 15990 {
				t.Fatalf("erase: %d %+v", st, erased)
			}
			var verify struct {
				OK              bool
				Entries, Erased int
			}
			if q.call("GET", "/v1/conversations/"+conv+"/transcript/verify", nil, &verify); !verify.OK || verify.Erased != verify.Entries {
				t.Fatalf("verify after erasure: %+v", verify)
			}
			var fresh inboundResp
			if st := q.call("POST", "/v1/sim/inbound", map[string]string{"from": "+5511955554444", "text": "oi", "id": "C-E-m2"}, &fresh); st != 200 ||
				fresh.ConversationID == conv || strings.Contains(fresh.text(), "Elisa") || strings.Contains(fresh.text(), "159,90") {
				t.Fatalf("a fresh message after erasure: %d %+v", st, fresh)
			}

			// Retention: C-R paid and then idle for 31 days; C-O still owes.
			pay("C-R", "Rui Barros", "+5511933332222")
			body := map[string]any{"invoice_id": "INV-C-O", "amount_cents": 500, "due_date": due,
				"customer": map[string]string{"id": "C-O", "name": "Olga Reis", "phone": "+5511922221111"}}
			if st := q.call("POST", "/v1/invoices", body, nil); st != 201 {
				t.Fatalf("create invoice: %d", st)
			}
			if st := q.call("POST", "/v1/customers/C-O/erase", map[string]any{"reason": "x"}, &apiErr); st != 409 ||
				!strings.Contains(apiErr.Error.Message, "INV-C-O") {
				t.Fatalf("erase while owing: %d %+v", st, apiErr)
			}
			at := time.Now().In(saoPauloTZ(t)).AddDate(0, 0, 31)
			at = time.Date(at.Year(), at.Month(), at.Day(), 10, 0, 0, 0, at.Location())
			if st := q.call("POST", "/v1/sim/clock", map[string]string{"now": at.Format(time.RFC3339)}, nil); st != 200 {
				t.Fatalf("clock: %d", st)
			}
			for id, want := range map[string]bool{"C-R": true, "C-O": false} {
				var data struct {
					Customer struct{ Name, Phone string }
				}
				if st := q.call("GET", "/v1/customers/"+id+"/data", nil, &data); st != 200 ||
					(data.Customer.Name == "[erased]") != want || (data.Customer.Phone == "") != want {
					t.Errorf("%s after 31 days: %d %+v, want erased=%v", id, st, data, want)
				}
			}
			if st := q.call("GET", "/v1/customers/C-404/data", nil, &apiErr); st != 404 || apiErr.Error.Code != "not_found" {
				t.Fatalf("unknown customer: %d %+v", st, apiErr)
			}
		})
	}
}
