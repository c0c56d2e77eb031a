package policy

import "testing"

func TestFormatDocument(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"11222333000181", "CNPJ 11.222.333/0001-81"},
		{"11.222.333/0001-81", "CNPJ 11.222.333/0001-81"},
		{"12345678909", "CPF 123.456.789-09"},
		{"123.456.789-09", "CPF 123.456.789-09"},
		{"12345", "12345"}, // not a document: as given
	} {
		if got := FormatDocument(c.in); got != c.want {
			t.Errorf("FormatDocument(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
