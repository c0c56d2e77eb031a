// Package loadgen drives a running Quita over HTTP the way many debtors and
// a billing system would: simulator messages (POST /v1/sim/inbound) and
// signed billing webhooks (POST /v1/webhooks/billing). It measures
// throughput and latency with bounded work and bounded memory, and it only
// talks to loopback addresses, so it cannot be pointed at someone else's
// service. cmd/quitabench is its command line; the end-to-end tests of
// cmd/quita run it against a real service.
package loadgen

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Modes of a run.
const (
	// ModeInbound posts debtor messages to the simulator; each answer
	// carries the replies, so its latency is message → reply persisted and
	// queued (and, through the simulator transport, delivered).
	ModeInbound = "inbound"
	// ModeWebhook posts signed invoice.created/invoice.updated webhooks.
	ModeWebhook = "webhook"
	// ModeMixed sends one webhook for every four messages.
	ModeMixed = "mixed"
)

// Limits keep a run bounded whatever the flags say.
const (
	MaxRequests    = 10_000_000
	MaxDuration    = time.Hour
	MaxConcurrency = 1024
	MaxDebtors     = 10_000_000
)

// Config describes one run. The zero values of Concurrency, Debtors,
// Requests and Duration mean 32, 1,000, 10,000 and one minute.
type Config struct {
	// URL is the service's base URL; it must be a loopback address.
	URL string
	// Token is the bearer token (QUITA_API_TOKEN) for the simulator.
	Token string
	// WebhookSecret is the whsec_… secret (QUITA_WEBHOOK_SECRET) that signs
	// webhooks; needed for ModeWebhook, ModeMixed and SeedInvoices.
	WebhookSecret string
	Mode          string
	// Debtors is the number of distinct phones (+55119 and 8 digits).
	Debtors int
	// Concurrency is the number of requests in flight.
	Concurrency int
	// Requests and Duration bound the run: it stops at whichever comes
	// first. Requests in flight when the time is up are completed.
	Requests int
	Duration time.Duration
	// SeedInvoices creates one open invoice per debtor first, through
	// signed invoice.created webhooks, so the bot has someone to talk to.
	// Seeding is not part of the measured run.
	SeedInvoices bool
	// RunID makes message and webhook ids unique to this run, so a second
	// run against the same database is not taken for replays. Empty means
	// random.
	RunID string
}

func (c *Config) withDefaults() {
	if c.Mode == "" {
		c.Mode = ModeInbound
	}
	if c.Concurrency == 0 {
		c.Concurrency = 32
	}
	if c.Debtors == 0 {
		c.Debtors = 1000
	}
	if c.Requests == 0 {
		c.Requests = 10_000
	}
	if c.Duration == 0 {
		c.Duration = time.Minute
	}
}

// Validate applies the defaults and checks every setting, returning the
// first problem as one sentence.
func (c *Config) Validate() error {
	c.withDefaults()
	if err := CheckLoopback(c.URL); err != nil {
		return err
	}
	switch c.Mode {
	case ModeInbound, ModeWebhook, ModeMixed:
	default:
		return fmt.Errorf("-mode %q must be inbound, webhook or mixed", c.Mode)
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		return fmt.Errorf("-concurrency must be 1 to %d", MaxConcurrency)
	}
	if c.Debtors < 1 || c.Debtors > MaxDebtors {
		return fmt.Errorf("-debtors must be 1 to %d", MaxDebtors)
	}
	if c.Requests < 1 || c.Requests > MaxRequests {
		return fmt.Errorf("-n must be 1 to %d", MaxRequests)
	}
	if c.Duration <= 0 || c.Duration > MaxDuration {
		return fmt.Errorf("-duration must be more than 0 and at most %s", MaxDuration)
	}
	if c.Mode != ModeWebhook && c.Token == "" {
		return errors.New("the API token is required for the simulator: -token or QUITA_API_TOKEN")
	}
	if (c.Mode != ModeInbound || c.SeedInvoices) && c.WebhookSecret == "" {
		return errors.New("the webhook secret is required to sign webhooks: -webhook-secret or QUITA_WEBHOOK_SECRET")
	}
	return nil
}

// CheckLoopback accepts http(s) URLs whose host is localhost or a loopback
// IP (127.0.0.0/8, ::1) and refuses everything else: a load generator must
// not be aimed at a service it does not own.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q is not an http:// URL like http://127.0.0.1:8080", raw)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-url host %q is not a loopback address: quitabench only drives a Quita on this machine (127.0.0.1, ::1 or localhost)", host)
}
