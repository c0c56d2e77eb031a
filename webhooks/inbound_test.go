package webhooks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

var fuzzNow = time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)

func TestParseEvent(t *testing.T) {
	cases := []struct {
		name, body string
		code       bot.ErrorCode
		field      string
		known      bool
	}{
		{"created", `{"type":"invoice.created","data":{"invoice_id":"I","customer":{"name":"A","phone":"11988887777"},"amount_cents":1,"due_date":"2026-11-25"}}`, "", "", true},
		{"paid without time uses now", `{"type":"invoice.paid","data":{"invoice_id":"I"}}`, "", "", true},
		{"paid with a date", `{"type":"invoice.paid","data":{"invoice_id":"I","paid_at":"2026-11-20"}}`, "", "", true},
		{"cancelled", `{"type":"invoice.cancelled","data":{"invoice_id":"I","reason":"x"}}`, "", "", true},
		{"customer", `{"type":"customer.updated","data":{"customer":{"id":"C","name":"A","phone":"11988887777"}}}`, "", "", true},
		{"unknown type is kept", `{"type":"boleto.registered","data":{"x":1}}`, "", "", false},
		{"not json", `{"type":`, bot.CodeMalformed, "", false},
		{"trailing data", `{"type":"x"} {"type":"y"}`, bot.CodeMalformed, "", false},
		{"no type", `{"data":{}}`, bot.CodeInvalid, "type", false},
		{"no data", `{"type":"invoice.paid"}`, bot.CodeInvalid, "data", false},
		{"paid no id", `{"type":"invoice.paid","data":{}}`, bot.CodeInvalid, "data.invoice_id", false},
		{"paid bad time", `{"type":"invoice.paid","data":{"invoice_id":"I","paid_at":"yesterday"}}`, bot.CodeInvalid, "data.paid_at", false},
		{"paid negative", `{"type":"invoice.paid","data":{"invoice_id":"I","amount_cents":-1}}`, bot.CodeInvalid, "data.amount_cents", false},
		{"customer without id", `{"type":"customer.updated","data":{"customer":{"name":"A","phone":"11988887777"}}}`, bot.CodeInvalid, "data.customer.id", false},
		{"escaped NUL", `{"type":"invoice.cancelled","data":{"invoice_id":"I\u0000","reason":"x"}}`, bot.CodeInvalid, "data", false},
		{"invalid UTF-8", "{\"type\":\"invoice.cancelled\",\"data\":{\"invoice_id\":\"\xff\"}}", bot.CodeMalformed, "", false},
		{"data of the wrong shape", `{"type":"invoice.created","data":[1,2]}`, bot.CodeInvalid, "data", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ParseEvent([]byte(tc.body), fuzzNow)
			if tc.code == "" {
				if err != nil || ev.Known != tc.known {
					t.Fatalf("ParseEvent = %+v, %v", ev, err)
				}
				return
			}
			var be *bot.Error
			if !errors.As(err, &be) || be.Code != tc.code || be.Field != tc.field {
				t.Fatalf("err = %v, want %s on %q", err, tc.code, tc.field)
			}
		})
	}
}

// FuzzParseEvent: any body either parses into exactly the payload its type
// names or fails with a client error; it never panics or half-parses.
func FuzzParseEvent(f *testing.F) {
	for _, seed := range []string{
		`{"type":"invoice.created","data":{"invoice_id":"INV-1","customer":{"id":"C","name":"Maria","phone":"+5511988887777"},"amount_cents":15990,"currency":"BRL","due_date":"2026-11-25"}}`,
		`{"type":"invoice.paid","data":{"invoice_id":"INV-1","paid_at":"2026-11-24T10:00:00-03:00","amount_cents":15990,"method":"pix"}}`,
		`{"type":"invoice.cancelled","data":{"invoice_id":"INV-1","reason":"dup"}}`,
		`{"type":"customer.updated","data":{"customer":{"id":"C","name":"M","phone":"11988887777"}}}`,
		`{"type":"x.y"}`, `{}`, `[]`, `null`, `{"type":"invoice.created","data":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseEvent(body, fuzzNow)
		if err != nil {
			if c := bot.ErrorCodeOf(err); c != bot.CodeMalformed && c != bot.CodeInvalid {
				t.Fatalf("error of code %s: %v", c, err)
			}
			return
		}
		set := 0
		for _, p := range []bool{ev.Invoice != nil, ev.Paid != nil, ev.Cancelled != nil, ev.Customer != nil} {
			if p {
				set++
			}
		}
		if ev.Known != (set == 1) || set > 1 {
			t.Fatalf("type %q known=%v with %d payloads", ev.Type, ev.Known, set)
		}
		if ev.Invoice != nil && (ev.Invoice.Invoice.AmountCents <= 0 || !strings.HasPrefix(ev.Invoice.Customer.Phone, "+")) {
			t.Fatalf("invalid invoice accepted: %+v", ev.Invoice)
		}
	})
}
