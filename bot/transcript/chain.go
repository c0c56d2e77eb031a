package transcript

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quitabot/quita/bot"
)

// GenesisHash is the PrevHash of a conversation's first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// hashedFields is the canonical, ordered content an entry's hash covers.
// Delivery status is deliberately absent: it changes after the entry is
// written (queued → sent → read) and must not break the chain.
type hashedFields struct {
	ConversationID string     `json:"conversation_id"`
	Seq            int64      `json:"seq"`
	At             string     `json:"at"`
	Direction      string     `json:"direction"`
	Author         string     `json:"author"`
	Text           string     `json:"text"`
	Media          *hashMedia `json:"media,omitempty"`
	Intent         string     `json:"intent"`
	StateFrom      string     `json:"state_from"`
	StateTo        string     `json:"state_to"`
	PrevHash       string     `json:"prev_hash"`
}

type hashMedia struct {
	Type     string `json:"type"`
	MIME     string `json:"mime"`
	Filename string `json:"filename"`
	URL      string `json:"url"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
}

// Normalize puts At in the form every database stores exactly (UTC,
// microseconds), so a hash computed before saving still matches after
// loading from PostgreSQL or SQLite.
func Normalize(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Hash computes the hash of e given its PrevHash.
func Hash(e *bot.TranscriptEntry) string {
	f := hashedFields{
		ConversationID: e.ConversationID,
		Seq:            e.Seq,
		At:             Normalize(e.At).Format(time.RFC3339Nano),
		Direction:      e.Direction,
		Author:         e.Author,
		Text:           e.Text,
		Intent:         e.Intent,
		StateFrom:      e.StateFrom,
		StateTo:        e.StateTo,
		PrevHash:       e.PrevHash,
	}
	if m := e.Media; m != nil {
		f.Media = &hashMedia{Type: m.Type, MIME: m.MIME, Filename: m.Filename, URL: m.URL, Size: m.Size, SHA256: m.SHA256}
	}
	b, err := json.Marshal(f)
	if err != nil {
		// Marshalling plain strings and ints cannot fail.
		panic(fmt.Sprintf("transcript: marshal hashed fields: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
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
