package web

import (
	"context"
	"html/template"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/webhooks"
)

// SettableClock is the service clock; the simulator may move it forward.
type SettableClock interface {
	Now() time.Time
	Set(time.Time) error
}

// DueRunner runs work that came due when the simulator moves the clock
// (outbox retries now; reminders and follow-ups as they arrive) and
// returns the messages it sent.
type DueRunner func(ctx context.Context) ([]bot.OutboundMessage, error)

// Debtor is a demo debtor listed on the simulator page.
type Debtor struct {
	Name  string
	Phone string
	// Open is how many invoices are open, Total what they add up to
	// (formatted in the debtor's locale), Locale the debtor's language:
	// the page words the summary in its own language.
	Open   int
	Total  string
	Locale string
}

// Deps are the web layer's collaborators, wired by cmd/quita.
type Deps struct {
	Store     *store.Store
	Engine    *engine.Engine
	Sender    *engine.Sender
	Coord     bot.Coordinator
	Clock     SettableClock
	Policy    policy.Policy
	Location  *time.Location
	APIToken  string
	Simulator bool
	RunDue    []DueRunner
	Debtors   func(ctx context.Context) []Debtor
	Metrics   *Metrics
	// WebhookVerifier checks inbound billing webhooks (QUITA_WEBHOOK_SECRET).
	WebhookVerifier *webhooks.Verifier
	Logger          *slog.Logger
	Version         string
	// Agents carries out agent actions; the engine.
	Agents AgentActions
	// Links reports WhatsApp link health and pairs numbers; nil without
	// WhatsApp.
	Links Linker
	// Cloud is the WhatsApp Cloud API webhook; nil when not configured.
	Cloud CloudWebhook
	// Console holds what the agent console needs beyond the API's deps.
	Console ConsoleDeps
	// Limits bound connections, timeouts and live streams; nil means
	// DefaultLimits.
	Limits *Limits
}

type server struct {
	Deps
	log       *slog.Logger
	templates *template.Template
	limits    Limits
	// hub carries the console's live updates; kept here so tests can see
	// how many streams are open.
	hub *convHub
}

// BodyLimit is the largest request body accepted (contract §4).
const BodyLimit = 1 << 20

// New builds the fiber app with every route.
func New(d Deps) (*fiber.App, error) {
	app, _, err := newApp(d)
	return app, err
}

// newApp is New, also returning the server for tests to inspect.
func newApp(d Deps) (*fiber.App, *server, error) {
	s := &server{Deps: d, log: d.Logger, limits: DefaultLimits()}
	if d.Limits != nil {
		s.limits = *d.Limits
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.hub = newConvHub(d.Coord, s.log, s.limits)
	if s.Metrics == nil {
		s.Metrics = NewMetrics(nil)
	}
	if s.Location == nil {
		s.Location = time.UTC
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, nil, err
	}
	s.templates = tmpl
	app := fiber.New(fiber.Config{
		AppName:               "quita",
		BodyLimit:             BodyLimit,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		// Bodies are streamed: without this fasthttp allocates the whole
		// declared Content-Length (or chunk size) as soon as the headers
		// arrive, before any route or authentication runs, so anonymous
		// connections that only announce 1 MiB bodies could take
		// gigabytes. guardBody and readBody bound what is then read.
		StreamRequestBody: true,
		// Otherwise fasthttp would read a whole multipart body before the
		// handler; no route takes multipart.
		DisablePreParseMultipartForm: true,
		// ReduceMemoryUsage must stay off: with streamed bodies fasthttp
		// would hand a connection's read buffer back to its pool while the
		// body stream still reads from it.
		// A backstop above LimitListener's cap, which answers in JSON.
		Concurrency:    s.limits.MaxConns + 64,
		ReadBufferSize: s.limits.MaxHeaderBytes,
		// Slow clients (slowloris) must not hold connections forever.
		ReadTimeout:  s.limits.ReadTimeout,
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  s.limits.IdleTimeout,
	})
	// fiber has no setting for it; the fasthttp server is built by now and
	// only starts serving in app.Listener. (MaxConnsPerIP is LimitListener's.)
	app.Server().HeaderReceived = markOversized
	app.Use(recover.New())
	app.Use(secureHeaders)
	app.Use(s.observe)
	app.Use(guardBody)
	app.Use(refuseEncodedBodies)
	s.routes(app)
	return app, s, nil
}

func (s *server) routes(app *fiber.App) {
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", s.metrics)
	app.Get("/", func(c *fiber.Ctx) error { return c.Redirect("/sim", fiber.StatusSeeOther) })

	// Auth is per route, not per group: fiber runs a group's middleware for
	// every path under its prefix, which would mix the rules of the groups.
	bearer := s.requireAuth(false)
	page := s.requireAuth(true) // bearer, or the simulator page's session
	v1 := app.Group("/v1")
	// Signed by the billing system (Standard Webhooks), not by bearer token.
	v1.Post("/webhooks/billing", withBody, s.billingWebhook)
	// Signed by Meta (X-Hub-Signature-256), when the Cloud API is configured.
	s.cloudRoutes(v1)
	v1.Get("/webhooks/received", bearer, s.receivedWebhooks)
	v1.Get("/invoices", bearer, s.listInvoices)
	v1.Post("/invoices", bearer, s.createInvoice)
	v1.Get("/invoices/:id", bearer, s.getInvoice)
	v1.Get("/customers/:id/data", bearer, s.customerData)
	v1.Post("/customers/:id/erase", bearer, s.eraseCustomer)
	v1.Get("/deliveries", bearer, s.listDeliveries)
	v1.Get("/deliveries/:id", bearer, s.getDelivery)
	v1.Post("/deliveries/:id/retry", bearer, s.retryDelivery)
	v1.Get("/reports/collections", bearer, s.collectionReport)
	v1.Get("/conversations", page, s.listConversations)
	v1.Get("/conversations/:id", page, s.getConversation)
	v1.Get("/conversations/:id/transcript", page, s.getTranscript)
	v1.Get("/conversations/:id/transcript/verify", page, s.verifyTranscript)
	v1.Get("/media/:id", s.mediaAccess(page), s.getMedia)
	s.agentRoutes(v1, page)
	s.consoleRoutes(app)
	if s.Simulator {
		app.Get("/sim", s.simPage)
		app.Post("/sim/login", s.simSignIn)
		v1.Post("/sim/inbound", page, s.simInbound)
		v1.Post("/sim/clock", page, s.simClock)
		v1.Get("/sim/outbox", page, s.simOutbox)
	}
	// Unknown /v1 paths need the token too, so the API's shape is not
	// discoverable anonymously.
	v1.Use(bearer)
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// refuseEncodedBodies answers 415 to a request body sent compressed.
// fiber's Body() inflates gzip, deflate and brotli bodies before any
// handler can check a signature or a token, so a small compressed body
// could make the service allocate gigabytes for an anonymous caller; and
// no client of Quita's API needs to compress.
func refuseEncodedBodies(c *fiber.Ctx) error {
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		return bot.Errorf(bot.CodeUnsupported, "request bodies must not be compressed (Content-Encoding: %s)", enc)
	}
	return c.Next()
}

// observe counts and times every request by route.
func (s *server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		// The error handler runs after this middleware returns; predict
		// its status so the metric matches what the client sees.
		status = statusForError(err)
	}
	s.Metrics.Request(c.Method(), routeOf(c), status, time.Since(start))
	return err
}

func statusForError(err error) int {
	if be, ok := err.(*bot.Error); ok {
		if st := statusOf[be.Code]; st != 0 {
			return st
		}
	}
	if fe, ok := err.(*fiber.Error); ok {
		return fe.Code
	}
	return fiber.StatusInternalServerError
}
