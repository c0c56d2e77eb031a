package pix

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that an accepted code carries a
// valid checksum, and that re-encoding an accepted static code is stable.
func FuzzParse(f *testing.F) {
	f.Add(bcbVector)
	f.Add(dynamicVector)
	f.Add("")
	f.Add("6304FFFF")
	f.Fuzz(func(t *testing.T, code string) {
		c, err := Parse(code)
		if err != nil {
			return
		}
		trimmed := strings.TrimSpace(code)
		body, sum := trimmed[:len(trimmed)-4], trimmed[len(trimmed)-4:]
		if !strings.EqualFold(CRC16(body), sum) {
			t.Fatalf("Parse accepted %q with a wrong checksum", code)
		}
		if c.Key == "" {
			return
		}
		first, err := c.Payload.Encode()
		if err != nil {
			return // fields valid in a code may break Encode's stricter rules
		}
		again, err := Parse(first)
		if err != nil {
			t.Fatalf("Parse(Encode(%+v)) = %v", c.Payload, err)
		}
		second, err := again.Payload.Encode()
		if err != nil || second != first {
			t.Fatalf("re-encoding is not stable:\n%s\n%s (%v)", first, second, err)
		}
	})
}

// FuzzEncode checks that whatever Encode accepts, Parse reads back.
func FuzzEncode(f *testing.F) {
	f.Add("123e4567-e12b-12d1-a456-426655440000", "", "Fulano de Tal", "BRASILIA", "", int64(0))
	f.Add("+5511988887777", "Fatura março", "João Comércio", "São Paulo", "INV1", int64(15990))
	f.Fuzz(func(t *testing.T, key, desc, name, city, txid string, cents int64) {
		p := Payload{Key: key, Description: desc, MerchantName: name, MerchantCity: city, TxID: txid, AmountCents: cents}
		code, err := p.Encode()
		if err != nil {
			return
		}
		c, err := Parse(code)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", code, err)
		}
		want, _ := p.clean()
		if c.Payload != want {
			t.Fatalf("Parse(Encode(p)) = %+v, want %+v", c.Payload, want)
		}
	})
}
