package transcript

import (
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

// sealV1 seals entries as releases before scheme 2 did.
func sealV1(prev *bot.TranscriptEntry, entries []bot.TranscriptEntry) {
	seq, prevHash := int64(0), GenesisHash
	if prev != nil {
		seq, prevHash = prev.Seq, prev.Hash
	}
	for i := range entries {
		e := &entries[i]
		seq++
		e.Seq, e.At, e.PrevHash, e.ContentHash = seq, Normalize(e.At), prevHash, ""
		e.Hash = Hash(e)
		prevHash = e.Hash
	}
}

func fourEntries() []bot.TranscriptEntry {
	at := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	return []bot.TranscriptEntry{
		{ConversationID: "c1", At: at, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "já paguei",
			Media: &bot.Media{Type: "image", MIME: "image/png", Filename: "comprovante.png", URL: "/v1/media/med_1", Size: 9}},
		{ConversationID: "c1", At: at, Direction: bot.DirectionOut, Author: bot.AuthorBot, Text: "Obrigado, Maria"},
		{ConversationID: "c1", At: at, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "meu CPF é 123.456.789-09"},
		{ConversationID: "c1", At: at, Direction: bot.DirectionSystem, Author: bot.AuthorSystem, Text: "payment confirmed"},
	}
}

// schemes builds the same conversation sealed under scheme 1, scheme 2,
// and scheme 1 continued by scheme 2 (a chain that spans the upgrade).
func schemes() map[string][]bot.TranscriptEntry {
	v1, v2, mixed := fourEntries(), fourEntries(), fourEntries()
	sealV1(nil, v1)
	Seal(nil, v2)
	sealV1(nil, mixed[:2])
	Seal(&mixed[1], mixed[2:])
	return map[string][]bot.TranscriptEntry{"v1": v1, "v2": v2, "mixed": mixed}
}

func TestPartlyErasedChainVerifies(t *testing.T) {
	for name, entries := range schemes() {
		t.Run(name, func(t *testing.T) {
			if v := Verify(entries); !v.OK || v.Erased != 0 {
				t.Fatalf("before erasure: %+v", v)
			}
			Erase(&entries[0])
			Erase(&entries[2])
			v := Verify(entries)
			if !v.OK || v.Entries != 4 || v.Erased != 2 {
				t.Fatalf("partly erased chain: %+v", v)
			}
		})
	}
}

func TestErasedChainStillFindsTampering(t *testing.T) {
	cases := []struct {
		name   string
		seq    int64
		tamper func(es []bot.TranscriptEntry)
	}{
		{"kept text changed", 2, func(es []bot.TranscriptEntry) { es[1].Text = "Sua dívida está quitada" }},
		{"erased entry's content put back differently", 1, func(es []bot.TranscriptEntry) { es[0].Text = "x" }},
		{"link cut", 4, func(es []bot.TranscriptEntry) { es[3].PrevHash = GenesisHash }},
		{"erased entry removed", 4, func(es []bot.TranscriptEntry) { copy(es[2:], es[3:]) }},
	}
	for name, base := range schemes() {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				es := append([]bot.TranscriptEntry(nil), base...)
				Erase(&es[0])
				Erase(&es[2])
				c.tamper(es)
				if c.name == "erased entry removed" {
					es = es[:3]
				}
				if v := Verify(es); v.OK || v.BrokenSeq != c.seq {
					t.Fatalf("tampering not found at #%d: %+v", c.seq, v)
				}
			})
		}
	}
	// Under scheme 2 the metadata of an erased entry stays covered too.
	es := schemes()["v2"]
	Erase(&es[0])
	es[0].Author = bot.AuthorBot
	if v := Verify(es); v.OK || v.BrokenSeq != 1 {
		t.Fatalf("an erased entry's author changed: %+v", v)
	}
	es = schemes()["v2"]
	Erase(&es[0])
	es[0].ContentHash = ContentHash(&bot.TranscriptEntry{Text: "outra coisa"})
	if v := Verify(es); v.OK || v.BrokenSeq != 1 {
		t.Fatalf("an erased entry's content hash replaced: %+v", v)
	}
}
