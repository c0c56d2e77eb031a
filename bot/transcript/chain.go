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

// Hash computes the hash of e given its PrevHash: SHA-256 of canonical(e),
// hex-encoded.
func Hash(e *bot.TranscriptEntry) string {
	buf := make([]byte, 0, 512)
	sum := sha256.Sum256(canonical(buf, e))
	return hex.EncodeToString(sum[:])
}

// canonical appends the content an entry's hash covers: the JSON object
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
	if m := e.Media; m != nil {
		b = jsonw.AppendString(append(b, `,"media":{"type":`...), m.Type)
		b = field(b, "mime", m.MIME)
		b = field(b, "filename", m.Filename)
		b = field(b, "url", m.URL)
		b = jsonw.AppendInt(append(b, `,"size":`...), m.Size)
		b = append(field(b, "sha256", m.SHA256), '}')
	}
	b = field(b, "intent", e.Intent)
	b = field(b, "state_from", e.StateFrom)
	b = field(b, "state_to", e.StateTo)
	return append(field(b, "prev_hash", e.PrevHash), '}')
}

// Seal links entries after prev (nil for a new conversation): it assigns
// consecutive Seq numbers, normalises At, and sets PrevHash and Hash.
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
		e.Hash = Hash(e)
		prevHash = e.Hash
	}
}

// Verification is the outcome of checking a chain.
type Verification struct {
	OK        bool   `json:"ok"`
	Entries   int    `json:"entries"`
	BrokenSeq int64  `json:"broken_seq,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// Verify checks that entries, in order, form an unbroken chain from the
// genesis hash. It reports the first entry that does not.
func Verify(entries []bot.TranscriptEntry) Verification {
	prevHash := GenesisHash
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Seq != int64(i+1):
			return Verification{Entries: len(entries), BrokenSeq: e.Seq, Reason: fmt.Sprintf("expected seq %d", i+1)}
		case e.PrevHash != prevHash:
			return Verification{Entries: len(entries), BrokenSeq: e.Seq, Reason: "prev_hash does not match the previous entry"}
		case Hash(e) != e.Hash:
			return Verification{Entries: len(entries), BrokenSeq: e.Seq, Reason: "hash does not match the entry's content"}
		}
		prevHash = e.Hash
	}
	return Verification{OK: true, Entries: len(entries)}
}
