package phone

import (
	"errors"
	"reflect"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, country, want string
	}{
		{"formatted national mobile", "(11) 98888-7777", "BR", "+5511988887777"},
		{"bare national mobile", "11988887777", "BR", "+5511988887777"},
		{"international without plus", "5511988887777", "BR", "+5511988887777"},
		{"international with plus and spaces", "+55 11 98888-7777", "BR", "+5511988887777"},
		{"empty country means Brazil", "11988887777", "", "+5511988887777"},
		{"calling code as country", "11988887777", "+55", "+5511988887777"},
		{"lowercase country", "11988887777", "br", "+5511988887777"},
		{"trunk prefix", "011 98888 7777", "BR", "+5511988887777"},
		{"trunk and carrier code", "0 21 11 98888-7777", "BR", "+5511988887777"},
		{"trunk and carrier code, old mobile", "0 15 11 8888-7777", "BR", "+5511988887777"},
		{"trunk after country code", "+55 (011) 98888-7777", "BR", "+5511988887777"},
		{"dots and slashes", "11.98888/7777", "BR", "+5511988887777"},
		{"non-breaking space", "11\u00a098888-7777", "BR", "+5511988887777"},
		{"surrounding space", "  +5511988887777\n", "BR", "+5511988887777"},
		{"old mobile gains ninth digit", "551188887777", "BR", "+5511988887777"},
		{"old mobile with plus", "+55 11 8888-7777", "BR", "+5511988887777"},
		{"old mobile national", "(21) 7777-6666", "BR", "+5521977776666"},
		{"old mobile starting 6", "61 6123-4567", "BR", "+5561961234567"},
		{"landline keeps 8 digits", "(11) 3333-4444", "BR", "+551133334444"},
		{"landline starting 2", "+55 21 2222-3333", "BR", "+552122223333"},
		{"landline starting 5", "5555 5123-4567", "BR", "+555551234567"},
		{"area code 55 national", "55 98888-7777", "BR", "+5555988887777"},
		{"jid", "5511988887777@s.whatsapp.net", "BR", "+5511988887777"},
		{"jid with device", "5511988887777:12@s.whatsapp.net", "BR", "+5511988887777"},
		{"jid with agent and device", "5511988887777.0:3@s.whatsapp.net", "BR", "+5511988887777"},
		{"jid without ninth digit", "551188887777@s.whatsapp.net", "BR", "+5511988887777"},
		{"c.us jid", "5511988887777@c.us", "BR", "+5511988887777"},
		{"foreign jid", "351912345678@s.whatsapp.net", "BR", "+351912345678"},
		{"foreign with plus", "+1 (415) 555-2671", "BR", "+14155552671"},
		{"foreign, 8 digits", "+4312345678", "BR", "+4312345678"},
		{"foreign, 15 digits", "+123456789012345", "BR", "+123456789012345"},
		{"national Portugal", "912 345 678", "PT", "+351912345678"},
		{"national UK trunk 0", "07911 123456", "GB", "+447911123456"},
		{"national by calling code", "912345678", "351", "+351912345678"},
		{"plus number ignores default country", "+5511988887777", "PT", "+5511988887777"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in, tt.country)
			if err != nil {
				t.Fatalf("Normalize(%q, %q) error: %v", tt.in, tt.country, err)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%q, %q) = %q, want %q", tt.in, tt.country, got, tt.want)
			}
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	tests := []struct {
		name, in, country, wantMsg string
	}{
		{"empty", "   ", "BR", "phone: empty"},
		{"only separators", "(--)", "BR", "phone: no digits"},
		{"letters", "11 9888A-7777", "BR", "phone: unexpected character 'A'"},
		{"plus in the middle", "11+988887777", "BR", "phone: unexpected character '+'"},
		{"too short", "12345", "BR", "phone: too short"},
		{"no area code", "98888-7777", "BR", "phone: missing Brazilian area code"},
		{"no area code, 8 digits", "8888-7777", "BR", "phone: missing Brazilian area code"},
		{"too long national", "119888877771", "BR", "phone: too long"},
		{"too long", "+55 11 98888-77771", "BR", "phone: too long"},
		{"unknown area code", "(20) 98888-7777", "BR", "phone: unknown Brazilian area code 20"},
		{"unknown area code international", "+55 10 98888-7777", "BR", "phone: unknown Brazilian area code 10"},
		{"area code 09 after trunk 0", "+55 00 98888-7777", "BR", "phone: unknown Brazilian area code 09"},
		{"nine digits not starting with 9", "11 88888-7777", "BR", "phone: Brazilian nine-digit numbers must start with 9"},
		{"subscriber starting 1", "11 1888-7777", "BR", "phone: Brazilian subscriber numbers cannot start with 0 or 1"},
		{"double zero prefix", "0055 11 98888-7777", "BR", "phone: international prefix 00 is ambiguous; write the number with + and the country code"},
		{"foreign too short", "+4312345", "BR", "phone: too short"},
		{"foreign too long", "+1234567890123456", "BR", "phone: too long"},
		{"country code 0", "+0123456789", "BR", "phone: country codes cannot start with 0"},
		{"lone plus", "+", "BR", "phone: no digits"},
		{"unknown default country", "912345678", "XX", `phone: unknown default country "XX"`},
		{"group jid", "120363025246125486@g.us", "BR", "phone: WhatsApp g.us JIDs are not phone numbers"},
		{"other server", "5511988887777@example.com", "BR", "phone: not a WhatsApp phone JID"},
		{"jid letters", "abc@s.whatsapp.net", "BR", "phone: WhatsApp JID user must be digits"},
		{"jid empty user", "@s.whatsapp.net", "BR", "phone: WhatsApp JID user must be digits"},
		{"jid bad device", "5511988887777:x@s.whatsapp.net", "BR", "phone: malformed WhatsApp device suffix"},
		{"jid plus", "+5511988887777@s.whatsapp.net", "BR", "phone: WhatsApp JID user must be digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in, tt.country)
			if err == nil {
				t.Fatalf("Normalize(%q) = %q, want error %q", tt.in, got, tt.wantMsg)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("error = %q, want %q", err, tt.wantMsg)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
		})
	}
}

func TestNormalizeLID(t *testing.T) {
	for _, in := range []string{"123456789012345@lid", "123456789012345:4@lid"} {
		_, err := Normalize(in, "BR")
		if !errors.Is(err, ErrLID) {
			t.Errorf("Normalize(%q) error = %v, want ErrLID", in, err)
		}
		if errors.Is(err, ErrInvalid) {
			t.Errorf("Normalize(%q): ErrLID must stay distinct from ErrInvalid", in)
		}
		if _, err := FromJID(in); !errors.Is(err, ErrLID) {
			t.Errorf("FromJID(%q) error = %v, want ErrLID", in, err)
		}
	}
}

func TestVariants(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"+5511988887777", []string{"+5511988887777", "+551188887777"}},
		{"+551188887777", []string{"+5511988887777", "+551188887777"}},
		{"(11) 98888-7777", []string{"+5511988887777", "+551188887777"}},
		{"+551133334444", []string{"+551133334444"}},
		{"+14155552671", []string{"+14155552671"}},
		{"not a phone", nil},
	}
	for _, tt := range tests {
		if got := Variants(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Variants(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestJID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+5511988887777", "5511988887777@s.whatsapp.net"},
		{"+551188887777", "551188887777@s.whatsapp.net"},
		{"+14155552671", "14155552671@s.whatsapp.net"},
		{"5511988887777", ""},
		{"+55 11 98888-7777", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := JID(tt.in); got != tt.want {
			t.Errorf("JID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFromJID(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{"5511988887777@s.whatsapp.net", "+5511988887777", ""},
		{"5511988887777:12@s.whatsapp.net", "+5511988887777", ""},
		{"551188887777@s.whatsapp.net", "+5511988887777", ""},
		{"14155552671@s.whatsapp.net", "+14155552671", ""},
		{"5511988887777", "", "phone: not a WhatsApp JID"},
		{"5520988887777@s.whatsapp.net", "", "phone: unknown Brazilian area code 20"},
	}
	for _, tt := range tests {
		got, err := FromJID(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("FromJID(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FromJID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	// JID and FromJID are inverse for canonical numbers.
	for _, e := range []string{"+5511988887777", "+551133334444", "+351912345678"} {
		if got, err := FromJID(JID(e)); err != nil || got != e {
			t.Errorf("FromJID(JID(%q)) = %q, %v", e, got, err)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+5511988887777", "+55 11 9****-7777"},
		{"+551133334444", "+55 11 ****-4444"},
		{"+351912345678", "+35******5678"},
		{"+14155552671", "+14*****2671"},
		{"5511988887777", "***"},
		{"", "***"},
		{"+55 11 98888-7777", "***"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsBrazilianAreaCode(t *testing.T) {
	valid, invalidCodes := 0, []string{}
	for i := 10; i <= 99; i++ {
		code := string(rune('0'+i/10)) + string(rune('0'+i%10))
		if IsBrazilianAreaCode(code) {
			valid++
		} else {
			invalidCodes = append(invalidCodes, code)
		}
	}
	if valid != 67 {
		t.Errorf("got %d valid area codes, want Anatel's 67", valid)
	}
	want := []string{"10", "20", "23", "25", "26", "29", "30", "36", "39", "40", "50", "52", "56", "57", "58", "59", "60", "70", "72", "76", "78", "80", "90"}
	if !reflect.DeepEqual(invalidCodes, want) {
		t.Errorf("unused area codes = %v, want %v", invalidCodes, want)
	}
}
