package web

import (
	"context"
	"html/template"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/store"
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
	Name    string
	Phone   string
	Summary string
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
	Logger    *slog.Logger
	Version   string
}

type server struct {
	Deps
	log       *slog.Logger
	templates *template.Template
}

// BodyLimit is the largest request body accepted (contract §4).
const BodyLimit = 1 << 20

// New builds the fiber app with every route.
func New(d Deps) (*fiber.App, error) {
	s := &server{Deps: d, log: d.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.Metrics == nil {
		s.Metrics = NewMetrics(nil)
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s.templates = tmpl
	app := fiber.New(fiber.Config{
		AppName:               "quita",
		BodyLimit:             BodyLimit,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		// Slow clients (slowloris) must not hold connections forever.
		ReadTimeout:  15 * time.Second,
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  90 * time.Second,
	})
	app.Use(recover.New())
	app.Use(s.observe)
	s.routes(app)
	return app, nil
}

func (s *server) routes(app *fiber.App) {
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", s.metrics)
	app.Get("/", func(c *fiber.Ctx) error { return c.Redirect("/sim", fiber.StatusSeeOther) })

	v1 := app.Group("/v1")
	read := v1.Group("", s.requireAuth(true))
	read.Get("/conversations", s.listConversations)
	read.Get("/conversations/:id", s.getConversation)
	read.Get("/conversations/:id/transcript", s.getTranscript)
	read.Get("/conversations/:id/transcript/verify", s.verifyTranscript)
	read.Get("/media/:id", s.getMedia)

	if s.Simulator {
		app.Get("/sim", s.simPage)
		sim := v1.Group("/sim", s.requireAuth(true))
		sim.Post("/inbound", s.simInbound)
		sim.Post("/clock", s.simClock)
		sim.Get("/outbox", s.simOutbox)
	}
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
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
