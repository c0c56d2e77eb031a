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
// first stream and kept until the coordinator closes.
type convHub struct {
	coord bot.Coordinator
	log   *slog.Logger

	mu         sync.Mutex
	subscribed bool
	listeners  map[*listener]struct{}
}

// listener is one open stream: id is its conversation, or "" for all.
type listener struct {
	id string
	ch chan struct{}
}

func newConvHub(c bot.Coordinator, log *slog.Logger) *convHub {
	return &convHub{coord: c, log: log, listeners: map[*listener]struct{}{}}
}

// listen registers a stream. Without a working subscription the stream
// still polls the store, only more slowly.
func (h *convHub) listen(id string) *listener {
	l := &listener{id: id, ch: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.subscribed && h.coord != nil {
		msgs, _, err := h.coord.Subscribe(context.Background(), engine.ConversationsChannel)
		if err != nil {
			h.log.Warn("console live updates unavailable; polling", "err", err)
		} else {
			h.subscribed = true
			go h.pump(msgs)
		}
	}
	h.listeners[l] = struct{}{}
	return l
}

func (h *convHub) unlisten(l *listener) {
	h.mu.Lock()
	delete(h.listeners, l)
	h.mu.Unlock()
}

func (h *convHub) pump(msgs <-chan []byte) {
	for msg := range msgs {
		id := string(msg)
		h.mu.Lock()
		for l := range h.listeners {
			if l.id == "" || l.id == id {
				select {
				case l.ch <- struct{}{}:
				default: // already signalled; one wake-up reads everything new
				}
			}
		}
		h.mu.Unlock()
	}
	h.mu.Lock()
	h.subscribed = false
	h.mu.Unlock()
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
	l := cs.hub.listen(id)
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
	l := cs.hub.listen("")
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
