package input_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/input"
)

func TestCleanMakesAnyStringStorable(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain text is untouched", "já paguei 👍", 0, "já paguei 👍"},
		{"NUL bytes are removed", "oi\x00 tudo\x00", 0, "oi tudo"},
		{"invalid UTF-8 becomes U+FFFD", "caf\xe9 com p\xe3o", 0, "caf\uFFFD com p\uFFFDo"},
		{"the cap counts runes, not bytes", "ééééé", 3, "ééé"},
		{"a string at the cap is kept whole", "abc", 3, "abc"},
		{"cleaned before it is cut", "\x00\x00abc", 2, "ab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := input.Clean(tc.in, tc.max); got != tc.want {
				t.Fatalf("Clean(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

func TestCheckRefusesWhatCleanWouldChange(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"INV-1", ""},
		{"INV\x00-1", "NUL"},
		{"INV-\xff", "UTF-8"},
		{strings.Repeat("é", 11), "at most 10 characters"},
		{strings.Repeat("é", 10), ""},
	} {
		err := input.Check("invoice_id", tc.in, 10)
		if tc.want == "" {
			if err != nil {
				t.Errorf("Check(%q) = %v, want nil", tc.in, err)
			}
			continue
		}
		if bot.ErrorCodeOf(err) != bot.CodeInvalid || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "invoice_id") {
			t.Errorf("Check(%q) = %v, want an invalid invoice_id mentioning %q", tc.in, err, tc.want)
		}
	}
}

func TestMessageCleansWordsAndChecksIDs(t *testing.T) {
	in := bot.InboundMessage{ExternalID: "wamid.1", Reply: "bad\x00id", Text: "oi\x00" + strings.Repeat("a", 5000),
		Media: &bot.Media{Type: "document", MIME: "application/pdf", Filename: "recibo\x00\xff.pdf"}}
	got, err := input.Message(in)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(got.Text); n != input.MaxMessageRunes || !strings.HasPrefix(got.Text, "oia") {
		t.Errorf("text: %d runes starting %q", n, got.Text[:5])
	}
	if got.Media.Filename != "recibo\uFFFD.pdf" || got.Reply != "" {
		t.Errorf("filename %q, reply %q", got.Media.Filename, got.Reply)
	}
	if in.Media.Filename != "recibo\x00\xff.pdf" {
		t.Error("the caller's media was changed in place")
	}
	for _, id := range []string{"wamid\x00", "wamid\xff", strings.Repeat("x", input.MaxIDBytes+1)} {
		if _, err := input.Message(bot.InboundMessage{ExternalID: id, Text: "oi"}); bot.ErrorCodeOf(err) != bot.CodeInvalid {
			t.Errorf("id %q: %v, want invalid", id, err)
		}
	}
}
