package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
)

// Live pages use server-sent events. A stream ends by itself well before
// the server's write timeout (30 s) and the browser reconnects, resuming
// after the last event id it saw, so nothing is lost in between.
var (
	streamLife   = 20 * time.Second
	streamPoll   = 10 * time.Second // also re-reads the store, in case a message was dropped
	streamRetry  = 1500             // ms the browser waits before reconnecting
	storeTimeout = 5 * time.Second
)

// convHub fans the coordinator's conversation updates out to this
// instance's open streams through one subscription, started with the
// first stream and kept until the coordinator closes. Listeners are
// indexed by conversation, so an update wakes only the streams watching
// that conversation (and the inboxes), however many streams are open.
//
// Every stream holds a connection, a goroutine and a store read on each
// update, so the hub also caps them: max on this instance and perSession
// for one signed-in session (0: no cap). Without the caps one session
// opening 2,000 streams took the service to 470 MiB and slowed every
// inbound message.
type convHub struct {
	coord           bot.Coordinator
	log             *slog.Logger
	max, perSession int

	mu         sync.Mutex
	subscribed bool
	byConv     map[string]map[*listener]struct{} // "" holds the inboxes'
	sessions   map[string]int                    // open streams by session
	total      int
}

// listener is one open stream: id is its conversation, or "" for all;
// session is its owner's session (hashed), for the per-session cap.
type listener struct {
	id, session string
	ch          chan struct{}
}

func newConvHub(c bot.Coordinator, log *slog.Logger, lim Limits) *convHub {
	return &convHub{coord: c, log: log, max: lim.MaxStreams, perSession: lim.MaxStreamsPerSession,
		byConv: map[string]map[*listener]struct{}{}, sessions: map[string]int{}}
}

// listen registers a stream, or refuses it (429, the contract's JSON)
// when this session or the instance already has as many as allowed.
// Without a working subscription the stream still polls the store, only
// more slowly.
func (h *convHub) listen(id, session string) (*listener, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perSession > 0 && h.sessions[session] >= h.perSession {
		return nil, bot.Errorf(bot.CodeRateLimited, "this session already has %d live-update streams open; close a tab", h.perSession)
	}
	if h.max > 0 && h.total >= h.max {
		return nil, bot.Errorf(bot.CodeRateLimited, "the server already has %d live-update streams open; try again shortly", h.max)
	}
	if !h.subscribed && h.coord != nil {
		msgs, _, err := h.coord.Subscribe(context.Background(), engine.ConversationsChannel)
		if err != nil {
			h.log.Warn("console live updates unavailable; polling", "err", err)
		} else {
			h.subscribed = true
			go h.pump(msgs)
		}
	}
	l := &listener{id: id, session: session, ch: make(chan struct{}, 1)}
	if h.byConv[id] == nil {
		h.byConv[id] = map[*listener]struct{}{}
	}
	h.byConv[id][l] = struct{}{}
	h.sessions[session]++
	h.total++
	return l, nil
}

func (h *convHub) unlisten(l *listener) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.byConv[l.id][l]; !ok {
		return
	}
	delete(h.byConv[l.id], l)
	if len(h.byConv[l.id]) == 0 {
		delete(h.byConv, l.id)
	}
	if h.sessions[l.session]--; h.sessions[l.session] <= 0 {
		delete(h.sessions, l.session)
	}
	h.total--
}

// open reports how many streams are open, in all and for session.
func (h *convHub) open(session string) (total, mine int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total, h.sessions[session]
}

func (h *convHub) pump(msgs <-chan []byte) {
	for msg := range msgs {
		id := string(msg)
		h.mu.Lock()
		for _, key := range []string{id, ""} {
			for l := range h.byConv[key] {
				select {
				case l.ch <- struct{}{}:
				default: // already signalled; one wake-up reads everything new
				}
			}
			if id == "" {
				break
			}
		}
		h.mu.Unlock()
	}
	h.mu.Lock()
	h.subscribed = false
	h.mu.Unlock()
}

// streamSession keys the per-session cap: the hash of the session cookie
// (the routes run behind requireSession, so there is one).
func streamSession(c *fiber.Ctx) string {
	return hashSessionID(c.Cookies(sessionCookie))
}

// startStream sets the event-stream headers and runs loop in the body
// writer; loop's wake is called on every update, poll tick and at start,
// and returns false to end the stream.
func (cs *console) startStream(c *fiber.Ctx, l *listener, wake func(w *bufio.Writer) bool) error {
	setConsoleHeaders(c)
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no") // a proxy must pass events on at once
	done := c.Context().Done()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cs.hub.unlisten(l)
		fmt.Fprintf(w, "retry: %d\n\n", streamRetry)
		if !wake(w) || w.Flush() != nil {
			return
		}
		end := time.NewTimer(streamLife)
		defer end.Stop()
		tick := time.NewTicker(streamPoll)
		defer tick.Stop()
		for {
			select {
			case <-l.ch:
			case <-tick.C:
				if _, err := w.WriteString(": ping\n\n"); err != nil {
					return
				}
			case <-end.C:
				return
			case <-done:
				return
			}
			if !wake(w) || w.Flush() != nil {
				return // the browser went away
			}
		}
	})
	return nil
}

// writeEvent writes one server-sent event with a JSON payload.
func writeEvent(w *bufio.Writer, event, id string, payload any) bool {
	data, err := json.Marshal(payload)
	if err != nil {
		return false
	}
	if id != "" {
		fmt.Fprintf(w, "id: %s\n", id)
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
	return err == nil
}

type convEvent struct {
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	State       string `json:"state"`
	Agent       string `json:"agent"`
	Mine        bool   `json:"mine"`
	HeldByOther bool   `json:"held_by_other"`
}

type entryEvent struct {
	Seq  int64  `json:"seq"`
	HTML string `json:"html"`
}

type statusEvent struct {
	Seq    int64  `json:"seq"`
	Status string `json:"status"`
	Label  string `json:"label"`
}

// statusWindow is how many recent entries a stream watches for delivery
// updates (queued → sent → delivered → read), which are outside the chain
// and so never arrive as new entries.
const statusWindow = 20

// conversationEvents streams a conversation's new transcript entries
// (rendered as the page renders them) and changes of its status.
func (cs *console) conversationEvents(c *fiber.Ctx) error {
	t := consoleText[cs.lang(c)]
	a, _ := cs.consoleSession(c)
	ctx := c.UserContext()
	conv, err := cs.Store.Conversation(ctx, c.Params("id"))
	if err != nil {
		if bot.ErrorCodeOf(err) == bot.CodeNotFound {
			return cs.fail(c, fiber.StatusNotFound, t["errNoConversation"])
		}
		return err
	}
	cust, _, err := cs.Store.ConversationDebtor(ctx, conv)
	if err != nil {
		return err
	}
	debtor := conv.Phone
	if cust != nil {
		debtor = cust.Name
	}
	after, _ := strconv.ParseInt(c.Get("Last-Event-ID"), 10, 64)
	if after == 0 {
		after, _ = strconv.ParseInt(c.Query("after"), 10, 64)
	}
	day := c.Query("day")
	if len(day) > 10 {
		day = ""
	}
	lastState := c.Query("state") // what the page shows: status|agent
	id := conv.ID
	statuses := map[int64]string{}
	l, err := cs.hub.listen(id, streamSession(c))
	if err != nil {
		c.Set(fiber.HeaderRetryAfter, "30")
		return err
	}
	return cs.startStream(c, l, func(w *bufio.Writer) bool {
		sctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		conv, err := cs.Store.Conversation(sctx, id)
		if err != nil {
			cs.log.Warn("console stream: load conversation", "err", err)
			return false
		}
		entries, err := cs.Store.TranscriptAfter(sctx, id, max(after-statusWindow, 0), 200+statusWindow)
		if err != nil {
			cs.log.Warn("console stream: load transcript", "err", err)
			return false
		}
		for _, e := range entries {
			if e.Direction == bot.DirectionOut && e.Status != "" && statuses[e.Seq] != e.Status {
				if e.Seq <= after && !writeEvent(w, "status", "", statusEvent{Seq: e.Seq, Status: e.Status, Label: t["delivery_"+e.Status]}) {
					return false
				}
				statuses[e.Seq] = e.Status
			}
			if e.Seq <= after {
				continue
			}
			var b strings.Builder
			ev := cs.entryView(e, debtor, &day, t)
			if err := cs.templates.ExecuteTemplate(&b, "console_entry", ev); err != nil {
				cs.log.Error("console stream: render entry", "err", err)
				return false
			}
			if !writeEvent(w, "entry", strconv.FormatInt(e.Seq, 10), entryEvent{Seq: e.Seq, HTML: b.String()}) {
				return false
			}
			after = e.Seq
		}
		if state := string(conv.Status) + "|" + conv.Agent; state != lastState {
			lastState = state
			var v convView
			cs.fillState(&v, conv, a.Name, t)
			return writeEvent(w, "conv", "", convEvent{Status: v.Status, StatusLabel: v.StatusLabel, State: v.State,
				Agent: v.Agent, Mine: v.Mine, HeldByOther: v.HeldByOther})
		}
		return true
	})
}

// inboxEvents tells an open inbox that some conversation changed, at most
// once a second; the page then reloads its list.
func (cs *console) inboxEvents(c *fiber.Ctx) error {
	l, err := cs.hub.listen("", streamSession(c))
	if err != nil {
		c.Set(fiber.HeaderRetryAfter, "30")
		return err
	}
	first, last := true, time.Time{}
	return cs.startStream(c, l, func(w *bufio.Writer) bool {
		if first {
			first = false
			return true
		}
		if time.Since(last) < time.Second {
			time.Sleep(time.Second - time.Since(last))
		}
		last = time.Now()
		return writeEvent(w, "changed", "", struct{}{})
	})
}
