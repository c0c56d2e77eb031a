package input

import (
	"strings"
	"unicode/utf8"

	"github.com/quitabot/quita/bot"
)

// Limits shared by every transport and API.
const (
	// MaxMessageRunes caps a debtor's text: WhatsApp's own limit for a
	// text message, so nothing a real phone sends is cut.
	MaxMessageRunes = 4096
	// MaxNameRunes caps short labels: attachment file names, MIME types,
	// media kinds (255 is what common filesystems allow for a name).
	MaxNameRunes = 255
	// MaxIDBytes caps an external message id. WhatsApp's ids are under
	// 100 bytes; an id cannot be cut without changing what it matches.
	MaxIDBytes = 200
)

// Clean returns s as text every supported database stores: NUL removed,
// invalid UTF-8 replaced by U+FFFD, at most max runes (max <= 0: no cap).
func Clean(s string, max int) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if max > 0 && len(s) > max { // a rune is at least one byte: short strings skip the count
		n := 0
		for i := range s {
			if n == max {
				return s[:i]
			}
			n++
		}
	}
	return s
}

// Check refuses s unless it is valid UTF-8 without NUL and at most max
// runes long (max <= 0: no cap). The error is a bot.Invalid naming field.
func Check(field, s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return bot.Invalid(field, "is not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return bot.Invalid(field, "must not contain NUL characters")
	case max > 0 && utf8.RuneCountInString(s) > max:
		return bot.Invalid(field, "must be at most %d characters", max)
	}
	return nil
}

// CheckAll applies Check to each field/value pair in order and returns
// the first refusal.
func CheckAll(fields ...Field) error {
	for _, f := range fields {
		if err := Check(f.Name, f.Value, f.Max); err != nil {
			return err
		}
	}
	return nil
}

// Field is one value for CheckAll, with the name an error reports and its
// cap in runes.
type Field struct {
	Name  string
	Value string
	Max   int
}

// Message is the gate for an inbound message from any transport. The
// debtor's words are cleaned (Clean); the ids a transport matches on are
// checked: a bad ExternalID is refused with a bot.Invalid on "id", and a
// bad Reply (the quoted message's id) is dropped, since a quote that
// matches nothing is harmless and the message itself still counts.
func Message(m bot.InboundMessage) (bot.InboundMessage, error) {
	if err := Check("id", m.ExternalID, 0); err != nil {
		return m, err
	}
	if len(m.ExternalID) > MaxIDBytes {
		return m, bot.Invalid("id", "must be at most %d bytes", MaxIDBytes)
	}
	if Check("reply", m.Reply, 0) != nil || len(m.Reply) > MaxIDBytes {
		m.Reply = ""
	}
	m.Text = Clean(m.Text, MaxMessageRunes)
	if m.Media != nil {
		media := *m.Media // the caller's value stays as it was
		media.Type = Clean(media.Type, MaxNameRunes)
		media.MIME = Clean(media.MIME, MaxNameRunes)
		media.Filename = Clean(media.Filename, MaxNameRunes)
		media.SHA256 = Clean(media.SHA256, MaxNameRunes)
		media.URL = Clean(media.URL, 0)
		m.Media = &media
	}
	return m, nil
}
