package transcript

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/jsonw"
)

// GenesisHash is the PrevHash of a conversation's first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Normalize puts At in the form every database stores exactly (UTC,
// microseconds), so a hash computed before saving still matches after
// loading from PostgreSQL or SQLite.
func Normalize(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Hash computes the hash of e given its PrevHash, hex-encoded. Under
// scheme 2 (e.ContentHash set) it is SHA-256 of envelope(e), which covers
// the content only through ContentHash; under scheme 1, SHA-256 of
// canonical(e), which covers the content itself.
func Hash(e *bot.TranscriptEntry) string {
	buf := make([]byte, 0, 512)
	var sum [32]byte
	if e.ContentHash != "" {
		sum = sha256.Sum256(envelope(buf, e))
	} else {
		sum = sha256.Sum256(canonical(buf, e))
	}
	return hex.EncodeToString(sum[:])
}

// ContentHash is the leaf hash of e's personal content: SHA-256, hex, of
// the JSON object {"text", "media" (only when present, as in canonical)}.
// Erasure removes the content and keeps this hash.
func ContentHash(e *bot.TranscriptEntry) string {
	b := jsonw.AppendString(append(make([]byte, 0, 256), `{"text":`...), e.Text)
	b = appendMedia(b, e.Media)
	sum := sha256.Sum256(append(b, '}'))
	return hex.EncodeToString(sum[:])
}

// envelope appends what a scheme-2 hash covers: the JSON object
// {"scheme":2, "conversation_id", "seq", "at", "direction", "author",
// "content_hash", "intent", "state_from", "state_to", "prev_hash"}.
func envelope(b []byte, e *bot.TranscriptEntry) []byte {
	field := func(b []byte, name, value string) []byte {
		return jsonw.AppendString(append(b, `,"`+name+`":`...), value)
	}
	b = jsonw.AppendString(append(b, `{"scheme":2,"conversation_id":`...), e.ConversationID)
	b = jsonw.AppendInt(append(b, `,"seq":`...), e.Seq)
	b = append(b, `,"at":"`...)
	b = append(Normalize(e.At).AppendFormat(b, time.RFC3339Nano), '"')
	b = field(b, "direction", e.Direction)
	b = field(b, "author", e.Author)
	b = field(b, "content_hash", e.ContentHash)
	b = field(b, "intent", e.Intent)
	b = field(b, "state_from", e.StateFrom)
	b = field(b, "state_to", e.StateTo)
	return append(field(b, "prev_hash", e.PrevHash), '}')
}

// appendMedia appends `,"media":{…}` for m, or nothing for nil.
func appendMedia(b []byte, m *bot.Media) []byte {
	if m == nil {
		return b
	}
	field := func(b []byte, name, value string) []byte {
		return jsonw.AppendString(append(b, `,"`+name+`":`...), value)
	}
	b = jsonw.AppendString(append(b, `,"media":{"type":`...), m.Type)
	b = field(b, "mime", m.MIME)
	b = field(b, "filename", m.Filename)
	b = field(b, "url", m.URL)
	b = jsonw.AppendInt(append(b, `,"size":`...), m.Size)
	return append(field(b, "sha256", m.SHA256), '}')
}

// canonical appends what a scheme-1 hash covers: the JSON object
// {"conversation_id", "seq", "at" (RFC 3339, UTC, microseconds),
// "direction", "author", "text", "media" (only when present: "type",
// "mime", "filename", "url", "size", "sha256"), "intent", "state_from",
// "state_to", "prev_hash"}, in that order, as encoding/json writes it —
// chains sealed since the first release must keep verifying, so these
// bytes never change (chain_test.go checks them against encoding/json).
// Delivery status is deliberately absent: it changes after the entry is
// written (queued → sent → read) and must not break the chain.
func canonical(b []byte, e *bot.TranscriptEntry) []byte {
	field := func(b []byte, name, value string) []byte {
		return jsonw.AppendString(append(b, `,"`+name+`":`...), value)
	}
	b = jsonw.AppendString(append(b, `{"conversation_id":`...), e.ConversationID)
	b = jsonw.AppendInt(append(b, `,"seq":`...), e.Seq)
	b = append(b, `,"at":"`...)
	b = append(Normalize(e.At).AppendFormat(b, time.RFC3339Nano), '"')
	b = field(b, "direction", e.Direction)
	b = field(b, "author", e.Author)
	b = field(b, "text", e.Text)
	b = appendMedia(b, e.Media)
	b = field(b, "intent", e.Intent)
	b = field(b, "state_from", e.StateFrom)
	b = field(b, "state_to", e.StateTo)
	return append(field(b, "prev_hash", e.PrevHash), '}')
}

// Seal links entries after prev (nil for a new conversation) under
// scheme 2: it assigns consecutive Seq numbers, normalises At, and sets
// ContentHash, PrevHash and Hash. A chain may start under scheme 1 and
// continue under scheme 2; the link is the same.
func Seal(prev *bot.TranscriptEntry, entries []bot.TranscriptEntry) {
	seq, prevHash := int64(0), GenesisHash
	if prev != nil {
		seq, prevHash = prev.Seq, prev.Hash
	}
	for i := range entries {
		e := &entries[i]
		seq++
		e.Seq = seq
		e.At = Normalize(e.At)
		e.PrevHash = prevHash
		e.ContentHash = ContentHash(e)
		e.Hash = Hash(e)
		prevHash = e.Hash
	}
}

// Verification is the outcome of checking a chain.
type Verification struct {
	OK      bool `json:"ok"`
	Entries int  `json:"entries"`
	// Erased counts the entries whose content was erased; their links are
	// still checked.
	Erased    int    `json:"erased"`
	BrokenSeq int64  `json:"broken_seq,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// Verify checks that entries, in order, form an unbroken chain from the
// genesis hash. It reports the first entry that does not.
//
// A scheme-2 entry (ContentHash set) must hash to Hash from its metadata
// and ContentHash, and, unless erased, its content must hash to
// ContentHash. A scheme-1 entry must hash to Hash from its content; once
// erased, only its link is checkable: Hash is still the next entry's
// PrevHash.
func Verify(entries []bot.TranscriptEntry) Verification {
	prevHash, erased := GenesisHash, 0
	broken := func(e *bot.TranscriptEntry, reason string) Verification {
		return Verification{Entries: len(entries), Erased: erased, BrokenSeq: e.Seq, Reason: reason}
	}
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Seq != int64(i+1):
			return broken(e, fmt.Sprintf("expected seq %d", i+1))
		case e.PrevHash != prevHash:
			return broken(e, "prev_hash does not match the previous entry")
		case e.Erased && (e.Text != "" || e.Media != nil):
			return broken(e, "an erased entry still has content")
		case e.ContentHash != "" && Hash(e) != e.Hash:
			return broken(e, "hash does not match the entry's metadata and content hash")
		case e.ContentHash != "" && !e.Erased && ContentHash(e) != e.ContentHash:
			return broken(e, "content_hash does not match the entry's content")
		case e.ContentHash == "" && !e.Erased && Hash(e) != e.Hash:
			return broken(e, "hash does not match the entry's content")
		}
		if e.Erased {
			erased++
		}
		prevHash = e.Hash
	}
	return Verification{OK: true, Entries: len(entries), Erased: erased}
}

// Erase removes e's personal content (text and media) and marks it
// erased. Hash, PrevHash and, under scheme 2, ContentHash stay, so Verify
// still checks every link.
func Erase(e *bot.TranscriptEntry) {
	e.Text, e.Media, e.Erased = "", nil, true
}
