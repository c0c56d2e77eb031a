package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
)

// shortStreams makes streams end quickly so app.Test can read them whole,
// and makes polling too slow to matter: what arrives came by pub/sub.
func shortStreams(t *testing.T) {
	life, poll := streamLife, streamPoll
	streamLife, streamPoll = 1200*time.Millisecond, time.Minute
	t.Cleanup(func() { streamLife, streamPoll = life, poll })
}

func TestConsoleLiveTranscriptFollowsPublishedTurns(t *testing.T) {
	shortStreams(t)
	env := newConsoleEnv(t, false)
	b := env.browser(t)
	b.mustLogin("ana")
	got := make(chan page, 1)
	go func() {
		got <- b.do("GET", "/console/c/cnv_1/events?after=1&day=23%2F11%2F2026&state=needs_agent%7C", nil)
	}()
	time.Sleep(300 * time.Millisecond)

	// A debtor's new message, committed and announced as the engine does.
	ctx := context.Background()
	conv, err := env.st.Conversation(ctx, "cnv_1")
	if err != nil {
		t.Fatal(err)
	}
	conv.UpdatedAt = consoleT0.Add(time.Minute)
	if _, err := env.st.CommitTurn(ctx, bot.Turn{Conversation: conv, Entries: []bot.TranscriptEntry{
		{At: consoleT0.Add(time.Minute), Direction: bot.DirectionIn, Author: bot.AuthorDebtor, Text: "posso pagar amanhã <b>", Intent: "promise_to_pay"}}}); err != nil {
		t.Fatal(err)
	}
	if err := env.coord.Publish(ctx, engine.ConversationsChannel, []byte("cnv_1")); err != nil {
		t.Fatal(err)
	}
	p := <-got
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %v", p.status, p.header)
	}
	for _, want := range []string{"retry: ", "id: 2\nevent: entry\n", "Claro! Vou passar sua conversa.", "id: 3\nevent: entry\n",
		"posso pagar amanhã \\u0026lt;b\\u0026gt;", "promises to pay"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("stream lacks %q:\n%s", want, p.body)
		}
	}
	if strings.Contains(p.body, "quero falar com uma pessoa") {
		t.Error("the stream repeated an entry the page already had")
	}
	if strings.Contains(p.body, "event: conv") {
		t.Error("the stream re-sent a state the page already shows")
	}
	if strings.Count(p.body, `class=\"day\"`) != 0 {
		t.Error("a day separator for the day the page already shows")
	}

	// Reconnecting resumes after the last event id the browser saw.
	p = b.do("GET", "/console/c/cnv_1/events?after=0", nil, "Last-Event-ID", "2")
	if strings.Contains(p.body, "id: 2\n") || !strings.Contains(p.body, "id: 3\n") || !strings.Contains(p.body, "event: conv") {
		t.Errorf("resumed stream:\n%s", p.body)
	}
}

func TestConsoleLiveInboxHearsAnyConversation(t *testing.T) {
	shortStreams(t)
	env := newConsoleEnv(t, false)
	b := env.browser(t)
	b.mustLogin("ana")
	got := make(chan page, 1)
	go func() { got <- b.do("GET", "/console/events", nil) }()
	time.Sleep(300 * time.Millisecond)
	if err := env.coord.Publish(context.Background(), engine.ConversationsChannel, []byte("cnv_other")); err != nil {
		t.Fatal(err)
	}
	if p := <-got; !strings.Contains(p.body, "event: changed") {
		t.Fatalf("inbox stream:\n%s", p.body)
	}
	if p := b.do("GET", "/console/c/nope/events", nil); p.status != 404 {
		t.Fatalf("stream of an unknown conversation: %d", p.status)
	}
}
