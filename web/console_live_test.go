package web

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/store/coord"
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

// clone is another tab of the same browser: same cookies, own jar, so
// tabs can run at once.
func (b *browser) clone() *browser {
	c := *b
	c.jar = map[string]string{}
	for k, v := range b.jar {
		c.jar[k] = v
	}
	return &c
}

// waitStreams waits, for a bounded time, until the hub holds total
// streams, mine of them session's.
func waitStreams(t *testing.T, env *consoleEnv, session string, total, mine int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		gotTotal, gotMine := env.srv.hub.open(session)
		if gotTotal == total && gotMine == mine {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("open streams: %d (this session %d); want %d (%d)", gotTotal, gotMine, total, mine)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConsoleLiveStreamsAreCapped: a session may hold MaxStreamsPerSession
// live streams and the instance MaxStreams; more are refused with 429 in
// the contract's shape, and a stream that ends gives its place back.
// Before the caps one session could open thousands.
func TestConsoleLiveStreamsAreCapped(t *testing.T) {
	life, poll := streamLife, streamPoll
	streamLife, streamPoll = 2*time.Second, time.Minute
	t.Cleanup(func() { streamLife, streamPoll = life, poll })
	lim := DefaultLimits()
	lim.MaxStreamsPerSession, lim.MaxStreams = 2, 3
	env := newConsoleEnvWith(t, false, func(d *Deps) { d.Limits = &lim })
	ana, bia, root := env.browser(t), env.browser(t), env.browser(t)
	ana.mustLogin("ana")
	bia.mustLogin("bia")
	root.mustLogin("root")
	anaSession := hashSessionID(ana.jar[sessionCookie])

	var wg sync.WaitGroup
	streams := make(chan page, 3)
	open := func(b *browser, path string) {
		tab := b.clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			streams <- tab.do("GET", path, nil)
		}()
	}
	refused := func(b *browser, path, want string) {
		t.Helper()
		p := b.do("GET", path, nil)
		if p.status != 429 || errorCode(t, p.body) != "rate_limited" || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, want) {
			t.Fatalf("a stream over the cap: %d %v %s", p.status, p.header, p.body)
		}
	}

	open(ana, "/console/events")
	open(ana, "/console/c/cnv_1/events")
	waitStreams(t, env, anaSession, 2, 2)
	refused(ana, "/console/c/cnv_1/events", "this session")

	open(bia, "/console/events") // another session still gets one
	waitStreams(t, env, anaSession, 3, 2)
	refused(root, "/console/events", "the server")

	wg.Wait()
	close(streams)
	for p := range streams {
		if p.status != 200 || !strings.HasPrefix(p.body, "retry: ") {
			t.Errorf("a stream within the caps: %d %s", p.status, p.body)
		}
	}
	waitStreams(t, env, anaSession, 0, 0)
	if p := ana.do("GET", "/console/events", nil); p.status != 200 {
		t.Fatalf("a stream after the others ended: %d %s", p.status, p.body)
	}
}

// TestConsoleLiveHubWakesOnlyThatConversation: one subscription feeds
// every stream, and an update wakes the streams on its conversation and
// the inboxes, not the streams on other conversations.
func TestConsoleLiveHubWakesOnlyThatConversation(t *testing.T) {
	mem := coord.NewMemory()
	defer mem.Close()
	h := newConvHub(mem, slog.New(slog.DiscardHandler), Limits{})
	one, _ := h.listen("cnv_1", "s")
	other, _ := h.listen("cnv_2", "s")
	inbox, _ := h.listen("", "s")
	if err := mem.Publish(context.Background(), engine.ConversationsChannel, []byte("cnv_1")); err != nil {
		t.Fatal(err)
	}
	for _, l := range []*listener{one, inbox} {
		select {
		case <-l.ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("the %q stream was not woken", l.id)
		}
	}
	h.mu.Lock() // the pump wakes a message's streams under one lock
	h.mu.Unlock()
	select {
	case <-other.ch:
		t.Fatal("a stream on another conversation was woken")
	default:
	}
	h.unlisten(one)
	h.unlisten(one) // twice is harmless
	if total, mine := h.open("s"); total != 2 || mine != 2 {
		t.Fatalf("open after one ended: %d %d", total, mine)
	}
}
