package pix

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrMalformed matches (with errors.Is) Parse errors about the structure or
// the mandatory fields of a code.
var ErrMalformed = errors.New("pix: malformed code")

// ErrChecksum is returned by Parse when field 63 does not match the CRC of
// the rest of the code, which usually means the code was cut or edited.
var ErrChecksum = errors.New("pix: checksum mismatch")

// maxCode is the longest payload the EMV QR specification allows.
const maxCode = 512

// Code is what Parse reads from a BR Code.
type Code struct {
	// Payload holds the fields a static code carries. Key is empty for
	// dynamic codes, whose details live behind URL.
	Payload
	// URL is the charge location of a dynamic code (field 26/25), without
	// scheme, or "" for a static code.
	URL string
	// OneTime is true when field 01 says the code may be paid only once.
	OneTime bool
}

// field is one ID-length-value element.
type field struct{ id, value string }

// Parse checks a "copia e cola" string and returns its fields. It verifies
// the TLV structure, the checksum, the Pix merchant account (GUI
// "br.gov.bcb.pix" with a key or a URL), currency 986 and country BR. It
// reads name and city as they are, without the length limits Encode
// applies, so codes from lenient generators are still accepted.
func Parse(code string) (Code, error) {
	code = strings.TrimSpace(code)
	if len(code) > maxCode {
		return Code{}, malformed(fmt.Sprintf("longer than %d characters", maxCode))
	}
	if len(code) < 8 || code[len(code)-8:len(code)-4] != idCRC+"04" {
		return Code{}, malformed("does not end with a CRC field (6304)")
	}
	want, got := CRC16(code[:len(code)-4]), code[len(code)-4:]
	if !strings.EqualFold(want, got) {
		return Code{}, fmt.Errorf("%w: code says %s, content gives %s", ErrChecksum, got, want)
	}
	fields, err := splitTLV(code)
	if err != nil {
		return Code{}, malformed(err.Error())
	}
	if fields[len(fields)-1].id != idCRC {
		return Code{}, malformed("CRC field (63) is not last")
	}
	if fields[0].id != idFormat || fields[0].value != "01" {
		return Code{}, malformed("does not start with payload format 000201")
	}
	byID := make(map[string]string, len(fields))
	for _, f := range fields {
		if _, dup := byID[f.id]; dup {
			return Code{}, malformed("field " + f.id + " appears twice")
		}
		byID[f.id] = f.value
	}
	var c Code
	if err := c.readAccount(fields); err != nil {
		return Code{}, err
	}
	switch byID[idInitiation] {
	case "", "11":
	case "12":
		c.OneTime = true
	default:
		return Code{}, malformed("point of initiation must be 11 or 12")
	}
	if _, ok := byID[idMCC]; !ok {
		return Code{}, malformed("missing merchant category code (52)")
	}
	if byID[idCurrency] != currencyBRL {
		return Code{}, malformed("currency (53) must be 986")
	}
	if byID[idCountry] != "BR" {
		return Code{}, malformed("country (58) must be BR")
	}
	if c.MerchantName = byID[idName]; c.MerchantName == "" {
		return Code{}, malformed("missing merchant name (59)")
	}
	if c.MerchantCity = byID[idCity]; c.MerchantCity == "" {
		return Code{}, malformed("missing merchant city (60)")
	}
	if amount, ok := byID[idAmount]; ok {
		if c.AmountCents, err = parseAmount(amount); err != nil {
			return Code{}, err
		}
	}
	if extra, ok := byID[idAdditional]; ok {
		sub, err := splitTLV(extra)
		if err != nil {
			return Code{}, malformed("additional data (62): " + err.Error())
		}
		for _, f := range sub {
			if f.id == subTxID {
				c.TxID = f.value
			}
		}
	}
	return c, nil
}

// readAccount finds the merchant account template (IDs 26 to 51) whose GUI
// is Pix and copies its key, description and URL into c.
func (c *Code) readAccount(fields []field) error {
	for _, f := range fields {
		if n, err := strconv.Atoi(f.id); err != nil || n < 26 || n > 51 {
			continue
		}
		sub, err := splitTLV(f.value)
		if err != nil {
			return malformed("merchant account (" + f.id + "): " + err.Error())
		}
		if len(sub) == 0 || sub[0].id != subGUI || !strings.EqualFold(sub[0].value, gui) {
			continue
		}
		for _, s := range sub[1:] {
			switch s.id {
			case subKey:
				c.Key = s.value
			case subDescription:
				c.Description = s.value
			case subURL:
				c.URL = s.value
			}
		}
		if c.Key == "" && c.URL == "" {
			return malformed("Pix merchant account has neither key nor URL")
		}
		return nil
	}
	return malformed("no Pix merchant account (GUI br.gov.bcb.pix)")
}

// splitTLV cuts s into fields, failing unless the fields cover s exactly.
// Its errors are bare reasons for the caller to wrap.
func splitTLV(s string) ([]field, error) {
	var out []field
	for i := 0; i < len(s); {
		if len(s)-i < 4 {
			return nil, fmt.Errorf("truncated field at offset %d", i)
		}
		id, length := s[i:i+2], s[i+2:i+4]
		if !digits(id) || !digits(length) {
			return nil, fmt.Errorf("bad field header %q at offset %d", s[i:i+4], i)
		}
		n := int(length[0]-'0')*10 + int(length[1]-'0')
		start := i + 4
		if start+n > len(s) {
			return nil, fmt.Errorf("field %s at offset %d runs past the end", id, i)
		}
		out = append(out, field{id: id, value: s[start : start+n]})
		i = start + n
	}
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	return out, nil
}

// parseAmount reads field 54 ("123.45", "10", "10.5") as centavos.
func parseAmount(s string) (int64, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || len(whole) > 10 || len(frac) > 2 || !digits(frac) || hasDot && frac == "" {
		return 0, malformed(fmt.Sprintf("amount (54) %q is not a decimal with at most two places", s))
	}
	for len(frac) < 2 {
		frac += "0"
	}
	cents, _ := strconv.ParseInt(whole+frac, 10, 64)
	return cents, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func malformed(reason string) error { return fmt.Errorf("%w: %s", ErrMalformed, reason) }
