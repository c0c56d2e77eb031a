package transcript

import (
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

func sampleChain() []bot.TranscriptEntry {
	at := time.Date(2026, 11, 23, 13, 0, 0, 123456789, time.UTC)
	entries := []bot.TranscriptEntry{
		{ConversationID: "c1", At: at, Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "oi", Intent: "greeting"},
		{ConversationID: "c1", At: at, Direction: bot.DirectionOut, Author: bot.AuthorBot, Text: "Olá!", StateFrom: "start", StateTo: "menu", Status: bot.DeliveryQueued},
	}
	Seal(nil, entries)
	return entries
}

func TestSealThenVerify(t *testing.T) {
	entries := sampleChain()
	if v := Verify(entries); !v.OK || v.Entries != 2 {
		t.Fatalf("fresh chain does not verify: %+v", v)
	}
	if entries[0].PrevHash != GenesisHash || entries[1].PrevHash != entries[0].Hash {
		t.Fatal("entries are not linked")
	}
	if entries[0].At.Nanosecond()%1000 != 0 {
		t.Fatal("At was not truncated to microseconds")
	}
	more := []bot.TranscriptEntry{{ConversationID: "c1", At: time.Now(), Direction: bot.DirectionSystem, Author: bot.AuthorSystem, Text: "x"}}
	Seal(&entries[1], more)
	if more[0].Seq != 3 || Verify(append(entries, more...)).OK != true {
		t.Fatalf("continuing the chain failed: %+v", more[0])
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func([]bot.TranscriptEntry) []bot.TranscriptEntry
		broken int64
	}{
		{"text edited", func(e []bot.TranscriptEntry) []bot.TranscriptEntry { e[0].Text = "já paguei"; return e }, 1},
		{"intent edited", func(e []bot.TranscriptEntry) []bot.TranscriptEntry { e[1].StateTo = "paid"; return e }, 2},
		{"entry removed", func(e []bot.TranscriptEntry) []bot.TranscriptEntry { return e[1:] }, 2},
		{"time moved", func(e []bot.TranscriptEntry) []bot.TranscriptEntry { e[1].At = e[1].At.Add(time.Hour); return e }, 2},
		{"moved to another conversation", func(e []bot.TranscriptEntry) []bot.TranscriptEntry { e[0].ConversationID = "c2"; return e }, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := Verify(tc.tamper(sampleChain()))
			if v.OK || v.BrokenSeq != tc.broken {
				t.Fatalf("Verify = %+v, want broken at %d", v, tc.broken)
			}
		})
	}
}

func TestStatusIsOutsideTheChain(t *testing.T) {
	entries := sampleChain()
	entries[1].Status = bot.DeliveryRead
	if !Verify(entries).OK {
		t.Fatal("a delivery status change broke the chain")
	}
}
