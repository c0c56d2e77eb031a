package pix

import (
	"errors"
	"strings"
	"testing"
)

// bcbVector is the example of the BCB Pix manual.
const bcbVector = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"

// dynamicVector was built field by field with an independent CRC
// implementation: a one-time code with a URL, a postal code (61), an amount
// without the second decimal and a lowercase checksum.
const dynamicVector = "00020101021226800014BR.GOV.BCB.PIX2558pix.example.com/qr/v2/9d36b84f-c70b-478f-b95c-12729b90ca25520400005303986540410.55802BR5917PROVEDOR XYZ LTDA6008CURITIBA61088000000062070503***63049677"

func TestCRC16(t *testing.T) {
	tests := []struct{ in, want string }{
		{"123456789", "29B1"}, // the catalogue check value of CRC-16/CCITT-FALSE
		{"", "FFFF"},
		{strings.TrimSuffix(bcbVector, "1D3D"), "1D3D"},
	}
	for _, tt := range tests {
		if got := CRC16(tt.in); got != tt.want {
			t.Errorf("CRC16(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		p    Payload
		want string
	}{
		{"BCB manual vector", Payload{
			Key: "123e4567-e12b-12d1-a456-426655440000", MerchantName: "Fulano de Tal", MerchantCity: "BRASILIA",
		}, bcbVector},
		{"amount, description, txid, folding and truncation", Payload{
			Key: " +5511988887777 ", Description: "Fatura  INV-1234", TxID: "INV1234", AmountCents: 15990,
			MerchantName: "João da Silva Comércio de Alimentos", MerchantCity: "São José dos Campos",
		}, "00020126550014br.gov.bcb.pix0114+55119888877770215Fatura INV-12345204000053039865406159.905802BR5925Joao da Silva Comercio de6015Sao Jose dos Ca62110507INV1234630403CB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Encode =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestEncodeAmounts(t *testing.T) {
	tests := []struct {
		cents int64
		field string
	}{
		{1, "54040.01"}, {10, "54040.10"}, {100, "54041.00"}, {12345, "5406123.45"},
		{maxAmountCts, "54139999999999.99"},
	}
	for _, tt := range tests {
		p := Payload{Key: "k", MerchantName: "N", MerchantCity: "C", AmountCents: tt.cents}
		got, err := p.Encode()
		if err != nil || !strings.Contains(got, "5303986"+tt.field+"5802BR") {
			t.Errorf("Encode(%d cents) = %q, %v; want field %s", tt.cents, got, err, tt.field)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	ok := Payload{Key: "key@example.com", MerchantName: "Loja", MerchantCity: "Recife"}
	tests := []struct {
		name   string
		change func(*Payload)
		want   string
	}{
		{"empty key", func(p *Payload) { p.Key = "  " }, "Pix key is empty"},
		{"key too long", func(p *Payload) { p.Key = strings.Repeat("a", 78) }, "Pix key is longer than 77 characters"},
		{"key with space", func(p *Payload) { p.Key = "a b" }, "Pix key must be printable ASCII without spaces"},
		{"key not ASCII", func(p *Payload) { p.Key = "joão@example.com" }, "Pix key must be printable ASCII without spaces"},
		{"description too long", func(p *Payload) { p.Description = strings.Repeat("d", 59) }, "description is too long for this key (at most 58 characters)"},
		{"empty name", func(p *Payload) { p.MerchantName = " \t" }, "merchant name is empty"},
		{"name without ASCII", func(p *Payload) { p.MerchantName = "日本" }, "merchant name is empty"},
		{"empty city", func(p *Payload) { p.MerchantCity = "" }, "merchant city is empty"},
		{"txid with dash", func(p *Payload) { p.TxID = "INV-1" }, "txid must be 1 to 25 letters or digits"},
		{"txid too long", func(p *Payload) { p.TxID = strings.Repeat("A", 26) }, "txid must be 1 to 25 letters or digits"},
		{"negative amount", func(p *Payload) { p.AmountCents = -1 }, "amount is negative"},
		{"amount too large", func(p *Payload) { p.AmountCents = maxAmountCts + 1 }, "amount is too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.change(&p)
			_, err := p.Encode()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Encode error = %v, want ErrInvalid", err)
			}
			if want := "pix: invalid payload: " + tt.want; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		})
	}
	// The limit itself is accepted.
	p := ok
	p.Description = strings.Repeat("d", 58)
	if _, err := p.Encode(); err != nil {
		t.Errorf("description of 58 characters: %v", err)
	}
}

func TestFold(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"São Paulo", 15, "Sao Paulo"},
		{"  AÇAÍ  Ñandú\tße ", 25, "ACAI Nandu sse"},
		{"Jose\u0301", 25, "Jose"}, // decomposed accent
		{"abc def", 4, "abc"},      // no trailing space after the cut
		{"Loja 日本 Ltda", 25, "Loja Ltda"},
	}
	for _, tt := range tests {
		if got := fold(tt.in, tt.limit); got != tt.want {
			t.Errorf("fold(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
	if len([]rune(accented)) != len([]rune(plain)) {
		t.Fatalf("accented has %d runes, plain %d", len([]rune(accented)), len([]rune(plain)))
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		code string
		want Code
	}{
		{"BCB vector", bcbVector, Code{Payload: Payload{
			Key: "123e4567-e12b-12d1-a456-426655440000", MerchantName: "Fulano de Tal", MerchantCity: "BRASILIA", TxID: "***",
		}}},
		{"dynamic", " " + dynamicVector + "\n", Code{
			Payload: Payload{MerchantName: "PROVEDOR XYZ LTDA", MerchantCity: "CURITIBA", TxID: "***", AmountCents: 1050},
			URL:     "pix.example.com/qr/v2/9d36b84f-c70b-478f-b95c-12729b90ca25", OneTime: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.code)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// withCRC replaces the checksum of a code body ending in "6304".
func withCRC(body string) string { return body + CRC16(body) }

func TestParseErrors(t *testing.T) {
	bcbBody := strings.TrimSuffix(bcbVector, "1D3D")
	tests := []struct {
		name    string
		code    string
		wantErr error
		wantMsg string
	}{
		{"empty", "", ErrMalformed, "does not end with a CRC field"},
		{"wrong checksum", bcbBody + "1D3E", ErrChecksum, "code says 1D3E, content gives 1D3D"},
		{"cut", bcbVector[:60], ErrMalformed, "does not end with a CRC field"},
		{"too long", strings.Repeat("0", 600), ErrMalformed, "longer than 512"},
		{"bad length", withCRC("000201265X" + bcbBody[10:]), ErrMalformed, "bad field header"},
		{"field past end", withCRC("000201269900146304"), ErrMalformed, "runs past the end"},
		{"format not first", withCRC(bcbBody[6:20] + "000201" + bcbBody[20:]), ErrMalformed, "does not start with payload format"},
		{"duplicate field", withCRC(strings.Replace(bcbBody, "5802BR", "5802BR5802BR", 1)), ErrMalformed, "field 58 appears twice"},
		{"other currency", withCRC(strings.Replace(bcbBody, "5303986", "5303840", 1)), ErrMalformed, "currency (53) must be 986"},
		{"other country", withCRC(strings.Replace(bcbBody, "5802BR", "5802US", 1)), ErrMalformed, "country (58) must be BR"},
		{"no name", withCRC(strings.Replace(bcbBody, "5913Fulano de Tal", "", 1)), ErrMalformed, "missing merchant name"},
		{"no city", withCRC(strings.Replace(bcbBody, "6008BRASILIA", "", 1)), ErrMalformed, "missing merchant city"},
		{"no MCC", withCRC(strings.Replace(bcbBody, "52040000", "", 1)), ErrMalformed, "missing merchant category code"},
		{"bad amount", withCRC(strings.Replace(bcbBody, "5802BR", "54041,505802BR", 1)), ErrMalformed, `amount (54) "1,50"`},
		{"three decimals", withCRC(strings.Replace(bcbBody, "5802BR", "54051.5005802BR", 1)), ErrMalformed, "at most two places"},
		{"other GUI", withCRC(strings.Replace(bcbBody, "br.gov.bcb.pix", "br.gov.bcb.xyz", 1)), ErrMalformed, "no Pix merchant account"},
		{"no key nor URL", withCRC("00020126180014br.gov.bcb.pix" + bcbBody[strings.Index(bcbBody, "5204"):]), ErrMalformed, "neither key nor URL"},
		{"bad initiation", withCRC("000201010213" + bcbBody[6:]), ErrMalformed, "point of initiation"},
		{"bad additional data", withCRC(strings.Replace(bcbBody, "62070503***", "6203050", 1)), ErrMalformed, "additional data (62)"},
		{"CRC swallowed", withCRC("0002015912abcd6304"), ErrMalformed, "CRC field (63) is not last"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestEncodeParseRoundTrip(t *testing.T) {
	p := Payload{Key: "12345678000195", Description: "Pedido 42", MerchantName: "Mercadinho", MerchantCity: "Belém", TxID: "ABC123", AmountCents: 990}
	code, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(code)
	if err != nil {
		t.Fatal(err)
	}
	want := p
	want.MerchantCity = "Belem"
	if got.Payload != want || got.URL != "" || got.OneTime {
		t.Fatalf("Parse(Encode(p)) = %+v, want %+v", got, want)
	}
}

func TestAmount(t *testing.T) {
	withAmount, err := Payload{Key: "pix@acme.example", MerchantName: "Acme", MerchantCity: "SAO PAULO", AmountCents: 15990}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		code  string
		cents int64
		ok    bool
		err   bool
	}{
		{"BCB manual vector: no amount, the payer types it", bcbVector, 0, false, false},
		{"one decimal", dynamicVector, 1050, true, false},
		{"two decimals, surrounding space", " " + withAmount + "\n", 15990, true, false},
		{"amount after a bad checksum is still read", strings.TrimSuffix(withAmount, withAmount[len(withAmount)-4:]) + "0000", 15990, true, false},
		{"truncated", bcbVector[:40], 0, false, true},
		{"amount with a comma", "000201" + "5406159,90" + "6304ABCD", 0, false, true},
	}
	for _, tt := range tests {
		cents, ok, err := Amount(tt.code)
		if cents != tt.cents || ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("%s: Amount = %d, %v, %v; want %d, %v, error %v", tt.name, cents, ok, err, tt.cents, tt.ok, tt.err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v is not ErrMalformed", tt.name, err)
		}
	}
}
