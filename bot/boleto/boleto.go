package boleto

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Kind tells a bank boleto from a utility bill.
type Kind string

// The kinds of boleto.
const (
	// KindBank is a bank boleto ("boleto de cobrança"): 47-digit line.
	KindBank Kind = "bank"
	// KindUtility is a utility, tax or fee bill ("arrecadação"): 48-digit
	// line starting with 8.
	KindUtility Kind = "utility"
)

// Lengths in digits.
const (
	bankLineLen    = 47
	utilityLineLen = 48
	barcodeLen     = 44
	// maxInput bounds what Parse reads: a line with generous separators
	// is under 70 characters, so 256 leaves room for any formatting.
	maxInput = 256
)

// ErrMalformed matches (with errors.Is) errors about the shape of a line:
// characters, length, currency, value identifier.
var ErrMalformed = errors.New("boleto: malformed line")

// ErrCheckDigit matches (with errors.Is) errors about a check digit that
// does not match the digits it guards: a typo, or a line cut or edited.
var ErrCheckDigit = errors.New("boleto: wrong check digit")

// parseError prints as "boleto: <reason>" and matches its sentinel.
type parseError struct {
	sentinel error
	reason   string
}

func (e *parseError) Error() string { return "boleto: " + e.reason }
func (e *parseError) Unwrap() error { return e.sentinel }

func malformed(format string, args ...any) error {
	return &parseError{ErrMalformed, fmt.Sprintf(format, args...)}
}

// wrongDigit reports a check digit: what is "check digit of field 2" or
// "general check digit (field 4)".
func wrongDigit(what string, got, want byte) error {
	return &parseError{ErrCheckDigit, fmt.Sprintf("%s is %c, expected %c", what, got, want)}
}

// Boleto is what Parse reads from a line. It is comparable: two boletos
// are equal when they are the same line read against the same cycle.
type Boleto struct {
	// Kind is KindBank or KindUtility.
	Kind Kind
	// Digits is the line without separators: 47 digits for a bank boleto,
	// 48 for a utility bill.
	Digits string
	// Barcode is the 44 digits the barcode encodes.
	Barcode string
	// BankCode is the three-digit code of the issuing bank ("237",
	// "341"…); empty for utility bills.
	BankCode string
	// DueFactor is a bank boleto's due-date factor; 0 means no due date.
	DueFactor int
	// DueDate is a bank boleto's due date as "2006-01-02", or "" when the
	// boleto has none (factor 0000, factors below 1000, utility bills).
	DueDate string
	// AmountCents is the amount in centavos; 0 when the boleto leaves the
	// amount to the payer or, for utility bills, carries a reference value.
	AmountCents int64
	// Segment is a utility bill's segment (second digit): 1 city halls,
	// 2 sanitation, 3 power and gas, 4 telecoms, 5 government bodies,
	// 6 companies identified by CNPJ, 7 traffic fines, 9 bank use only.
	// 0 for bank boletos.
	Segment int
	// Reference is true for a utility bill whose value field holds a
	// reference value in some other unit (value identifier 7 or 9), not
	// an amount in reais.
	Reference bool
}

// Parse reads a linha digitável: 47 digits (bank boleto) or 48 digits
// starting with 8 (utility bill), with any dots, hyphens and white space
// between them. It checks every check digit and reports the first wrong
// one. Due-date factors are read in the cycle that began on 2025-02-22
// (see the package doc); ParseAt chooses the cycle from a reference date.
func Parse(s string) (Boleto, error) {
	return ParseAt(s, time.Time{})
}

// ParseAt is Parse with a reference date for the due-date factor: of the
// two dates a factor from 1000 on may name (before and after the reset of
// 2025-02-22), the one nearer to ref's calendar day is taken, ties going
// to the later cycle. The zero ref means the current cycle, as in Parse.
func ParseAt(s string, ref time.Time) (Boleto, error) {
	d, err := digits(s)
	if err != nil {
		return Boleto{}, err
	}
	switch len(d) {
	case bankLineLen:
		return parseBank(d, ref)
	case utilityLineLen:
		return parseUtility(d)
	case barcodeLen:
		return Boleto{}, malformed("has 44 digits, the length of a barcode; want the linha digitável (47 digits, or 48 for a utility bill)")
	}
	return Boleto{}, malformed("has %d digits, want 47 (bank boleto) or 48 (utility bill)", len(d))
}

// digits strips the separators billing systems and people put in a line
// and refuses anything else.
func digits(s string) (string, error) {
	if len(s) > maxInput {
		return "", malformed("is longer than %d characters", maxInput)
	}
	b := make([]byte, 0, utilityLineLen)
	pos := 0
	for _, r := range s {
		pos++
		switch {
		case r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r == '.' || r == '-' || unicode.IsSpace(r):
		default:
			return "", malformed("character %q at position %d is not a digit", r, pos)
		}
	}
	if len(b) == 0 {
		return "", malformed("has no digits")
	}
	return string(b), nil
}

// Positions of the bank line's fields: fields 1 to 3 are [from, to) with
// their check digit at to.
var bankFields = [3]struct{ from, to int }{{0, 9}, {10, 20}, {21, 31}}

// parseBank reads a 47-digit line:
//
//	AAABC.CCCCX DDDDD.DDDDDY EEEEE.EEEEEZ K UUUUVVVVVVVVVV
//
// A bank, B currency, C/D/E the free field, X/Y/Z field check digits, K
// the barcode's check digit, U the due-date factor, V the amount. The
// barcode is AAAB K UUUU VVVVVVVVVV CCCCC DDDDDDDDDD EEEEEEEEEE.
func parseBank(d string, ref time.Time) (Boleto, error) {
	if d[0] == '8' {
		return Boleto{}, malformed("a 47-digit line cannot start with 8, which marks a utility bill (48 digits)")
	}
	for i, f := range bankFields {
		if got, want := d[f.to], mod10(d[f.from:f.to]); got != want {
			return Boleto{}, wrongDigit("check digit of field "+strconv.Itoa(i+1), got, want)
		}
	}
	if d[3] != '9' {
		return Boleto{}, malformed("currency code (4th digit) is %c, expected 9 (real)", d[3])
	}
	barcode := d[0:4] + d[32:47] + d[4:9] + d[10:20] + d[21:31]
	if got, want := barcode[4], bankMod11(barcode[:4]+barcode[5:]); got != want {
		return Boleto{}, wrongDigit("general check digit (field 4)", got, want)
	}
	factor, _ := strconv.Atoi(barcode[5:9])
	amount, _ := strconv.ParseInt(barcode[9:19], 10, 64)
	return Boleto{Kind: KindBank, Digits: d, Barcode: barcode, BankCode: d[0:3], DueFactor: factor,
		DueDate: dueDate(factor, ref), AmountCents: amount}, nil
}

// utilityCheck returns the check digit algorithm the value identifier
// (third digit) selects, and whether the value is a reference value.
func utilityCheck(vid byte) (func(string) byte, bool, error) {
	switch vid {
	case '6', '7':
		return mod10, vid == '7', nil
	case '8', '9':
		return utilityMod11, vid == '9', nil
	}
	return nil, false, malformed("value identifier (3rd digit) is %c, expected 6, 7, 8 or 9", vid)
}

// parseUtility reads a 48-digit line: four blocks of 11 barcode digits,
// each followed by its check digit. In the barcode, digit 1 is 8, digit 2
// the segment, digit 3 the value identifier, digit 4 the general check
// digit and digits 5 to 15 the value.
func parseUtility(d string) (Boleto, error) {
	if d[0] != '8' {
		return Boleto{}, malformed("a 48-digit line is a utility bill and must start with 8, not %c", d[0])
	}
	check, ref, err := utilityCheck(d[2])
	if err != nil {
		return Boleto{}, err
	}
	var bc strings.Builder
	for i := range 4 {
		block := d[i*12 : i*12+11]
		if got, want := d[i*12+11], check(block); got != want {
			return Boleto{}, wrongDigit("check digit of block "+strconv.Itoa(i+1), got, want)
		}
		bc.WriteString(block)
	}
	barcode := bc.String()
	if got, want := barcode[3], check(barcode[:3]+barcode[4:]); got != want {
		return Boleto{}, wrongDigit("general check digit (4th digit)", got, want)
	}
	b := Boleto{Kind: KindUtility, Digits: d, Barcode: barcode, Segment: int(d[1] - '0'), Reference: ref}
	if !ref {
		b.AmountCents, _ = strconv.ParseInt(barcode[4:15], 10, 64)
	}
	return b, nil
}

// ParseBarcode reads the 44 digits of a barcode, checks its general check
// digit and returns the boleto with its linha digitável. Due-date factors
// are read in the current cycle, as in Parse.
func ParseBarcode(s string) (Boleto, error) {
	d, err := digits(s)
	if err != nil {
		return Boleto{}, err
	}
	if len(d) != barcodeLen {
		return Boleto{}, malformed("barcode has %d digits, want 44", len(d))
	}
	var line string
	if d[0] == '8' {
		check, _, err := utilityCheck(d[2])
		if err != nil {
			return Boleto{}, err
		}
		if got, want := d[3], check(d[:3]+d[4:]); got != want {
			return Boleto{}, wrongDigit("general check digit (4th digit)", got, want)
		}
		for i := range 4 {
			block := d[i*11 : i*11+11]
			line += block + string(check(block))
		}
	} else {
		if got, want := d[4], bankMod11(d[:4]+d[5:]); got != want {
			return Boleto{}, wrongDigit("general check digit (5th digit)", got, want)
		}
		f1, f2, f3 := d[0:4]+d[19:24], d[24:34], d[34:44]
		line = f1 + string(mod10(f1)) + f2 + string(mod10(f2)) + f3 + string(mod10(f3)) + d[4:19]
	}
	return Parse(line)
}

// Format writes the line in its printed grouping:
// "23793.38128 60007.827136 95000.063305 9 84410000010000" for a bank
// boleto, "83620000000-5 66780048100-0 18097565731-3 00158963608-1" for
// a utility bill. A Boleto that Parse did not make is written as its
// bare digits.
func (b Boleto) Format() string {
	d := b.Digits
	switch {
	case b.Kind == KindBank && len(d) == bankLineLen:
		return d[0:5] + "." + d[5:10] + " " + d[10:15] + "." + d[15:21] + " " + d[21:26] + "." + d[26:32] + " " +
			d[32:33] + " " + d[33:47]
	case b.Kind == KindUtility && len(d) == utilityLineLen:
		return d[0:11] + "-" + d[11:12] + " " + d[12:23] + "-" + d[23:24] + " " + d[24:35] + "-" + d[35:36] + " " +
			d[36:47] + "-" + d[47:48]
	}
	return d
}

// The due-date factor's cycles: factor 0 of the first is 1997-10-07;
// factor 1000 of the second is 2025-02-22, the day after factor 9999 of
// the first.
var (
	firstCycle = time.Date(1997, 10, 7, 0, 0, 0, 0, time.UTC)
	resetDay   = time.Date(2025, 2, 22, 0, 0, 0, 0, time.UTC)
)

// dueDate resolves a factor (see ParseAt). Factors below 1000 give no
// date: 0 by definition, 1 to 999 because neither cycle issues them.
func dueDate(factor int, ref time.Time) string {
	if factor < 1000 {
		return ""
	}
	second := resetDay.AddDate(0, 0, factor-1000)
	if !ref.IsZero() {
		y, m, d := ref.Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		first := firstCycle.AddDate(0, 0, factor)
		if dist(first, day) < dist(second, day) {
			return first.Format(time.DateOnly)
		}
	}
	return second.Format(time.DateOnly)
}

func dist(a, b time.Time) time.Duration {
	if a.After(b) {
		return a.Sub(b)
	}
	return b.Sub(a)
}
