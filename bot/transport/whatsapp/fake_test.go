package whatsapp

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/transport/transporttest"
	"github.com/quitabot/quita/store"
)

// ownJID is the linked number of the test device (with a device part).
var ownJID = types.JID{User: "5511999990000", Server: types.DefaultUserServer, Device: 3}

// fakeClient stands in for *whatsmeow.Client: it records what the
// transport asks and lets tests dispatch real whatsmeow events.
type fakeClient struct {
	mu         sync.Mutex
	own        types.JID
	key        []byte
	loggedIn   bool
	handlers   []whatsmeow.EventHandlerWithSuccessStatus
	connects   int
	onConnect  func(c *fakeClient, n int) error
	sent       []fakeSent
	timeouts   []time.Duration // SendRequestExtra.Timeout of every SendMessage
	sendErrs   []error
	presences  []types.ChatPresence
	uploads    int
	registered map[string]types.JID // "+55…" → account, for IsOnWhatsApp
	lookups    [][]string
	lids       map[types.JID]types.JID // LID → PN
	puts       [][2]types.JID
	download   func() ([]byte, error)
	everyone   bool // every number is on WhatsApp (scenario runs)
	pairCodes  []string
}

type fakeSent struct {
	to  types.JID
	id  string
	msg *waE2E.Message
}

func newFakeClient() *fakeClient {
	return &fakeClient{own: ownJID, key: []byte("device-key"), loggedIn: true,
		registered: map[string]types.JID{}, lids: map[types.JID]types.JID{}}
}

func (c *fakeClient) Connect() error {
	c.mu.Lock()
	c.connects++
	n, hook := c.connects, c.onConnect
	c.mu.Unlock()
	if hook != nil {
		return hook(c, n)
	}
	return nil
}

func (c *fakeClient) Disconnect() {}

func (c *fakeClient) IsLoggedIn() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loggedIn
}

func (c *fakeClient) AddEventHandlerWithSuccessStatus(h whatsmeow.EventHandlerWithSuccessStatus) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers = append(c.handlers, h)
	return uint32(len(c.handlers))
}

// dispatch delivers evt like whatsmeow's dispatchEvent: false if a handler
// failed (and the message would not be acknowledged).
func (c *fakeClient) dispatch(evt any) bool {
	c.mu.Lock()
	hs := append([]whatsmeow.EventHandlerWithSuccessStatus(nil), c.handlers...)
	c.mu.Unlock()
	for _, h := range hs {
		if !h(evt) {
			return false
		}
	}
	return true
}

func (c *fakeClient) connectCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connects
}

func (c *fakeClient) PairPhone(_ context.Context, phone string, _ bool, _ whatsmeow.PairClientType, _ string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pairCodes = append(c.pairCodes, phone)
	if phone == "5511988887777" {
		return "", errors.New("bad request")
	}
	return "ABCD-EFGH", nil
}

func (c *fakeClient) SendMessage(_ context.Context, to types.JID, msg *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timeouts = append(c.timeouts, extra[0].Timeout)
	if len(c.sendErrs) > 0 {
		err := c.sendErrs[0]
		c.sendErrs = c.sendErrs[1:]
		if err != nil {
			return whatsmeow.SendResponse{}, err
		}
	}
	id := extra[0].ID
	c.sent = append(c.sent, fakeSent{to: to, id: id, msg: msg})
	return whatsmeow.SendResponse{ID: id, Timestamp: time.Now()}, nil
}

func (c *fakeClient) SendChatPresence(_ context.Context, _ types.JID, state types.ChatPresence, _ types.ChatPresenceMedia) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.presences = append(c.presences, state)
	return nil
}

func (c *fakeClient) Upload(_ context.Context, data []byte, _ whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.uploads++
	return whatsmeow.UploadResponse{URL: "https://mmg.example/x", DirectPath: "/x", FileLength: uint64(len(data))}, nil
}

func (c *fakeClient) Download(context.Context, whatsmeow.DownloadableMessage) ([]byte, error) {
	if c.download != nil {
		return c.download()
	}
	return []byte("receipt bytes"), nil
}

func (c *fakeClient) IsOnWhatsApp(_ context.Context, phones []string) ([]types.IsOnWhatsAppResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lookups = append(c.lookups, phones)
	var out []types.IsOnWhatsAppResponse
	for _, p := range phones {
		j, ok := c.registered[p]
		if !ok && c.everyone {
			j, ok = types.NewJID(strings.TrimPrefix(p, "+"), types.DefaultUserServer), true
		}
		out = append(out, types.IsOnWhatsAppResponse{Query: p, JID: j, IsIn: ok})
	}
	return out, nil
}

func (c *fakeClient) ParseWebMessage(chat types.JID, web *waWeb.WebMessageInfo) (*events.Message, error) {
	info := types.MessageInfo{MessageSource: types.MessageSource{Chat: chat, Sender: chat, IsFromMe: web.GetKey().GetFromMe()},
		ID: web.GetKey().GetID(), Timestamp: time.Unix(int64(web.GetMessageTimestamp()), 0)}
	return &events.Message{Info: info, Message: web.GetMessage(), RawMessage: web.GetMessage()}, nil
}

func (c *fakeClient) OwnJID() types.JID { return c.own }
func (c *fakeClient) IDKey() []byte     { return c.key }

func (c *fakeClient) PNForLID(_ context.Context, lid types.JID) (types.JID, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lids[lid], nil
}

func (c *fakeClient) LIDForPN(_ context.Context, pn types.JID) (types.JID, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for lid, p := range c.lids {
		if p == pn {
			return lid, nil
		}
	}
	return types.EmptyJID, nil
}

func (c *fakeClient) PutLIDMapping(_ context.Context, lid, pn types.JID) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lids[lid] = pn
	c.puts = append(c.puts, [2]types.JID{lid, pn})
	return nil
}

// fakeDevices serves one fake client for every session.
type fakeDevices struct {
	cli  *fakeClient
	jids []types.JID
	gone bool
}

func (d *fakeDevices) List(context.Context) ([]types.JID, error) { return d.jids, nil }

// Client returns the scripted client for a paired device and an idle one
// for a device to pair.
func (d *fakeDevices) Client(_ context.Context, jid types.JID) (client, error) {
	if d.gone {
		return nil, nil
	}
	if jid.IsEmpty() {
		c := newFakeClient()
		c.own = types.EmptyJID
		return c, nil
	}
	return d.cli, nil
}

// fakeSink records what the transport hands over; Fail makes it refuse.
type fakeSink = transporttest.Sink

// harness is a transport with one line whose session runs a fake client,
// a manual clock, and sleeps that move the clock instead of waiting.
type harness struct {
	tr     *Transport
	sink   *fakeSink
	clock  *clock.Manual
	cli    *fakeClient
	line   *line
	devs   *fakeDevices
	mu     sync.Mutex
	slept  []time.Duration
	jitter float64
}

var testStart = time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)

func openTestDB(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "quita.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func newHarness(t *testing.T, mods ...func(*Config)) *harness {
	t.Helper()
	h := &harness{sink: &fakeSink{}, clock: clock.NewManual(testStart), cli: newFakeClient(), jitter: 0.5}
	cfg := Config{DB: openTestDB(t).DB, Dialect: "sqlite", Sink: h.sink, Clock: h.clock,
		Pacing: Pacing{MinDelay: 4 * time.Second, MaxDelay: 12 * time.Second, PerCharDelay: 50 * time.Millisecond,
			Typing: true, DailyCap: 10, WarmupDays: 5, WarmupDailyCap: 2}}
	for _, m := range mods {
		m(&cfg)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	h.devs = &fakeDevices{cli: h.cli, jids: []types.JID{ownJID}}
	h.tr = newTransport(cfg, h.devs)
	t.Cleanup(func() { h.tr.Close() })
	if err := h.tr.numbers.ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.tr.sleep = func(_ context.Context, d time.Duration) error {
		h.mu.Lock()
		h.slept = append(h.slept, d)
		h.mu.Unlock()
		h.clock.Advance(d)
		return nil
	}
	h.tr.jitter = func() float64 { return h.jitter }
	h.tr.fetchVersion = func(context.Context) (bool, error) { return false, errors.New("offline") }
	h.line = newLine(h.tr, ownJID)
	h.tr.lines = append(h.tr.lines, h.line)
	h.line.cli = h.cli
	h.cli.handlers = append(h.cli.handlers, func(evt any) bool { return h.line.handle(h.cli, evt) })
	if err := h.line.loadRecord(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) sleeps() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.slept...)
}
