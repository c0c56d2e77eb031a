package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/phone"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/transport/cloudapi"
	"github.com/quitabot/quita/bot/transport/fetch"
	"github.com/quitabot/quita/bot/transport/whatsapp"
	"github.com/quitabot/quita/flows"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/web"
)

// links gathers the link states of every receiving transport for the
// console, /readyz and metrics, and logs each change once.
type links struct {
	log     *slog.Logger
	sources []func() []bot.LinkState
	pair    func(ctx context.Context, phone string) (string, error)
	// events carries changes to the writer that records them as system
	// events; Link must not block, so a full queue drops (and says so).
	events chan bot.LinkState
	done   chan struct{}
}

func newLinks(log *slog.Logger) *links {
	return &links{log: log, events: make(chan bot.LinkState, 256), done: make(chan struct{})}
}

// record writes link changes as system events until close.
func (l *links) record(st *store.Store, ids bot.IDs) {
	defer close(l.done)
	for ev := range l.events {
		source := ev.Transport
		if ev.Number != "" {
			source += " " + phone.Mask(ev.Number)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := st.RecordSystemEvent(ctx, store.SystemEvent{ID: ids.New("sev"), At: ev.Since, Source: source, Kind: ev.State, Detail: ev.Detail})
		cancel()
		if err != nil {
			l.log.Warn("link change not recorded", "err", err)
		}
	}
}

// close stops the writer after it recorded what was queued.
func (l *links) close() {
	close(l.events)
	<-l.done
}

// Link logs a link state change and queues it as a system event (the
// transports call it on changes only).
func (l *links) Link(st bot.LinkState) {
	if st.Since.IsZero() {
		st.Since = time.Now()
	}
	select {
	case l.events <- st:
	default:
		l.log.Warn("link change not recorded: too many at once", "transport", st.Transport, "state", st.State)
	}
	args := []any{"transport", st.Transport, "state", st.State, "detail", st.Detail}
	if st.Number != "" {
		args = append(args, "number", phone.Mask(st.Number))
	}
	if !st.Until.IsZero() {
		args = append(args, "until", st.Until.Format(time.RFC3339))
	}
	l.log.Info("transport link", args...)
}

// Links lists every transport connection's state.
func (l *links) Links() []bot.LinkState {
	var out []bot.LinkState
	for _, src := range l.sources {
		out = append(out, src()...)
	}
	return out
}

// PairPhone starts pairing a WhatsApp number by phone code.
func (l *links) PairPhone(ctx context.Context, number string) (string, error) {
	if l.pair == nil {
		return "", bot.Errorf(bot.CodeUnavailable, "WhatsApp linking is off (QUITA_WHATSAPP=off)")
	}
	return l.pair(ctx, number)
}

// sink hands what the transports hear to the engine. The transports are
// built before the engine (the sender needs them), so the engine is set
// once it exists; until then a message is refused and its transport
// redelivers it.
type sink struct {
	*links
	engine atomic.Pointer[engine.Engine]
}

var errStarting = bot.Errorf(bot.CodeUnavailable, "the service is starting; deliver again shortly")

// Receive implements bot.Sink.
func (s *sink) Receive(ctx context.Context, msg bot.InboundMessage) error {
	e := s.engine.Load()
	if e == nil {
		return errStarting
	}
	return e.Receive(ctx, msg)
}

// Report implements bot.Sink.
func (s *sink) Report(ctx context.Context, r bot.DeliveryReport) error {
	e := s.engine.Load()
	if e == nil {
		return errStarting
	}
	return e.Report(ctx, r)
}

// cloudTemplates maps the policy's templates to the Cloud API's.
func cloudTemplates(p policy.Policy) map[string]cloudapi.Template {
	out := make(map[string]cloudapi.Template, len(p.WhatsApp.Templates))
	for key, t := range p.WhatsApp.Templates {
		out[key] = cloudapi.Template{Name: t.Name, Language: t.Language, Params: t.Params, HeaderMedia: t.HeaderMedia}
	}
	return out
}

// newCloud builds the Cloud API transport when it is configured.
func (svc *service) newCloud(sk *sink) (*cloudapi.Transport, error) {
	c := svc.cfg.Cloud
	if !c.enabled() {
		return nil, nil
	}
	t, err := cloudapi.New(cloudapi.Config{
		PhoneNumberID: c.PhoneNumberID, AccessToken: c.Token, AppSecret: c.AppSecret, VerifyToken: c.VerifyToken,
		BaseURL: c.BaseURL, APIVersion: c.APIVersion, PublicBaseURL: svc.cfg.PublicURL, Templates: cloudTemplates(svc.policy),
		SignPath:    func(path string) string { return web.SignMediaPath(svc.cfg.APIToken, path, time.Now()) },
		MaxReplyAge: svc.policy.WhatsApp.MaxInboundAge, Clock: svc.clock, Sink: sk, Logger: svc.log,
		Window: cloudapi.WindowFunc(func(ctx context.Context, p string) (time.Time, error) {
			return svc.store.LastInbound(ctx, cloudapi.Name, p)
		}),
	})
	if err != nil {
		return nil, errors.New("QUITA_CLOUDAPI: " + err.Error())
	}
	var missing []string
	for _, key := range append(svc.policy.MessageKeys(), flows.ProactiveKeys...) {
		if _, ok := svc.policy.WhatsApp.Templates[key]; !ok {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		// Not fatal: answers inside the 24-hour window still go out.
		svc.log.Warn("cloud api: these proactive messages have no approved template (whatsapp.templates) and will not reach debtors outside the 24-hour window",
			"keys", strings.Join(missing, ","))
	}
	return t, nil
}

// newWhatsApp builds the whatsmeow transport unless QUITA_WHATSAPP=off.
// It only connects when started, after the engine exists.
func (svc *service) newWhatsApp(ctx context.Context, sk *sink, transports *[]bot.Transport) error {
	if !svc.cfg.WhatsApp {
		return nil
	}
	w := svc.policy.WhatsApp
	t, err := whatsapp.New(ctx, whatsapp.Config{
		DB: svc.store.DB, Dialect: string(svc.store.Dialect), Sink: sk, Coord: svc.coord, Clock: svc.clock,
		Logger: svc.log, Terminal: svc.terminal, Media: mediaFetcher{st: svc.store, remote: fetch.New(fetch.Options{})}, Routes: svc.store,
		Pacing: whatsapp.Pacing{MinDelay: w.MinDelay, MaxDelay: w.MaxDelay, PerCharDelay: 40 * time.Millisecond, Typing: w.Typing,
			DailyCap: w.DailyCap, WarmupDays: w.WarmupDays, WarmupDailyCap: w.WarmupStart},
		MaxReplyAge: w.MaxInboundAge, Location: svc.cfg.Timezone, DeviceName: "Quita",
	})
	if err != nil {
		return fmt.Errorf("QUITA_WHATSAPP: %w", err)
	}
	svc.whatsapp = t
	*transports = append(*transports, t)
	svc.links.sources = append(svc.links.sources, t.Links)
	svc.links.pair = t.PairPhone
	return nil
}

// mediaFetcher loads an outbound attachment for the WhatsApp transport:
// stored media by its /v1/media/ID path, anything else (an invoice's
// pdf_url) through a fetcher that refuses internal addresses, since the
// URL comes from whoever can create invoices and the result goes to a
// debtor.
type mediaFetcher struct {
	st     *store.Store
	remote *fetch.Fetcher
}

// Fetch implements whatsapp.MediaFetcher.
func (f mediaFetcher) Fetch(ctx context.Context, url string) ([]byte, string, error) {
	if id, ok := strings.CutPrefix(url, "/v1/media/"); ok {
		m, err := f.st.MediaFile(ctx, id)
		if bot.ErrorCodeOf(err) == bot.CodeNotFound {
			return nil, "", err
		}
		if err != nil { // the database is unreachable: worth another try
			return nil, "", bot.Retryable(err)
		}
		return m.Data, m.MIME, nil
	}
	// Only invoices point outside, and an invoice's document is a PDF.
	data, err := f.remote.PDF(ctx, url)
	if err != nil {
		return nil, "", fmt.Errorf("media: %w", err)
	}
	return data, "application/pdf", nil
}
