package transcript

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// referenceFields is the hashed content as the first release defined it,
// marshalled by encoding/json: canonical must write exactly its bytes.
type referenceFields struct {
	ConversationID string          `json:"conversation_id"`
	Seq            int64           `json:"seq"`
	At             string          `json:"at"`
	Direction      string          `json:"direction"`
	Author         string          `json:"author"`
	Text           string          `json:"text"`
	Media          *referenceMedia `json:"media,omitempty"`
	Intent         string          `json:"intent"`
	StateFrom      string          `json:"state_from"`
	StateTo        string          `json:"state_to"`
	PrevHash       string          `json:"prev_hash"`
}

type referenceMedia struct {
	Type     string `json:"type"`
	MIME     string `json:"mime"`
	Filename string `json:"filename"`
	URL      string `json:"url"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
}

func referenceHash(e *bot.TranscriptEntry) string {
	f := referenceFields{ConversationID: e.ConversationID, Seq: e.Seq, At: Normalize(e.At).Format(time.RFC3339Nano),
		Direction: e.Direction, Author: e.Author, Text: e.Text, Intent: e.Intent, StateFrom: e.StateFrom,
		StateTo: e.StateTo, PrevHash: e.PrevHash}
	if m := e.Media; m != nil {
		f.Media = &referenceMedia{Type: m.Type, MIME: m.MIME, Filename: m.Filename, URL: m.URL, Size: m.Size, SHA256: m.SHA256}
	}
	b, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestHashBytesNeverChange(t *testing.T) {
	at := time.Date(2026, 11, 23, 13, 0, 0, 123456789, time.FixedZone("BRT", -3*3600))
	entries := []bot.TranscriptEntry{
		{ConversationID: "cnv_1", Seq: 1, At: at, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "já paguei <R$ 10 & tal>",
			Intent: "already_paid", PrevHash: GenesisHash},
		{ConversationID: "cnv_1", Seq: 2, At: at.Add(time.Second), Direction: bot.DirectionOut, Author: bot.AuthorBot,
			Text: "linha 1\nlinha 2\t\"aspas\" \\ \u2028 \xff", StateFrom: "start", StateTo: "menu", Status: bot.DeliveryQueued},
		{ConversationID: "cnv_1", Seq: 3, At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Direction: bot.DirectionIn,
			Author: bot.AuthorDebtor, Media: &bot.Media{Type: "image", MIME: "image/jpeg", Filename: "comprovante <1>.jpg",
				URL: "/v1/media/med_1?sig=a&b", Size: 12345, SHA256: "ab"}},
		{},
	}
	for i := range entries {
		if got, want := Hash(&entries[i]), referenceHash(&entries[i]); got != want {
			t.Fatalf("entry %d: hash %s, the first release's %s", i, got, want)
		}
	}
	// Pinned: a change here breaks every chain already stored.
	if got := Hash(&entries[0]); got != pinnedHash {
		t.Fatalf("hash of the pinned entry changed: %s", got)
	}
}

const pinnedHash = "de6bd0c46864636de7d25e610e9054960d9d8b3d6040e376870cc6ab3072ebb0"

func FuzzHashAsReference(f *testing.F) {
	f.Add("cnv_1", int64(1), int64(1764075600123456789), "in", "debtor", "já paguei", "", "image/png", int64(10), "already_paid", "a", "b", GenesisHash)
	f.Fuzz(func(t *testing.T, conv string, seq, at int64, dir, author, text, media, mime string, size int64, intent, from, to, prev string) {
		e := bot.TranscriptEntry{ConversationID: conv, Seq: seq, At: time.Unix(0, at), Direction: dir, Author: author, Text: text,
			Intent: intent, StateFrom: from, StateTo: to, PrevHash: prev}
		if media != "" {
			e.Media = &bot.Media{Type: media, MIME: mime, Filename: text, URL: conv, Size: size, SHA256: prev}
		}
		if got, want := Hash(&e), referenceHash(&e); got != want {
			t.Fatalf("hash %s, reference %s for %+v", got, want, e)
		}
	})
}
