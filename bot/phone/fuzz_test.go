package phone

import (
	"errors"
	"testing"
)

// FuzzNormalize checks that Normalize never panics, that every success is
// valid E.164, and that a result normalises to itself.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"(11) 98888-7777", "5511988887777", "+55 11 8888-7777", "0 21 11 98888-7777",
		"5511988887777:12@s.whatsapp.net", "123@lid", "+14155552671", "", "+",
	} {
		f.Add(s, "BR")
	}
	f.Add("912 345 678", "PT")
	f.Fuzz(func(t *testing.T, in, country string) {
		got, err := Normalize(in, country)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrLID) {
				t.Fatalf("Normalize(%q, %q): error %v matches neither ErrInvalid nor ErrLID", in, country, err)
			}
			return
		}
		if !isE164(got) {
			t.Fatalf("Normalize(%q, %q) = %q, not E.164", in, country, got)
		}
		again, err := Normalize(got, "BR")
		if err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, %v; want it unchanged", got, again, err)
		}
		if vs := Variants(got); len(vs) == 0 || vs[0] != got {
			t.Fatalf("Variants(%q) = %q; want the canonical form first", got, vs)
		}
		if back, err := FromJID(JID(got)); err != nil || back != got {
			t.Fatalf("FromJID(JID(%q)) = %q, %v", got, back, err)
		}
	})
}
