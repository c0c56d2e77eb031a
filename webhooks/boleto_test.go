package webhooks

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// Lines whose check digits were computed from their barcodes (see
// bot/boleto's tests): an Itaú boleto of R$ 159,90 due 2026-11-20 and an
// energy bill of R$ 66,78.
const (
	itauLine    = "34191.09008 01234.567814 23456.780008 7 16360000015990"
	itauDigits  = "34191090080123456781423456780008716360000015990"
	energyLine  = "83620000000-5 66780048100-0 18097565731-3 00158963608-1"
	energyDigit = "836200000005667800481000180975657313001589636081"
)

func TestInvoiceBoletoLine(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"absent", "", ""},
		{"blank", "  \t", ""},
		{"printed grouping kept", itauLine, itauLine},
		{"bare digits are grouped", itauDigits, itauLine},
		{"hyphens and extra spaces", " 34191-09008 01234-567814  23456-780008-7-16360000015990 ", itauLine},
		{"utility bill", energyDigit, energyLine},
		{"utility bill with spaces only", "83620000000 5 66780048100 0 18097565731 3 00158963608 1", energyLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validInvoice()
			d.Payment.BoletoLine = tt.in
			_, inv, err := d.ToDomain("data.")
			if err != nil {
				t.Fatalf("ToDomain: %v", err)
			}
			if inv.Payment.BoletoLine != tt.want {
				t.Fatalf("stored %q, want %q", inv.Payment.BoletoLine, tt.want)
			}
		})
	}
}

func TestInvoiceBoletoLineRefused(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"field 2 check digit", "34191.09008 01234.567815 23456.780008 7 16360000015990",
			"check digit of field 2 is 5, expected 4"},
		{"amount edited", "34191.09008 01234.567814 23456.780008 7 16360000015999",
			"general check digit (field 4) is 7, expected 2"},
		{"digit missing", "34191.09008 01234.567814 23456.780008 7 1636000001599",
			"has 46 digits, want 47 (bank boleto) or 48 (utility bill)"},
		{"barcode instead of line", "34197163600000159901090001234567812345678000",
			"has 44 digits, the length of a barcode; want the linha digitável (47 digits, or 48 for a utility bill)"},
		{"placeholder", "…", `character '…' at position 1 is not a digit`},
		{"letter O", "3419l.09008", `character 'l' at position 5 is not a digit`},
		{"utility block", "83620000000-5 66780048100-1 18097565731-3 00158963608-1",
			"check digit of block 2 is 1, expected 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validInvoice()
			d.Payment.BoletoLine = tt.in
			_, _, err := d.ToDomain("data.")
			var be *bot.Error
			if !errors.As(err, &be) || be.Code != bot.CodeInvalid || be.Field != "data.payment.boleto_line" {
				t.Fatalf("err = %v, want invalid data.payment.boleto_line", err)
			}
			if want := "data.payment.boleto_line: " + quote(tt.in) + " is not a valid linha digitável: " + tt.want; be.Message != want {
				t.Fatalf("message\n%s\nwant\n%s", be.Message, want)
			}
		})
	}
}

// quote is how the message shows the input: trimmed and %q-quoted.
func quote(s string) string { return strconv.Quote(strings.TrimSpace(s)) }

// A webhook with a bad line fails as a whole with the field named (the
// API answers 422, CodeInvalid); a good one stores the grouped line.
func TestParseEventBoletoLine(t *testing.T) {
	body := func(line string) []byte {
		d := validInvoice()
		d.Payment.BoletoLine = line
		b, err := json.Marshal(map[string]any{"type": InvoiceCreated, "data": d})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	ev, err := ParseEvent(body(itauDigits), now)
	if err != nil || ev.Invoice == nil || ev.Invoice.Invoice.Payment.BoletoLine != itauLine {
		t.Fatalf("ParseEvent = %+v, %v", ev, err)
	}
	_, err = ParseEvent(body(itauDigits[:46]+"9"), now)
	if bot.ErrorCodeOf(err) != bot.CodeInvalid || !strings.HasPrefix(err.Error(), "data.payment.boleto_line: ") {
		t.Fatalf("ParseEvent with a bad line: %v", err)
	}
}

// An import row with a bad line is reported against its column and
// skipped; the rows around it are imported.
func TestCSVBoletoLine(t *testing.T) {
	data := "invoice_id;name;phone;amount;due_date;boleto_line\n" +
		"INV-1;Maria;11988887777;159,90;20/11/2026;" + itauDigits + "\n" +
		"INV-2;João;11999990000;159,90;20/11/2026;34191.09008 01234.567814 23456.780008 7 16360000015991\n" +
		"INV-3;Ana;11977776666;66,78;2026-11-30;" + energyLine + "\n"
	rows := readAll(t, data)
	if len(rows) != 3 {
		t.Fatalf("got %d rows", len(rows))
	}
	if r := rows[0]; r.Err != nil || r.Invoice.Payment.BoletoLine != itauLine {
		t.Fatalf("row 1: %v %q", r.Err, r.Invoice.Payment.BoletoLine)
	}
	var be *bot.Error
	if r := rows[1]; !errors.As(r.Err, &be) || be.Field != "boleto_line" || r.Line != 3 ||
		be.Message != `boleto_line: "34191.09008 01234.567814 23456.780008 7 16360000015991" is not a valid linha digitável: general check digit (field 4) is 7, expected 4` {
		t.Fatalf("row 2: line %d %v", r.Line, r.Err)
	}
	if r := rows[2]; r.Err != nil || r.Invoice.Payment.BoletoLine != energyLine {
		t.Fatalf("row 3: %v %q", r.Err, r.Invoice.Payment.BoletoLine)
	}
}
