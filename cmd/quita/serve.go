package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/clock"
	"github.com/quitabot/quita/bot/engine"
	"github.com/quitabot/quita/bot/nlu"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/reminders"
	"github.com/quitabot/quita/bot/retention"
	"github.com/quitabot/quita/bot/transport/cloudapi"
	"github.com/quitabot/quita/bot/transport/sim"
	"github.com/quitabot/quita/bot/transport/whatsapp"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/coord"
	"github.com/quitabot/quita/web"
	"github.com/quitabot/quita/webhooks"
)

// realClock is the production clock; the simulator is off, so nothing may
// move it.
type realClock struct{ clock.Real }

func (realClock) Set(time.Time) error {
	return errors.New("clock: the clock can only be moved when the simulator is on")
}

// service is everything serve wires together.
type service struct {
	cfg        *config
	policy     policy.Policy
	store      *store.Store
	coord      bot.Coordinator
	clock      web.SettableClock
	engine     *engine.Engine
	sender     *engine.Sender
	dispatcher *webhooks.Dispatcher // nil without QUITA_BILLING_WEBHOOK_URL
	reminders  *reminders.Runner
	retention  *retention.Job
	metrics    *web.Metrics
	log        *slog.Logger
	links      *links
	cloud      *cloudapi.Transport // nil unless QUITA_CLOUDAPI_* is set
	whatsapp   *whatsapp.Transport // nil with QUITA_WHATSAPP=off
	terminal   io.Writer           // where the pairing QR is printed
	listener   net.Listener        // bound by start, served by listenAndServe
	catalog    *locales.Catalog
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfig("serve", args, getenv, stderr, true)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve: unexpected argument %q", rest[0])
	}
	svc, err := start(ctx, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	defer svc.close()
	return svc.listenAndServe(ctx, stdout)
}

// listen binds the HTTP address. start calls it after the checks that
// read nothing but files and before the first write, so a port that is
// taken (or that the kernel refuses) stops start-up before migrations run
// or one-time secrets are generated and printed to no avail.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("QUITA_ADDR: cannot listen on %s: %v", addr, err)
	}
	return ln, nil
}

// start opens and wires every part, but serves nothing yet.
func start(ctx context.Context, cfg *config, stdout, stderr io.Writer) (_ *service, err error) {
	pol, found, err := policy.Load(cfg.PolicyPath)
	if err != nil {
		return nil, err
	}
	if !found && cfg.policyExplicit {
		// A mistyped path must not start collecting under the demo
		// creditor's name (CDC art. 42-A).
		return nil, fmt.Errorf("QUITA_CONFIG: policy file %s does not exist", cfg.PolicyPath)
	}
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	coord.SetLibraryLogger(log)
	if !found {
		log.Info("using the built-in policy", "path", cfg.PolicyPath)
	}
	if !found && cfg.Demo && pol.Company.Name == policy.DemoCompanyName {
		// The demo creditor shows how a real one is named (CDC art. 42-A)
		// and has the Pix key its demo invoices' codes were made with, so
		// an overdue demo invoice gets a code for the updated amount.
		pol.Company.Document = policy.DemoCompanyDocument
		pol.Pix = policy.Pix{Key: demoPixKey, MerchantCity: demoPixCity}
	}
	if err := requireDocument(pol, cfg); err != nil {
		return nil, err
	}
	// Everything that can be checked without writing is checked first: the
	// policy above, the catalogs here, then the listen address and both
	// connections. Only then do migrations run and secrets get generated
	// and printed, so a mistake never leaves a half-started service behind.
	catalog, err := locales.Load()
	if err != nil {
		return nil, err
	}
	// A cadence step whose text is missing would silently skip debtors.
	for _, key := range pol.MessageKeys() {
		for _, loc := range locales.Supported {
			if !catalog.Has(loc, key) {
				return nil, fmt.Errorf("QUITA_CONFIG: reminders: message %q is missing from the %s catalog", key, loc)
			}
		}
	}
	classifier, err := nlu.New(locales.NLUFiles)
	if err != nil {
		return nil, err
	}
	svc := &service{cfg: cfg, policy: pol, log: log, terminal: stdout, catalog: catalog}
	defer func() {
		if err != nil {
			svc.close()
		}
	}()
	if svc.listener, err = listen(cfg.Addr); err != nil {
		return nil, err
	}
	// Redis first: opening SQLite creates the database file.
	if svc.coord, err = coord.Open(ctx, cfg.RedisURL); err != nil {
		return nil, fmt.Errorf("QUITA_REDIS_URL: %w", err)
	}
	if svc.store, err = store.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	svc.store.Location = cfg.Timezone
	applied, err := svc.store.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("database migrated", "applied", strings.Join(applied, ","))
	}
	if err := ensureSecrets(ctx, cfg, svc.store, stdout); err != nil {
		return nil, err
	}
	if cfg.Simulator {
		svc.clock = clock.NewOffset()
	} else {
		svc.clock = realClock{}
	}
	ids := bot.NewIDs()
	metrics := web.NewMetrics(&web.Gauges{OutboxCounts: svc.store.OutboxCounts})
	svc.metrics = metrics
	if cfg.BillingWebhookURL != "" {
		secret, err := webhooks.ParseSecret(cfg.BillingWebhookSecret)
		if err != nil {
			return nil, fmt.Errorf("QUITA_BILLING_WEBHOOK_SECRET: %w (it is required with QUITA_BILLING_WEBHOOK_URL)", err)
		}
		svc.dispatcher = webhooks.NewDispatcher(svc.store, cfg.BillingWebhookURL, secret, svc.clock, nil, log,
			web.NewDeliveryMetrics(metrics.Registry))
	} else {
		log.Info("QUITA_BILLING_WEBHOOK_URL is not set: events are kept in the outbox until it is")
	}
	// The preferred transport comes first: it is where a debtor without a
	// conversation is first contacted. With the simulator on (development,
	// demos, tests) that is the simulator, so nothing proactive leaves the
	// machine; in production the Cloud API (the lawful path for cold
	// reminders), then the linked WhatsApp number.
	svc.links = newLinks(log)
	go svc.links.record(svc.store, ids)
	sk := &sink{links: svc.links}
	var transports []bot.Transport
	if cfg.Simulator {
		transports = append(transports, sim.New(svc.store, svc.clock, ids))
	}
	if svc.cloud, err = svc.newCloud(sk); err != nil {
		return nil, err
	}
	if svc.cloud != nil {
		transports = append(transports, svc.cloud)
		svc.links.sources = append(svc.links.sources, svc.cloud.Links)
	}
	if err := svc.newWhatsApp(ctx, sk, &transports); err != nil {
		return nil, err
	}
	transportNames := make([]string, len(transports))
	for i, t := range transports {
		transportNames[i] = t.Name()
	}
	svc.sender = engine.NewSender(svc.store, svc.clock, log, metrics, transports...)
	// A reminder a transport defers (a daily cap) still goes out only in
	// the contact windows.
	svc.sender.ProactiveWindow = func(t time.Time) time.Time { return pol.NextAllowed(t.In(cfg.Timezone)) }
	svc.engine, err = engine.New(engine.Config{
		Store: svc.store, Classifier: classifier, Catalog: catalog, Policy: pol, Clock: svc.clock, IDs: ids,
		Coord: svc.coord, Location: cfg.Timezone, DefaultLocale: cfg.Locale, Logger: log, Observer: metrics, Transports: transportNames,
		QRCode: func(payload string) ([]byte, error) { return qrcode.Encode(payload, qrcode.Medium, 512) },
		Committed: func([]string) {
			svc.sender.Wake()
			if svc.dispatcher != nil {
				svc.dispatcher.Wake()
			}
		},
	})
	if err != nil {
		return nil, err
	}
	sk.engine.Store(svc.engine)
	metricsWithEngine(metrics, svc.engine)
	metrics.RegisterLinks(svc.links.Links)
	svc.reminders, err = reminders.New(reminders.Config{Store: svc.store, Engine: svc.engine, Policy: pol,
		Location: cfg.Timezone, Observer: web.NewReminderMetrics(metrics.Registry), Logger: log})
	if err != nil {
		return nil, err
	}
	svc.retention = retention.New(retention.Config{Store: svc.store, Policy: pol, IDs: ids,
		Observe: web.NewRetentionMetrics(metrics.Registry).Observe, Logger: log})
	if cfg.Demo {
		if err := loadDemo(ctx, svc.store, svc.clock.Now(), cfg.Timezone); err != nil {
			return nil, err
		}
	}
	return svc, nil
}

// requireDocument refuses to collect over a real WhatsApp number without
// the creditor's CNPJ or CPF, which every first contact must carry (CDC art.
// 42-A; README "Debtor rights"). The simulator alone may run without it.
func requireDocument(pol policy.Policy, cfg *config) error {
	if pol.Company.Document != "" || !cfg.WhatsApp && !cfg.Cloud.enabled() {
		return nil
	}
	return fmt.Errorf("policy: company.document: required when a WhatsApp transport is on (QUITA_WHATSAPP or QUITA_CLOUDAPI_*); set the creditor's CNPJ or CPF in %s, or QUITA_WHATSAPP=off to run the simulator alone", cfg.PolicyPath)
}

// metricsWithEngine is a seam: the active-conversation gauge needs the
// engine, which needs the metrics as its observer.
func metricsWithEngine(m *web.Metrics, e *engine.Engine) { m.RegisterActive(e.ActiveConversations) }

// listenAndServe serves until ctx ends, then shuts down gracefully:
// in-flight requests finish, queued conversation work drains, the sender
// stops after its current message.
func (s *service) listenAndServe(ctx context.Context, stdout io.Writer) error {
	secrets, err := parseSecrets(s.cfg.WebhookSecret)
	if err != nil {
		return fmt.Errorf("QUITA_WEBHOOK_SECRET: %v", err)
	}
	verifier := &webhooks.Verifier{Secrets: secrets, Tolerance: webhooks.DefaultTolerance, Now: time.Now}
	// Moving the simulator clock runs a reminder pass, then delivers.
	// A new service day also runs the retention job (LGPD).
	runDue := []web.DueRunner{s.releaseIdle, reminders.DueRunner(s.reminders, s.clock, s.sender.RunDue),
		retention.DueRunner(s.retention, s.clock, s.cfg.Timezone)}
	if s.dispatcher != nil {
		runDue = append(runDue, func(ctx context.Context) ([]bot.OutboundMessage, error) {
			_, err := s.dispatcher.RunDue(ctx)
			return nil, err
		})
	}
	deps := web.Deps{
		WebhookVerifier: verifier,
		Store:           s.store, Engine: s.engine, Sender: s.sender, Coord: s.coord, Clock: s.clock, Policy: s.policy,
		Location: s.cfg.Timezone, APIToken: s.cfg.APIToken, Simulator: s.cfg.Simulator,
		RunDue:  runDue,
		Debtors: func(ctx context.Context) []web.Debtor { return demoDebtors(ctx, s.store) },
		Metrics: s.metrics, Logger: s.log, Version: version,
		Agents: s.engine, Console: consoleDeps(s.cfg, s.catalog),
		Limits: &s.cfg.Limits,
	}
	if len(s.links.sources) > 0 {
		deps.Links = s.links
	}
	if s.cloud != nil {
		deps.Cloud = s.cloud
	}
	app, err := web.New(deps)
	if err != nil {
		return err
	}
	ln := s.listener
	s.listener = nil // app.Listener owns it from here and closes it on shutdown
	s.printWelcome(ctx, stdout, ln.Addr().String())

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	workers.Add(2)
	go func() { defer workers.Done(); s.sender.Run(workCtx) }()
	if s.dispatcher != nil {
		workers.Add(1)
		go func() { defer workers.Done(); s.dispatcher.Run(workCtx) }()
	}
	go func() { defer workers.Done(); s.recoverLoop(workCtx) }()
	if s.whatsapp != nil {
		// Connecting never blocks serving: without network the link
		// reports its state and retries with backoff.
		s.whatsapp.Start(workCtx)
	}
	// A reminder pass a minute, one instance at a time (coordinator lock).
	workers.Add(1)
	go func() { defer workers.Done(); s.reminders.Loop(workCtx, s.clock, s.coord, time.Minute) }()
	// The retention job once a service day, one instance at a time.
	workers.Add(1)
	go func() { defer workers.Done(); s.retention.Loop(workCtx, s.clock, s.coord, s.cfg.Timezone, time.Minute) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- app.Listener(web.LimitListener(ln, s.cfg.Limits)) }()
	select {
	case err := <-serveErr:
		stopWork()
		workers.Wait()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := app.ShutdownWithContext(shutdownCtx); err != nil {
		s.log.Error("http shutdown", "err", err)
	}
	if err := s.engine.Close(shutdownCtx); err != nil {
		s.log.Error("engine drain", "err", err)
	}
	stopWork()
	workers.Wait()
	s.log.Info("stopped")
	return nil
}

// recoverLoop replays stored but unprocessed messages and events: all of
// them at start (a crash between acknowledging and answering), then every
// minute those older than a minute (a failure while processing), so
// nothing stored is ever left unanswered.
func (s *service) recoverLoop(ctx context.Context) {
	pass := func(before time.Time) {
		if _, err := s.releaseIdle(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("auto-release of idle conversations failed", "err", err)
		}
		handled, failed, err := s.engine.Recover(ctx, before)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("replay of unprocessed messages failed", "err", err)
		case handled > 0 || failed > 0:
			s.log.Info("replayed unprocessed messages", "handled", handled, "failed", failed)
		}
	}
	pass(s.clock.Now())
	ticker := time.NewTicker(time.Minute)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			pass(s.clock.Now().Add(-time.Minute))
		}
	}
}

func (s *service) printWelcome(ctx context.Context, w io.Writer, addr string) {
	host := addr
	if h, port, err := net.SplitHostPort(addr); err == nil && (h == "::" || h == "0.0.0.0" || h == "") {
		host = "localhost:" + port
	}
	fmt.Fprintf(w, "quita %s listening on http://%s (database %s, coordination %s)\n", version, host,
		map[bool]string{true: "sqlite", false: "postgres"}[strings.HasPrefix(s.cfg.DatabaseURL, "sqlite")],
		map[bool]string{true: "in-process", false: "redis"}[s.cfg.RedisURL == ""])
	// The token is shown when it was just generated or for the demo, whose
	// point is a link that opens the chat; otherwise it stays out of logs.
	token := "<QUITA_API_TOKEN>"
	if s.cfg.tokenGenerated || s.cfg.Demo {
		token = s.cfg.APIToken
	}
	if s.cfg.Simulator {
		// The link carries a single-use code that works for a few minutes,
		// never the token: terminals, logs and browser history keep links.
		link := "http://" + host + "/sim  (sign in with QUITA_API_TOKEN, or from the console as an admin)"
		if s.cfg.tokenGenerated || s.cfg.Demo {
			code, err := web.NewSimSignInCode(ctx, s.store, s.cfg.APIToken, time.Now())
			if err != nil {
				s.log.Warn("could not make a sign-in link for /sim", "err", err)
			} else {
				link = fmt.Sprintf("http://%s/sim?code=%s  (works once, within %d minutes)", host, code, int(web.SimCodeTTL/time.Minute))
			}
		}
		fmt.Fprintf(w, "  chat as a debtor:  %s\n", link)
	}
	if s.cfg.Demo {
		fmt.Fprintf(w, "  demo debtors:      %s\n", strings.Join(demoPhones(), ", "))
		fmt.Fprintf(w, "  try the API:       curl -H 'Authorization: Bearer %s' http://%s/v1/conversations\n", token, host)
		if !s.cfg.WhatsApp {
			// Said once, so nobody waits for a pairing QR that will not come.
			fmt.Fprintf(w, "  WhatsApp:          off for the demo (QUITA_WHATSAPP=on links a number)\n")
		}
	}
	fmt.Fprintf(w, "  health:            http://%s/healthz  http://%s/readyz  http://%s/metrics\n", host, host, host)
}

func (s *service) close() {
	if s.listener != nil {
		s.listener.Close() // start failed after binding
	}
	if s.whatsapp != nil {
		s.whatsapp.Close()
	}
	if s.links != nil {
		s.links.close() // before the store: it writes the last changes
	}
	if s.coord != nil {
		s.coord.Close()
	}
	if s.store != nil {
		s.store.Close()
	}
}

// releaseIdle hands idle held conversations back to the bot (policy
// handoff.auto_release_idle_minutes); it runs with recovery every minute
// and when the simulator clock moves.
func (s *service) releaseIdle(ctx context.Context) ([]bot.OutboundMessage, error) {
	n, err := s.engine.ReleaseIdle(ctx)
	if n > 0 {
		s.log.Info("idle conversations handed back to the bot", "count", n)
	}
	return nil, err
}
