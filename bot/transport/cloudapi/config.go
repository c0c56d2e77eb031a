package cloudapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/phone"
)

// Name is the transport name of the Cloud API in inbox keys, conversations
// and delivery reports.
const Name = "cloudapi"

// Defaults applied by New to empty Config fields.
const (
	DefaultBaseURL = "https://graph.facebook.com"
	// DefaultAPIVersion is the Graph API version Quita's requests and
	// webhook parsing are checked against (see graphVersions for its dates).
	DefaultAPIVersion  = "v26.0"
	DefaultMaxReplyAge = 24 * time.Hour
	// DefaultMaxMediaBytes (WhatsApp's limit for audio and video) bounds
	// any inbound attachment, so a debtor cannot make the service hold a
	// 100 MB document in memory.
	DefaultMaxMediaBytes = 16 << 20
)

// CustomerServiceWindow is the customer-service window: after a debtor's last message a
// business may send free-form messages for 24 hours; after that only
// approved templates.
const CustomerServiceWindow = 24 * time.Hour

// windowMargin closes the window a little early: a message queued a second
// before the deadline would otherwise reach Meta after it and fail with
// 131047, while a template is always accepted.
const windowMargin = time.Minute

// WindowStore tells when a debtor last wrote to the business number. The
// composition root implements it from the inbox.
type WindowStore interface {
	// LastInbound returns the time of the last message received from phone
	// (E.164) over this transport; the zero time means never.
	LastInbound(ctx context.Context, phone string) (time.Time, error)
}

// WindowFunc adapts a function to WindowStore, so the composition root
// can pass the inbox's query with the transport name bound.
type WindowFunc func(ctx context.Context, phone string) (time.Time, error)

// LastInbound implements WindowStore.
func (f WindowFunc) LastInbound(ctx context.Context, phone string) (time.Time, error) {
	return f(ctx, phone)
}

// Template is an approved WhatsApp message template that stands in for a
// catalog message outside the 24-hour window.
type Template struct {
	// Name is the template's name in WhatsApp Manager.
	Name string `json:"name"`
	// Language is the template's language code ("pt_BR"); empty derives
	// it from the message's locale (pt-BR → pt_BR, en → en_US, es → es).
	Language string `json:"language,omitempty"`
	// Params names the message's Params in the order of the template's
	// body placeholders {{1}}, {{2}}, …
	Params []string `json:"params,omitempty"`
	// HeaderMedia is true when the template was approved with a document
	// or image header: the message's Document is sent there.
	HeaderMedia bool `json:"header_media,omitempty"`
}

// Config is what the transport needs. PhoneNumberID, AccessToken,
// AppSecret, VerifyToken, Sink and Window are required.
type Config struct {
	// PhoneNumberID is the Graph API id of the business phone number
	// (not the number itself).
	PhoneNumberID string
	// AccessToken is a System User token with whatsapp_business_messaging.
	AccessToken string
	// AppSecret signs the webhooks Meta sends (X-Hub-Signature-256).
	AppSecret string
	// VerifyToken is the token typed in the app's webhook settings, echoed
	// back by Meta's subscription check.
	VerifyToken string
	// Number is the business number in E.164, shown in link state; when
	// empty it is learnt from the first webhook.
	Number string
	// BaseURL and APIVersion ("v26.0", default DefaultAPIVersion; the
	// operator's QUITA_CLOUDAPI_API_VERSION) address the Graph API; tests
	// point BaseURL at a fake server.
	BaseURL    string
	APIVersion string
	// PublicBaseURL makes relative media URLs ("/v1/media/ID") absolute so
	// Meta can fetch them; without it such media is left out.
	PublicBaseURL string
	// SignPath, when set, turns a relative media path into one Meta may
	// fetch without credentials (a signed, expiring link).
	SignPath func(path string) string
	// Templates maps catalog message keys ("reminder.overdue") to the
	// approved templates sent outside the 24-hour window.
	Templates map[string]Template
	// MaxReplyAge is how old an inbound message may be and still be
	// answered; older ones are recorded as history. Default 24 h.
	MaxReplyAge time.Duration
	// MaxMediaBytes bounds inbound media downloads. Default 16 MiB.
	MaxMediaBytes int64
	HTTPClient    *http.Client // default: 30 s timeout
	Clock         bot.Clock    // default: the wall clock
	// Sink receives inbound messages, statuses and link changes.
	Sink bot.Sink
	// Window tells whether the 24-hour window is open for a debtor.
	Window WindowStore
	Logger *slog.Logger // default: discard
}

// Transport is the Cloud API transport for one business phone number. It
// implements bot.Transport and the web package's CloudWebhook and link
// listing.
type Transport struct {
	cfg     Config
	log     *slog.Logger
	version string // "/v26.0", the path prefix of every Graph call

	mu        sync.Mutex
	link      bot.LinkState
	sent      map[string]string // outbox id → wamid, so a resend is not a second message
	sentOrder []string
}

// sentMemory bounds the resend guard: a resend happens within a lease
// (minutes), so only recent sends need remembering.
const sentMemory = 4096

var templateName = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)

// New checks cfg, fills its defaults and returns the transport. Every
// problem is reported in one error.
func New(cfg Config) (*Transport, error) {
	var problems []string
	required := []struct{ name, value string }{
		{"PhoneNumberID", cfg.PhoneNumberID}, {"AccessToken", cfg.AccessToken},
		{"AppSecret", cfg.AppSecret}, {"VerifyToken", cfg.VerifyToken},
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			problems = append(problems, r.name+" is required")
		}
	}
	if cfg.PhoneNumberID != "" && strings.Trim(cfg.PhoneNumberID, "0123456789") != "" {
		problems = append(problems, "PhoneNumberID must be the numeric Graph API id of the phone number")
	}
	if cfg.Sink == nil {
		problems = append(problems, "Sink is required")
	}
	if cfg.Window == nil {
		problems = append(problems, "Window is required (without it every message would need a template)")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		problems = append(problems, "BaseURL must be an http(s) URL")
	}
	if cfg.PublicBaseURL != "" {
		if u, err := url.Parse(cfg.PublicBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems = append(problems, "PublicBaseURL must be an http(s) URL")
		}
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if !versionPattern.MatchString(cfg.APIVersion) {
		problems = append(problems, fmt.Sprintf("APIVersion %q must look like %s", cfg.APIVersion, DefaultAPIVersion))
	}
	if cfg.Number != "" {
		n, err := phone.Normalize(cfg.Number, "")
		if err != nil {
			problems = append(problems, "Number: "+err.Error())
		}
		cfg.Number = n
	}
	for key, tpl := range cfg.Templates {
		if !templateName.MatchString(tpl.Name) {
			problems = append(problems, fmt.Sprintf("template for %q: name %q must be lowercase letters, digits and _", key, tpl.Name))
		}
		for _, p := range tpl.Params {
			if p == "" {
				problems = append(problems, fmt.Sprintf("template for %q: a parameter name is empty", key))
			}
		}
	}
	if len(problems) > 0 {
		return nil, errors.New("cloudapi: config: " + strings.Join(problems, "; "))
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.PublicBaseURL = strings.TrimRight(cfg.PublicBaseURL, "/")
	if cfg.MaxReplyAge <= 0 {
		cfg.MaxReplyAge = DefaultMaxReplyAge
	}
	if cfg.MaxMediaBytes <= 0 {
		cfg.MaxMediaBytes = DefaultMaxMediaBytes
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Clock == nil {
		cfg.Clock = wallClock{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Transport{cfg: cfg, log: log.With("transport", Name), version: "/" + cfg.APIVersion,
		sent: map[string]string{}}
	t.link = bot.LinkState{Transport: Name, Number: cfg.Number, State: bot.LinkConnecting,
		Detail: "no Graph API call or webhook yet", Since: cfg.Clock.Now()}
	// Meta turns a version off on a fixed date; saying so at every start
	// gives an operator weeks to move instead of an outage to discover.
	if w := VersionWarning(cfg.APIVersion, cfg.Clock.Now()); w != "" {
		t.log.Warn("cloud api version needs attention", "api_version", cfg.APIVersion, "detail", w)
	}
	return t, nil
}

// Name implements bot.Transport.
func (t *Transport) Name() string { return Name }

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// templateLanguage maps a Quita locale to the language code WhatsApp
// templates are registered under. An empty locale is the service default.
func templateLanguage(locale string) string {
	switch strings.ToLower(locale) {
	case "", "pt-br", "pt_br", "pt":
		return "pt_BR"
	case "en", "en-us", "en_us":
		return "en_US"
	case "es":
		return "es"
	}
	return strings.ReplaceAll(locale, "-", "_")
}

// listLabel is the label of the button that opens a list (at most 20
// characters), in the debtor's language.
func listLabel(locale string) string {
	switch templateLanguage(locale) {
	case "pt_BR":
		return "Ver opções"
	case "es":
		return "Ver opciones"
	}
	return "See options"
}
