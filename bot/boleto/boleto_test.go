package boleto

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Real-world lines, each accepted by independent boleto libraries: a
// Bradesco bank boleto (factor 7552, R$ 3.700,00), a Banco do Brasil one
// (factor 3737, R$ 1,00, given both as line and barcode), an energy bill
// checked with mod 10 and a government bill checked with mod 11.
const (
	bradescoLine  = "23793.38128 60007.827136 95000.063305 9 75520000370000"
	bbLine        = "00190500954014481606906809350314337370000000100"
	bbBarcode     = "00193373700000001000500940144816060680935031"
	energyBarcode = "83620000000667800481001809756573100158963608"
	energyLine    = "83620000000-5 66780048100-0 18097565731-3 00158963608-1"
	govLine       = "85890000460-9 52460179160-5 60759305086-5 83148300001-0"
)

// The reference check digits below are written independently of check.go
// (explicit weight tables), so constructed lines do not trust the code
// under test.

func refMod10(s string) string {
	sum := 0
	for i := range len(s) {
		w := []int{2, 1}[(len(s)-1-i)%2]
		p := int(s[i]-'0') * w
		if p > 9 {
			p -= 9
		}
		sum += p
	}
	return fmt.Sprint((10 - sum%10) % 10)
}

func refSum11(s string) int {
	weights := []int{2, 3, 4, 5, 6, 7, 8, 9}
	sum := 0
	for i := range len(s) {
		sum += int(s[len(s)-1-i]-'0') * weights[i%8]
	}
	return sum
}

// refBankLine builds the 47-digit line of a bank boleto in reais.
func refBankLine(bank string, factor int, cents int64, free string) string {
	body := bank + "9" + fmt.Sprintf("%04d%010d", factor, cents) + free
	dv := 11 - refSum11(body)%11
	if dv == 0 || dv == 10 || dv == 11 {
		dv = 1
	}
	f1, f2, f3 := bank+"9"+free[0:5], free[5:15], free[15:25]
	return f1 + refMod10(f1) + f2 + refMod10(f2) + f3 + refMod10(f3) + fmt.Sprint(dv) + body[4:18]
}

// refUtilityLine builds the 48-digit line of a utility bill from the 43
// barcode digits without the general check digit.
func refUtilityLine(body string) string {
	check := refMod10
	if body[2] == '8' || body[2] == '9' {
		check = func(s string) string {
			if r := refSum11(s) % 11; r > 1 {
				return fmt.Sprint(11 - r)
			}
			return "0"
		}
	}
	bc := body[:3] + check(body) + body[3:]
	var line string
	for i := range 4 {
		line += bc[i*11:i*11+11] + check(bc[i*11:i*11+11])
	}
	return line
}

func TestParseRealWorld(t *testing.T) {
	tests := []struct {
		in   string
		want Boleto
		text string // Format
	}{
		{bradescoLine, Boleto{Kind: KindBank, Digits: "23793381286000782713695000063305975520000370000",
			Barcode: "23799755200003700003381260007827139500006330", BankCode: "237", DueFactor: 7552, DueDate: "2043-01-31",
			AmountCents: 370000}, bradescoLine},
		{bbLine, Boleto{Kind: KindBank, Digits: bbLine, Barcode: bbBarcode, BankCode: "001", DueFactor: 3737,
			DueDate: "2032-08-21", AmountCents: 100}, "00190.50095 40144.816069 06809.350314 3 37370000000100"},
		{energyLine, Boleto{Kind: KindUtility, Digits: "836200000005667800481000180975657313001589636081",
			Barcode: energyBarcode, Segment: 3, AmountCents: 6678}, energyLine},
		{govLine, Boleto{Kind: KindUtility, Digits: "858900004609524601791605607593050865831483000010",
			Barcode: "85890000460524601791606075930508683148300001", Segment: 5, AmountCents: 4605246}, govLine},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) =\n%+v, %v\nwant %+v", tt.in, got, err, tt.want)
			continue
		}
		if f := got.Format(); f != tt.text {
			t.Errorf("Format = %q, want %q", f, tt.text)
		}
		if b, err := ParseBarcode(got.Barcode); err != nil || b != got {
			t.Errorf("ParseBarcode(%s) = %+v, %v", got.Barcode, b, err)
		}
	}
	// Billing systems before the reset wrote these with the first cycle.
	old := map[string]string{bradescoLine: "2018-06-11", bbLine: "2007-12-31"}
	for in, want := range old {
		if b, err := ParseAt(in, time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || b.DueDate != want {
			t.Errorf("ParseAt(%s, 2010) due %q, %v; want %s", in, b.DueDate, err, want)
		}
	}
}

func TestParseConstructed(t *testing.T) {
	free := "0448912345678901234567890"
	tests := []struct {
		name    string
		bank    string
		factor  int
		cents   int64
		wantDue string
	}{
		{"Itaú due 2026-12-10", "341", 1656, 15990, "2026-12-10"},
		{"Caixa on the reset day", "104", 1000, 1, "2025-02-22"},
		{"Sicoob last factor", "756", 9999, 9999999999, "2049-10-13"},
		{"Santander without due date or amount", "033", 0, 0, ""},
		{"Sicredi factor below 1000 gives no date", "748", 999, 5000, ""},
		{"Banco do Brasil due 2026-11-25", "001", 1641, 123456, "2026-11-25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := refBankLine(tt.bank, tt.factor, tt.cents, free)
			b, err := Parse(line)
			if err != nil {
				t.Fatalf("Parse(%s): %v", line, err)
			}
			if b.Kind != KindBank || b.BankCode != tt.bank || b.DueFactor != tt.factor || b.DueDate != tt.wantDue ||
				b.AmountCents != tt.cents || b.Digits != line || b.Barcode[19:] != free {
				t.Fatalf("Parse(%s) = %+v", line, b)
			}
		})
	}
	for _, body := range []string{
		"8160000001599001234567890123456789012345678", // city hall, mod 10, R$ 159,90
		"8270000012345678901234567890123456789012345", // sanitation, reference value, mod 10
		"8480000000050001234000000000000000000000000", // telecom, mod 11, R$ 0,50
		"8690000000000000012345678901234567890123456", // CNPJ-identified, reference, mod 11
	} {
		line := refUtilityLine(body)
		b, err := Parse(line)
		if err != nil {
			t.Fatalf("Parse(%s): %v", line, err)
		}
		ref := body[2] == '7' || body[2] == '9'
		var cents int64
		if !ref {
			cents, _ = strconv.ParseInt(body[3:14], 10, 64)
		}
		if b.Kind != KindUtility || b.Segment != int(body[1]-'0') || b.Reference != ref || b.AmountCents != cents ||
			b.Barcode[:3] != body[:3] || b.Barcode[4:] != body[3:] || b.BankCode != "" || b.DueDate != "" {
			t.Fatalf("Parse(%s) = %+v", line, b)
		}
	}
}

func TestParseSeparators(t *testing.T) {
	want, err := Parse(bradescoLine)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		"23793381286000782713695000063305975520000370000",
		" 23793.38128 60007.827136 95000.063305 9 75520000370000\n",
		"23793-38128-60007-827136-95000-063305-9-75520000370000",
		"23793.38128\t60007.827136\u00a095000.063305  9  7552.0000.3700.00",
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v", in, got, err)
		}
	}
}

func TestDueDateCycles(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 15, 0, 0, 0, time.UTC) }
	tests := []struct {
		factor int
		ref    time.Time
		want   string
	}{
		{1000, time.Time{}, "2025-02-22"},
		{9999, time.Time{}, "2049-10-13"},
		{1000, day(2000, 7, 1), "2000-07-03"},
		{9999, day(2025, 1, 10), "2025-02-21"},
		{9999, day(2026, 12, 5), "2025-02-21"}, // an overdue boleto from before the reset
		{1656, day(2026, 12, 5), "2026-12-10"}, // a boleto issued after it
		{5500, day(2025, 2, 22), "2037-06-19"}, // the middle: 4500 days both ways
		{5499, day(2025, 2, 22), "2037-06-18"}, // nearer the later cycle
		{5501, day(2025, 2, 22), "2012-10-29"}, // nearer the earlier cycle
		{0, day(2026, 12, 5), ""},
	}
	for _, tt := range tests {
		line := refBankLine("237", tt.factor, 100, "1234567890123456789012345")
		b, err := ParseAt(line, tt.ref)
		if err != nil || b.DueDate != tt.want {
			t.Errorf("factor %d near %s: due %q, %v; want %s", tt.factor, tt.ref.Format(time.DateOnly), b.DueDate, err, tt.want)
		}
	}
	// ParseAt reads ref's calendar day in ref's zone: 23:00 on 2025-02-21
	// in São Paulo is 2025-02-22 in UTC, where factor 5500 would be a tie
	// going to the later cycle; on the 21st the earlier one is nearer.
	late := time.Date(2025, 2, 21, 23, 0, 0, 0, time.FixedZone("BRT", -3*3600))
	line := refBankLine("237", 5500, 100, "1234567890123456789012345")
	if b, err := ParseAt(line, late); err != nil || b.DueDate != "2012-10-28" {
		t.Errorf("factor 5500 at 23:00 BRT on 2025-02-21: due %q, %v; want 2012-10-28", b.DueDate, err)
	}
}

func TestParseErrors(t *testing.T) {
	valid := refBankLine("341", 1656, 15990, "1090001234567890123456780")
	// Currency 0 with field check digits recomputed, so only the
	// currency is wrong.
	cur0 := []byte(valid)
	cur0[3] = '0'
	cur0[9] = refMod10(string(cur0[0:9]))[0]
	util := refUtilityLine("8480000000050001234000000000000000000000000")
	// Block 1 with its check digit recomputed after changing the general
	// check digit: only the general one is wrong.
	genBad := fixUtilityBlock(util[:3]+bump(util[3])+util[4:], 0)
	tests := []struct {
		name, in string
		sentinel error
		want     string
	}{
		{"empty", "", ErrMalformed, "has no digits"},
		{"only separators", " .-. ", ErrMalformed, "has no digits"},
		{"letter O for zero", "23O93.38128", ErrMalformed, `character 'O' at position 3 is not a digit`},
		{"pasted label", "Linha digitável: " + bradescoLine, ErrMalformed, `character 'L' at position 1 is not a digit`},
		{"emoji", bradescoLine + " 👍", ErrMalformed, `character '👍' at position 56 is not a digit`},
		{"too long", strings.Repeat(" ", 300) + bradescoLine, ErrMalformed, "is longer than 256 characters"},
		{"digit missing", valid[:46], ErrMalformed, "has 46 digits, want 47 (bank boleto) or 48 (utility bill)"},
		{"digit doubled", util + "0", ErrMalformed, "has 49 digits, want 47 (bank boleto) or 48 (utility bill)"},
		{"a barcode", bbBarcode, ErrMalformed, "has 44 digits, the length of a barcode; want the linha digitável (47 digits, or 48 for a utility bill)"},
		{"bank line starting with 8", "8" + valid[1:], ErrMalformed, "a 47-digit line cannot start with 8, which marks a utility bill (48 digits)"},
		{"utility line not starting with 8", "7" + util[1:], ErrMalformed, "a 48-digit line is a utility bill and must start with 8, not 7"},
		{"field 1 typo", "2" + valid[1:], ErrCheckDigit, "check digit of field 1 is " + valid[9:10] + ", expected " + refMod10("2"+valid[1:9])},
		{"field 2 check digit", valid[:20] + bump(valid[20]) + valid[21:], ErrCheckDigit,
			"check digit of field 2 is " + bump(valid[20]) + ", expected " + valid[20:21]},
		{"field 3 transposition", valid[:21] + valid[22:23] + valid[21:22] + valid[23:], ErrCheckDigit,
			"check digit of field 3 is " + valid[31:32] + ", expected " + refMod10(valid[22:23]+valid[21:22]+valid[23:31])},
		{"amount typo", valid[:46] + "1", ErrCheckDigit, "general check digit (field 4) is " + valid[32:33] + ", expected "},
		{"general digit 0 never valid", valid[:32] + "0" + valid[33:], ErrCheckDigit, "general check digit (field 4) is 0, expected " + valid[32:33]},
		{"the spec's example with a wrong field 4", "23793.38128 60007.827136 95000.063305 9 84410000010000", ErrCheckDigit,
			"general check digit (field 4) is 9, expected 8"},
		{"currency 0", string(cur0), ErrMalformed, "currency code (4th digit) is 0, expected 9 (real)"},
		{"value identifier 5", util[:2] + "5" + util[3:], ErrMalformed, "value identifier (3rd digit) is 5, expected 6, 7, 8 or 9"},
		{"block 1 amount typo", util[:10] + "9" + util[11:], ErrCheckDigit, "check digit of block 1 is " + util[11:12] + ", expected "},
		{"block 4 check digit", util[:47] + bump(util[47]), ErrCheckDigit, "check digit of block 4 is "},
		{"utility general digit", genBad, ErrCheckDigit, "general check digit (4th digit) is " + genBad[3:4] + ", expected " + util[3:4]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tt.in, b)
			}
			if !errors.Is(err, tt.sentinel) || !strings.HasPrefix(err.Error(), "boleto: "+tt.want) {
				t.Fatalf("Parse(%q) = %v, want %v %q", tt.in, err, tt.sentinel, tt.want)
			}
			if b != (Boleto{}) {
				t.Fatalf("Parse returned %+v with its error", b)
			}
		})
	}
}

// fixUtilityBlock recomputes the check digit of block i of a 48-digit
// line with the algorithm its value identifier selects.
func fixUtilityBlock(line string, i int) string {
	block := line[i*12 : i*12+11]
	var dv string
	if line[2] == '8' || line[2] == '9' {
		dv = "0"
		if r := refSum11(block) % 11; r > 1 {
			dv = fmt.Sprint(11 - r)
		}
	} else {
		dv = refMod10(block)
	}
	return line[:i*12+11] + dv + line[i*12+12:]
}

// bump returns digit c plus one, modulo ten.
func bump(c byte) string { return string('0' + (c-'0'+1)%10) }

// Every single-digit typo is refused: the field check digits guard
// fields 1 to 3, and the general one guards field 5 except where its
// remainders 0, 1 and 10 share the digit 1, so a typo there is refused
// unless the line's digit is 1. Utility blocks are always guarded.
func TestEverySingleTypo(t *testing.T) {
	lines := []string{
		refBankLine("341", 1656, 15990, "1090001234567890123456780"),
		refBankLine("001", 1641, 123456, "0000002690428000001234517"),
		strings.NewReplacer(".", "", " ", "").Replace(bradescoLine),
		refUtilityLine("8160000001599001234567890123456789012345678"),
		refUtilityLine("8480000000050001234000000000000000000000000"),
		strings.NewReplacer("-", "", " ", "").Replace(govLine),
	}
	for _, line := range lines {
		for i := range len(line) {
			for c := byte('0'); c <= '9'; c++ {
				if c == line[i] {
					continue
				}
				typo := line[:i] + string(c) + line[i+1:]
				b, err := Parse(typo)
				if err == nil && !(len(line) == bankLineLen && i >= 33 && line[32] == '1') {
					t.Errorf("typo at digit %d of %s accepted: %s = %+v", i+1, line, typo, b)
				}
			}
		}
	}
}

func TestFormatUnparsed(t *testing.T) {
	if got := (Boleto{Digits: "123"}).Format(); got != "123" {
		t.Errorf("Format = %q", got)
	}
	if got := (Boleto{Kind: KindBank, Digits: "123"}).Format(); got != "123" {
		t.Errorf("Format = %q", got)
	}
}

func TestParseBarcodeErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{bbLine, "barcode has 47 digits, want 44"},
		{bbBarcode[:4] + "2" + bbBarcode[5:], "general check digit (5th digit) is 2, expected 3"},
		{energyBarcode[:3] + "1" + energyBarcode[4:], "general check digit (4th digit) is 1, expected 2"},
		{"835" + energyBarcode[3:], "value identifier (3rd digit) is 5, expected 6, 7, 8 or 9"},
		{"x", `character 'x' at position 1 is not a digit`},
	}
	for _, tt := range tests {
		if b, err := ParseBarcode(tt.in); err == nil || err.Error() != "boleto: "+tt.want {
			t.Errorf("ParseBarcode(%q) = %+v, %v; want %q", tt.in, b, err, tt.want)
		}
	}
}
