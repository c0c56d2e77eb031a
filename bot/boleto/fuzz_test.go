package boleto

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that Parse and ParseBarcode never panic, that every
// error is one of the package's, and that what they accept round-trips:
// the formatted line and the barcode parse back to the same Boleto, and
// the line holds exactly the input's digits.
func FuzzParse(f *testing.F) {
	for _, s := range []string{bradescoLine, bbLine, bbBarcode, energyLine, energyBarcode, govLine,
		refBankLine("341", 1656, 15990, "1090001234567890123456780"),
		refUtilityLine("8270000012345678901234567890123456789012345"),
		"", "8", "23793.38128 60007.827136 95000.063305 9 84410000010000", "23O93.38128"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Parse(s)
		checkErr(t, "Parse", s, err)
		if err == nil {
			checkAccepted(t, s, b)
			if again, err := ParseBarcode(b.Barcode); err != nil || again != b {
				t.Fatalf("ParseBarcode(%s) = %+v, %v; want %+v", b.Barcode, again, err, b)
			}
		}
		bc, err := ParseBarcode(s)
		checkErr(t, "ParseBarcode", s, err)
		if err == nil {
			if bc.Barcode != onlyDigits(s) {
				t.Fatalf("ParseBarcode(%q).Barcode = %s", s, bc.Barcode)
			}
			if again, err := Parse(bc.Format()); err != nil || again != bc {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", bc.Format(), again, err, bc)
			}
		}
	})
}

func checkErr(t *testing.T, fn, s string, err error) {
	t.Helper()
	if err != nil && (!strings.HasPrefix(err.Error(), "boleto: ") ||
		!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrCheckDigit)) {
		t.Fatalf("%s(%q): foreign error %v", fn, s, err)
	}
}

// checkAccepted states what holds for every boleto Parse accepts.
func checkAccepted(t *testing.T, s string, b Boleto) {
	t.Helper()
	if b.Digits != onlyDigits(s) || len(b.Barcode) != barcodeLen || b.AmountCents < 0 {
		t.Fatalf("Parse(%q) = %+v", s, b)
	}
	switch b.Kind {
	case KindBank:
		if len(b.Digits) != bankLineLen || b.BankCode != b.Digits[:3] || b.Segment != 0 || b.Reference {
			t.Fatalf("Parse(%q) = %+v", s, b)
		}
		if (b.DueDate == "") != (b.DueFactor < 1000) {
			t.Fatalf("Parse(%q): factor %d with due date %q", s, b.DueFactor, b.DueDate)
		}
		if b.DueDate != "" {
			if _, err := time.Parse(time.DateOnly, b.DueDate); err != nil {
				t.Fatalf("Parse(%q): due date %q", s, b.DueDate)
			}
		}
	case KindUtility:
		if len(b.Digits) != utilityLineLen || b.BankCode != "" || b.DueDate != "" || b.Reference && b.AmountCents != 0 {
			t.Fatalf("Parse(%q) = %+v", s, b)
		}
	default:
		t.Fatalf("Parse(%q): kind %q", s, b.Kind)
	}
	text := b.Format()
	again, err := Parse(text)
	if err != nil || again != b {
		t.Fatalf("Parse(Format()) = %+v, %v\nformatted %q\nwant %+v", again, err, text, b)
	}
	if again.Format() != text {
		t.Fatalf("Format is not stable: %q then %q", text, again.Format())
	}
}

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
