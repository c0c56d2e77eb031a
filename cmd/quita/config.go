package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/quitabot/quita/bot/transport/cloudapi"
	"github.com/quitabot/quita/locales"
	"github.com/quitabot/quita/web"
	"github.com/quitabot/quita/webhooks"
)

// config is the infrastructure configuration of contract §2: environment
// variables, each overridable by a flag of the same name in lower case
// without the QUITA_ prefix (QUITA_DATABASE_URL → --database-url).
type config struct {
	Addr                 string
	DatabaseURL          string
	RedisURL             string
	APIToken             string
	WebhookSecret        string
	BillingWebhookURL    string
	BillingWebhookSecret string
	WhatsApp             bool
	Simulator            bool
	Timezone             *time.Location
	Locale               string
	PolicyPath           string
	Demo                 bool
	LogLevel             string
	ShutdownTimeout      time.Duration
	// PublicURL is where the outside world reaches this service; transports
	// that hand media to a third party (the Cloud API) link to it.
	PublicURL string
	Cloud     cloudConfig
	Limits    web.Limits // connections, timeouts, live streams (limits.go)
	// Proxies are the reverse proxies whose client-address header is
	// believed (QUITA_TRUSTED_PROXY_HEADER, QUITA_TRUSTED_PROXIES).
	Proxies                    web.TrustedProxies
	limitValues                limitValues
	proxyHeader, proxyNetworks string
	timezoneName, waValue      string
	simValue                   string
	// policyExplicit: QUITA_CONFIG was given, so the file must exist.
	policyExplicit bool
	// tokenGenerated: the API token was generated at this start, so it may
	// be shown once; otherwise it is never printed.
	tokenGenerated bool
}

// setting describes one variable: its name, default and where it goes.
type setting struct {
	env, def, help string
	dst            *string
}

func (c *config) settings() []setting {
	return []setting{
		{"QUITA_ADDR", ":8080", "HTTP listen address", &c.Addr},
		{"QUITA_DATABASE_URL", "sqlite://./data/quita.db", "sqlite://PATH or postgres://…", &c.DatabaseURL},
		{"QUITA_REDIS_URL", "", "redis://… (empty: in-process coordination, single instance)", &c.RedisURL},
		{"QUITA_API_TOKEN", "", "admin bearer token for /v1 (generated and stored when empty)", &c.APIToken},
		{"QUITA_WEBHOOK_SECRET", "", "whsec_… secret of inbound billing webhooks (generated when empty)", &c.WebhookSecret},
		{"QUITA_BILLING_WEBHOOK_URL", "", "where outbound events are delivered", &c.BillingWebhookURL},
		{"QUITA_BILLING_WEBHOOK_SECRET", "", "whsec_… secret that signs outbound events", &c.BillingWebhookSecret},
		{"QUITA_WHATSAPP", "on", "link a WhatsApp number (on/off)", &c.waValue},
		{"QUITA_SIMULATOR", "on", "simulator endpoints and /sim page (on/off)", &c.simValue},
		{"QUITA_TIMEZONE", "America/Sao_Paulo", "business timezone", &c.timezoneName},
		{"QUITA_LOCALE", "pt-BR", "default locale: pt-BR, en or es", &c.Locale},
		{"QUITA_CONFIG", "./quita.yaml", "policy YAML file (built-in policy when absent)", &c.PolicyPath},
		{"QUITA_LOG_LEVEL", "info", "debug, info, warn or error", &c.LogLevel},
		{"QUITA_PUBLIC_URL", "", "https://… address of this service as the outside world reaches it (media links)", &c.PublicURL},
		{"QUITA_TRUSTED_PROXY_HEADER", "", "header a trusted reverse proxy puts the client's address in, e.g. X-Forwarded-For (empty: none)", &c.proxyHeader},
		{"QUITA_TRUSTED_PROXIES", "", "comma-separated CIDRs or addresses of the proxies whose header is believed", &c.proxyNetworks},
		{"QUITA_CLOUDAPI_PHONE_NUMBER_ID", "", "WhatsApp Cloud API phone number id (empty: Cloud API off)", &c.Cloud.PhoneNumberID},
		{"QUITA_CLOUDAPI_TOKEN", "", "Cloud API access token (a system user token)", &c.Cloud.Token},
		{"QUITA_CLOUDAPI_APP_SECRET", "", "Meta app secret that signs Cloud API webhooks", &c.Cloud.AppSecret},
		{"QUITA_CLOUDAPI_VERIFY_TOKEN", "", "token Meta echoes when subscribing the webhook", &c.Cloud.VerifyToken},
		{"QUITA_CLOUDAPI_BASE_URL", "https://graph.facebook.com", "Graph API base URL", &c.Cloud.BaseURL},
		{"QUITA_CLOUDAPI_API_VERSION", cloudapi.DefaultAPIVersion, "Graph API version of Cloud API calls (a warning at start when near its end of life)", &c.Cloud.APIVersion},
	}
}

// flagName maps QUITA_DATABASE_URL to database-url.
func flagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, "QUITA_")), "_", "-")
}

// loadConfig reads the environment, then flags, then validates. Every
// error names the variable and the problem in one line.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer, withDemo bool) (*config, []string, error) {
	c := &config{ShutdownTimeout: 25 * time.Second}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range append(c.settings(), c.limitSettings()...) {
		v := getenv(s.env)
		if v == "" {
			v = s.def
		}
		*s.dst = v
		fs.StringVar(s.dst, flagName(s.env), v, s.help+" ("+s.env+")")
	}
	if withDemo {
		fs.BoolVar(&c.Demo, "demo", false, "load demo debtors and invoices (idempotent) and print links to try")
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	c.policyExplicit = getenv("QUITA_CONFIG") != ""
	waExplicit := getenv("QUITA_WHATSAPP") != ""
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case flagName("QUITA_CONFIG"):
			c.policyExplicit = true
		case flagName("QUITA_WHATSAPP"):
			waExplicit = true
		}
	})
	if c.Demo && !waExplicit {
		// A demo touches nothing outside this machine unless asked: no
		// whatsmeow connection (and no DNS errors offline) until someone
		// sets QUITA_WHATSAPP=on to link a number.
		c.waValue = "off"
	}
	return c, fs.Args(), c.validate()
}

func (c *config) validate() error {
	if err := c.parseLimits(); err != nil {
		return err
	}
	var err error
	if err := checkAddr(c.Addr); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite://"):
		if strings.TrimPrefix(c.DatabaseURL, "sqlite://") == "" {
			return fmt.Errorf("QUITA_DATABASE_URL: sqlite:// needs a file path, like sqlite://./data/quita.db")
		}
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		if err := checkURL("QUITA_DATABASE_URL", c.DatabaseURL, false); err != nil {
			return err
		}
	default:
		return fmt.Errorf("QUITA_DATABASE_URL: must start with sqlite:// or postgres://")
	}
	if c.RedisURL != "" {
		if !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
			return fmt.Errorf("QUITA_REDIS_URL: must start with redis:// or rediss://")
		}
		if err := checkURL("QUITA_REDIS_URL", c.RedisURL, false); err != nil {
			return err
		}
	}
	if strings.TrimSpace(c.APIToken) != c.APIToken {
		return fmt.Errorf("QUITA_API_TOKEN: has leading or trailing spaces, which no Authorization header can match")
	}
	if c.APIToken != "" && len(c.APIToken) < 16 {
		return fmt.Errorf("QUITA_API_TOKEN: must be at least 16 characters (leave it empty to have one generated)")
	}
	if secrets, e := parseSecrets(c.WebhookSecret); e != nil {
		return fmt.Errorf("QUITA_WEBHOOK_SECRET: %v", e)
	} else if c.WebhookSecret != "" && len(secrets) == 0 {
		return fmt.Errorf("QUITA_WEBHOOK_SECRET: no whsec_… secret in %q", c.WebhookSecret)
	}
	if c.BillingWebhookSecret != "" {
		if _, e := webhooks.ParseSecret(c.BillingWebhookSecret); e != nil {
			return fmt.Errorf("QUITA_BILLING_WEBHOOK_SECRET: %v", e)
		}
	}
	if c.BillingWebhookURL != "" && c.BillingWebhookSecret == "" {
		return fmt.Errorf("QUITA_BILLING_WEBHOOK_SECRET: required when QUITA_BILLING_WEBHOOK_URL is set (a whsec_… secret shared with the billing system)")
	}
	if c.BillingWebhookURL != "" {
		if err := checkHTTPURL("QUITA_BILLING_WEBHOOK_URL", c.BillingWebhookURL); err != nil {
			return err
		}
	}
	if c.WhatsApp, err = onOff("QUITA_WHATSAPP", c.waValue); err != nil {
		return err
	}
	if c.Simulator, err = onOff("QUITA_SIMULATOR", c.simValue); err != nil {
		return err
	}
	if c.Timezone, err = time.LoadLocation(c.timezoneName); err != nil || c.timezoneName == "" {
		return fmt.Errorf("QUITA_TIMEZONE: unknown time zone %q (use an IANA name like America/Sao_Paulo)", c.timezoneName)
	}
	if locales.Resolve(c.Locale) != c.Locale {
		return fmt.Errorf("QUITA_LOCALE: %q is not one of %s", c.Locale, strings.Join(locales.Supported, ", "))
	}
	if err := c.Cloud.validate(); err != nil {
		return err
	}
	if c.PublicURL != "" {
		if err := checkHTTPURL("QUITA_PUBLIC_URL", c.PublicURL); err != nil {
			return err
		}
	}
	if c.Proxies, err = web.ParseTrustedProxies(c.proxyHeader, c.proxyNetworks); err != nil {
		return fmt.Errorf("QUITA_TRUSTED_PROXIES: %v", err)
	}
	switch {
	case c.Proxies.Header != "" && len(c.Proxies.Networks) == 0:
		// Believing the header from anybody would let any client choose
		// its address, and so dodge every per-address limit.
		return fmt.Errorf("QUITA_TRUSTED_PROXIES: required with QUITA_TRUSTED_PROXY_HEADER (the proxies' addresses, e.g. 10.0.0.0/8)")
	case c.Proxies.Header == "" && len(c.Proxies.Networks) > 0:
		return fmt.Errorf("QUITA_TRUSTED_PROXY_HEADER: required with QUITA_TRUSTED_PROXIES (e.g. X-Forwarded-For)")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("QUITA_LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	return nil
}

func onOff(env, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "on", "true", "1", "yes":
		return true, nil
	case "off", "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("%s: %q must be on or off", env, v)
}

// parseSecrets reads QUITA_WEBHOOK_SECRET: one secret, or two separated by
// a space or comma while a billing system rotates its key (both verify).
func parseSecrets(v string) ([]webhooks.Secret, error) {
	var out []webhooks.Secret
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' }) {
		s, err := webhooks.ParseSecret(part)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// cloudConfig is the WhatsApp Cloud API number, off when PhoneNumberID is
// empty.
type cloudConfig struct {
	PhoneNumberID, Token, AppSecret, VerifyToken, BaseURL, APIVersion string
}

var cloudVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

func (c cloudConfig) enabled() bool { return c.PhoneNumberID != "" }

func (c cloudConfig) validate() error {
	if !c.enabled() {
		if c.Token != "" || c.AppSecret != "" || c.VerifyToken != "" {
			return fmt.Errorf("QUITA_CLOUDAPI_PHONE_NUMBER_ID: required when the other QUITA_CLOUDAPI_* variables are set")
		}
		return nil
	}
	for _, v := range []struct{ env, val string }{
		{"QUITA_CLOUDAPI_TOKEN", c.Token}, {"QUITA_CLOUDAPI_APP_SECRET", c.AppSecret}, {"QUITA_CLOUDAPI_VERIFY_TOKEN", c.VerifyToken},
	} {
		if v.val == "" {
			return fmt.Errorf("%s: required when QUITA_CLOUDAPI_PHONE_NUMBER_ID is set", v.env)
		}
	}
	if !cloudVersion.MatchString(c.APIVersion) {
		return fmt.Errorf("QUITA_CLOUDAPI_API_VERSION: %q must look like %s", c.APIVersion, cloudapi.DefaultAPIVersion)
	}
	return checkHTTPURL("QUITA_CLOUDAPI_BASE_URL", c.BaseURL)
}

// checkAddr refuses a listen address net.Listen would refuse, so a typo
// such as :99999 stops start-up before migrations run or secrets are
// generated and printed. A named port (":http") is looked up locally.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("QUITA_ADDR: %q is not a listen address like :8080 or 127.0.0.1:8080", addr)
	}
	if n, err := strconv.Atoi(port); err == nil {
		if n < 0 || n > 65535 {
			return fmt.Errorf("QUITA_ADDR: port %d in %q is out of range (0 to 65535)", n, addr)
		}
		return nil
	}
	if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return fmt.Errorf("QUITA_ADDR: %q has no valid port (use a number, like :8080)", addr)
	}
	return nil
}

// checkHTTPURL requires an absolute http:// or https:// URL with a host.
func checkHTTPURL(env, raw string) error {
	if !strings.HasPrefix(raw, "https://") && !strings.HasPrefix(raw, "http://") {
		return fmt.Errorf("%s: must be an http:// or https:// URL", env)
	}
	return checkURL(env, raw, true)
}

// checkURL parses raw; needHost also requires a host. Its errors never
// quote the URL, which may carry a password.
func checkURL(env, raw string, needHost bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL
		}
		return fmt.Errorf("%s: not a valid URL: %v", env, err)
	}
	if needHost && u.Hostname() == "" {
		return fmt.Errorf("%s: the URL has no host", env)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%s: port %s is out of range (1 to 65535)", env, p)
		}
	}
	return nil
}
