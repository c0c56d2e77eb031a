package whatsapp

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/quitabot/quita/bot"
)

// Name is the transport name of WhatsApp linked through whatsmeow.
const Name = "whatsapp"

// MediaFetcher loads the bytes of an outbound attachment (an invoice PDF, a
// Pix QR image) from a URL that may be relative to the service
// ("/v1/media/ID") or absolute. The composition root implements it from the
// store and an HTTP client. As with bot.Transport, an error worth retrying
// (a timeout, a 5xx) is wrapped with bot.Retryable; any other error fails
// the message for good.
type MediaFetcher interface {
	Fetch(ctx context.Context, url string) (data []byte, mime string, err error)
}

// Routes remembers which linked number each debtor talks with, so that with
// several numbers a debtor always hears from the same one. device is the
// linked number's JID without a device part ("5511999990000@s.whatsapp.net"),
// which survives re-linking the same number. store.Store implements it.
type Routes interface {
	// Route returns the device the debtor at phone (E.164) talks with, or
	// "" when none is recorded.
	Route(ctx context.Context, phone string) (device string, err error)
	// SetRoute records that the debtor at phone talks with device.
	SetRoute(ctx context.Context, phone, device string) error
}

// Pacing spreads a number's sends out so it looks like a person typing:
// unofficial clients get banned for bursts and cold outreach.
type Pacing struct {
	// MinDelay and MaxDelay bound the random gap between two sends of one
	// number (whatsapp.min_delay / max_delay).
	MinDelay, MaxDelay time.Duration
	// PerCharDelay is the typing time per character of text, shown with
	// "typing…" when Typing is set; MaxTyping caps it (default 8s) so a send
	// stays well inside the outbox lease.
	PerCharDelay time.Duration
	MaxTyping    time.Duration
	Typing       bool
	// DailyCap is the most proactive messages a number sends per day
	// (whatsapp.daily_cap); 0 means no cap. Replies are never capped.
	DailyCap int
	// WarmupDays and WarmupDailyCap ramp a newly linked number up: it may
	// send WarmupDailyCap proactive messages on its first day, growing
	// linearly to DailyCap on day WarmupDays (whatsapp.warmup_days /
	// warmup_start).
	WarmupDays     int
	WarmupDailyCap int
}

// Config is what the WhatsApp transport needs from the composition root.
type Config struct {
	// DB is the service's shared connection pool; whatsmeow's tables
	// (whatsmeow_*) and this package's quita_whatsapp_numbers live in it.
	DB *sql.DB
	// Dialect is "sqlite" or "postgres" (store.Dialect).
	Dialect string
	// Sink stores what arrives (the engine); required.
	Sink bot.Sink
	// Coord leases each number's connection across instances; nil means a
	// single instance and no leases.
	Coord bot.Coordinator
	// Clock drives message ages, caps, bans and the timelock (default: the
	// wall clock).
	Clock bot.Clock
	// Logger receives one line per link state change; whatsmeow's own logs
	// go to it at debug level. Nil discards.
	Logger *slog.Logger
	// Terminal receives the pairing QR as text; nil prints nothing.
	Terminal io.Writer
	// Media loads outbound attachments given by URL.
	Media MediaFetcher
	// Routes keeps debtors on their number; nil keeps routes in memory.
	Routes Routes
	Pacing Pacing
	// MaxReplyAge is the oldest inbound message still answered
	// (whatsapp.max_inbound_age, default 24h); older ones are history.
	MaxReplyAge time.Duration
	// PhoneOfflineAfter is how long the phone may go unseen before the link
	// reports phone_offline (default 3 days; WhatsApp unlinks companions
	// after about 14).
	PhoneOfflineAfter time.Duration
	// TimelockPause is how long first contacts pause after WhatsApp answers
	// a send with error 463 (default 24h): this whatsmeow version does not
	// tell the timelock's end.
	TimelockPause time.Duration
	// HistoryWindow limits history sync to recent messages (default 30
	// days), so linking a busy phone does not flood the inbox.
	HistoryWindow time.Duration
	// Location sets the day boundary of the daily caps (default UTC).
	Location *time.Location
	// DeviceName is shown under "Linked devices" on the phone.
	DeviceName string
	// MaxMediaBytes caps a downloaded inbound attachment (default 16 MiB);
	// a larger one is recorded without its bytes.
	MaxMediaBytes int64
}

// Defaults of the optional Config fields.
const (
	DefaultMaxReplyAge       = 24 * time.Hour
	DefaultPhoneOfflineAfter = 72 * time.Hour
	DefaultTimelockPause     = 24 * time.Hour
	DefaultHistoryWindow     = 30 * 24 * time.Hour
	DefaultMaxTyping         = 8 * time.Second
	DefaultMaxMediaBytes     = 16 << 20
)

func (c *Config) validate() error {
	switch {
	case c.DB == nil:
		return errors.New("whatsapp: config: DB is required")
	case c.Sink == nil:
		return errors.New("whatsapp: config: Sink is required")
	case c.Dialect != "sqlite" && c.Dialect != "postgres":
		return errors.New(`whatsapp: config: Dialect must be "sqlite" or "postgres"`)
	}
	if c.Clock == nil {
		c.Clock = wallClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Routes == nil {
		c.Routes = NewMemoryRoutes()
	}
	if c.MaxReplyAge <= 0 {
		c.MaxReplyAge = DefaultMaxReplyAge
	}
	if c.PhoneOfflineAfter <= 0 {
		c.PhoneOfflineAfter = DefaultPhoneOfflineAfter
	}
	if c.TimelockPause <= 0 {
		c.TimelockPause = DefaultTimelockPause
	}
	if c.HistoryWindow <= 0 {
		c.HistoryWindow = DefaultHistoryWindow
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.DeviceName == "" {
		c.DeviceName = "Quita"
	}
	if c.MaxMediaBytes <= 0 {
		c.MaxMediaBytes = DefaultMaxMediaBytes
	}
	if c.Pacing.MaxTyping <= 0 {
		c.Pacing.MaxTyping = DefaultMaxTyping
	}
	if c.Pacing.MaxDelay < c.Pacing.MinDelay {
		c.Pacing.MaxDelay = c.Pacing.MinDelay
	}
	return nil
}

// sqlstoreDialect maps Quita's dialect names to whatsmeow's.
func sqlstoreDialect(d string) string {
	if d == "postgres" {
		return "postgres"
	}
	return "sqlite3"
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// MemoryRoutes is a Routes kept in memory: for tests and for a single
// instance that does not need routes to survive a restart.
type MemoryRoutes struct {
	mu sync.Mutex
	m  map[string]string
}

// NewMemoryRoutes returns an empty MemoryRoutes.
func NewMemoryRoutes() *MemoryRoutes { return &MemoryRoutes{m: map[string]string{}} }

// Route implements Routes.
func (r *MemoryRoutes) Route(_ context.Context, phone string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[phone], nil
}

// SetRoute implements Routes.
func (r *MemoryRoutes) SetRoute(_ context.Context, phone, device string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[phone] = device
	return nil
}
