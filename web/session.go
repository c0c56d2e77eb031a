package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
)

// Console session cookies and form fields.
const (
	sessionCookie    = "quita_session"
	loginCSRFCookie  = "quita_login_csrf"
	csrfField        = "_csrf"
	csrfHeader       = "X-CSRF-Token"
	defaultIdle      = 12 * time.Hour
	defaultAbsolute  = 72 * time.Hour
	touchEvery       = time.Minute
	localsSession    = "console_session"
	localsAgent      = "agent"
	localsRole       = "role"
	localsAgentState = "console_agent"
)

// Sign-in limits. Every attempt from an address counts against
// loginIPLimit a minute, whatever the name (password spraying). Failures
// count per (name, address) pair only: the first loginFreeFailures cost
// nothing, then each one doubles the pair's wait from 30 s up to
// loginMaxBackoff; loginFailureWindow without a failure starts the count
// again, and a success clears it. Nobody can lock another address out of
// an account, because no limit counts per name alone.
const (
	loginIPLimit       = 10
	loginFreeFailures  = 2
	loginFirstBackoff  = 30 * time.Second
	loginMaxBackoff    = 15 * time.Minute
	loginFailureWindow = 15 * time.Minute
)

// loginBackoff is how long a (name, address) pair waits after its
// failures-th failure: nothing for the first two, then 30 s, 1, 2, 4 and
// 8 minutes, and 15 minutes from the eighth on.
func loginBackoff(failures int) time.Duration {
	n := failures - loginFreeFailures
	if n <= 0 {
		return 0
	}
	if n > 6 {
		return loginMaxBackoff
	}
	return min(loginFirstBackoff<<(n-1), loginMaxBackoff)
}

// loginKey identifies a (name, address) pair without keeping the name: it
// may be a password typed into the wrong field.
func loginKey(name, ip string) string {
	sum := sha256.Sum256([]byte("quita login v1\x00" + name + "\x00" + ip))
	return hex.EncodeToString(sum[:])
}

// dummyHash is compared against when the agent does not exist, so a login
// for an unknown name costs as much as one with a wrong password. It is
// made on first use: every binary importing web need not pay for it.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("quita-not-a-password"), bcrypt.DefaultCost)
	return h
})

// HashPassword hashes a console password with bcrypt; cmd/quita uses it
// for `quita agent add`.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", bot.Invalid("password", "must have at least 8 characters")
	}
	if len(password) > 72 {
		return "", bot.Invalid("password", "must have at most 72 bytes (bcrypt's limit)")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// GeneratePassword returns a random password of 20 URL-safe characters.
func GeneratePassword() string { return randomToken(15) }

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSessionID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// consoleAgent is the signed-in agent of a request. SessionHash is the id
// hash of its console session.
type consoleAgent struct {
	ID          string
	Name        string
	Role        string
	CSRF        string
	SessionHash string
}

func (a consoleAgent) admin() bool { return a.Role == store.RoleAdmin }

func (s *server) now() time.Time {
	if s.Console.Now != nil {
		return s.Console.Now()
	}
	// Sessions run on the wall clock: moving the simulator's clock a week
	// ahead must not sign everybody out.
	return time.Now()
}

func (s *server) idleTimeout() time.Duration {
	if s.Console.SessionIdle > 0 {
		return s.Console.SessionIdle
	}
	return defaultIdle
}

func (s *server) absoluteTimeout() time.Duration {
	if s.Console.SessionMax > 0 {
		return s.Console.SessionMax
	}
	return defaultAbsolute
}

// consoleSession returns the request's live console session, sliding its
// idle expiry; ok is false without one.
func (s *server) consoleSession(c *fiber.Ctx) (consoleAgent, bool) {
	if a, ok := c.Locals(localsAgentState).(consoleAgent); ok {
		return a, true
	}
	raw := c.Cookies(sessionCookie)
	if raw == "" || len(raw) > 128 || s.Store == nil {
		return consoleAgent{}, false
	}
	hash := hashSessionID(raw)
	now := s.now()
	sess, agent, err := s.Store.ConsoleSession(c.UserContext(), hash, now)
	if err != nil {
		if !errors.Is(err, store.ErrNoSession) {
			s.log.Error("console session lookup failed", "err", err)
		}
		return consoleAgent{}, false
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		expires := now.Add(s.idleTimeout())
		if hard := sess.CreatedAt.Add(s.absoluteTimeout()); expires.After(hard) {
			expires = hard
		}
		if err := s.Store.TouchConsoleSession(c.UserContext(), hash, now, expires); err != nil {
			s.log.Warn("console session touch failed", "err", err)
		}
	}
	a := consoleAgent{ID: agent.ID, Name: agent.Name, Role: agent.Role, CSRF: sess.CSRF, SessionHash: hash}
	c.Locals(localsAgentState, a)
	c.Locals(localsAgent, a.Name)
	c.Locals(localsRole, a.Role)
	return a, true
}

// validCSRF checks the token a form field or header carries against the
// session's, and refuses a cross-site Origin outright.
func validCSRF(c *fiber.Ctx, a consoleAgent) bool {
	if !sameOrigin(c) {
		return false
	}
	tok := c.Get(csrfHeader)
	if tok == "" {
		tok = c.FormValue(csrfField)
	}
	return tok != "" && a.CSRF != "" && constantEqual(tok, a.CSRF)
}

// sameOrigin is false when the browser says the request came from another
// site (Origin or Sec-Fetch-Site); requests without those headers (old
// browsers, API clients) rely on the token alone.
func sameOrigin(c *fiber.Ctx) bool {
	if site := c.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return false
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && origin != "null" && u.Host == string(c.Request().Host())
}

func unsafeMethod(m string) bool {
	return m != fiber.MethodGet && m != fiber.MethodHead && m != fiber.MethodOptions
}

// safeNext keeps a post-login redirect inside the console: a local path
// under /console, never an absolute URL, "//host" or a backslash trick.
func safeNext(raw string) string {
	const home = "/console"
	if raw == "" || len(raw) > 1024 || !strings.HasPrefix(raw, "/console") ||
		strings.ContainsAny(raw, "\\\r\n\t") || strings.HasPrefix(raw, "//") {
		return home
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	if u.Path != "/console" && !strings.HasPrefix(u.Path, "/console/") {
		return home // "/consolex" or "/console/../v1/…" after cleaning
	}
	if strings.Contains(u.Path, "/..") || strings.Contains(u.Path, "/./") ||
		u.Path == "/console/login" || u.Path == "/console/logout" {
		return home
	}
	return raw
}

func (s *server) setSessionCookie(c *fiber.Ctx, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: value, Path: "/", HTTPOnly: true, Secure: c.Protocol() == "https",
		SameSite: fiber.CookieSameSiteLaxMode, Expires: expires})
}

func clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", HTTPOnly: true, Secure: c.Protocol() == "https",
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(1, 0), MaxAge: -1})
}

// loginPage shows the sign-in form. Its CSRF token is a double-submit
// cookie, so a foreign site cannot sign a browser into its own account.
func (cs *console) loginPage(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	if _, ok := cs.consoleSession(c); ok {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	return cs.renderLogin(c, fiber.StatusOK, next, "")
}

func (cs *console) renderLogin(c *fiber.Ctx, status int, next, problem string) error {
	tok := c.Cookies(loginCSRFCookie)
	if len(tok) < 20 || len(tok) > 64 {
		tok = randomToken(24)
		c.Cookie(&fiber.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/console/login", HTTPOnly: true,
			Secure: c.Protocol() == "https", SameSite: fiber.CookieSameSiteStrictMode, Expires: cs.now().Add(time.Hour)})
	}
	lang := cs.lang(c)
	return cs.page(c, status, "login.html", pageData{Lang: lang, T: consoleText[lang], CSRF: tok, Next: next, Problem: problem,
		Company: cs.Policy.Company.Name, Path: c.Path()})
}

// login checks name and password, then starts a fresh session: any
// session the browser had is ended first, so an id planted before login
// (session fixation) is worthless.
func (cs *console) login(c *fiber.Ctx) error {
	// Anyone may post here: only a sign-in form's worth is read.
	if err := readBody(c, loginBodyLimit); err != nil {
		return err
	}
	lang := cs.lang(c)
	t := consoleText[lang]
	next := safeNext(c.FormValue("next"))
	cookieTok := c.Cookies(loginCSRFCookie)
	if !sameOrigin(c) || cookieTok == "" || !constantEqual(c.FormValue(csrfField), cookieTok) {
		return cs.renderLogin(c, fiber.StatusForbidden, next, t["errCSRF"])
	}
	name := strings.ToLower(strings.TrimSpace(c.FormValue("name")))
	if len(name) > 64 {
		name = name[:64]
	}
	password := c.FormValue("password")
	ctx := c.UserContext()
	ip := cs.clientIP(c)
	if !cs.allowLogin(ctx, "quita:login:"+ip, loginIPLimit, time.Minute) {
		cs.log.Info("console login refused", "reason", "too many attempts from this address", "ip", ip)
		c.Set(fiber.HeaderRetryAfter, "60")
		return cs.renderLogin(c, fiber.StatusTooManyRequests, next, t["errTooMany"])
	}
	// The pair's backoff is checked before the password, so a blocked pair
	// learns nothing from trying.
	key := loginKey(name, ip)
	blocked, err := cs.Store.LoginBlockedUntil(ctx, key)
	if err != nil {
		return err
	}
	if wait := blocked.Sub(cs.now()); wait > 0 {
		cs.log.Info("console login refused", "reason", "waiting after failed attempts", "ip", ip, "wait", wait.Round(time.Second))
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		return cs.renderLogin(c, fiber.StatusTooManyRequests, next, t["errTooMany"])
	}
	agent, hash, err := cs.Store.AgentCredentials(ctx, name)
	if err != nil && bot.ErrorCodeOf(err) != bot.CodeNotFound {
		return err
	}
	known := err == nil && name != ""
	if !known {
		hash = string(dummyHash())
	}
	pwOK := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	if !known || !pwOK || agent.Disabled {
		n, until, err := cs.Store.RecordLoginFailure(ctx, key, cs.now(), loginFailureWindow, loginBackoff)
		if err != nil {
			return err
		}
		// What was typed stays out of the log: an unknown name may be a
		// password typed into the wrong field. A known account is named.
		reason, who := "wrong name or password", "(no such account)"
		if known {
			who = agent.Name
			if agent.Disabled && pwOK {
				reason = "account disabled"
			}
		}
		attrs := []any{"reason", reason, "agent", who, "ip", ip, "failures", n}
		if wait := until.Sub(cs.now()); wait > 0 {
			attrs = append(attrs, "wait", wait.Round(time.Second))
		}
		cs.log.Info("console login refused", attrs...)
		return cs.renderLogin(c, fiber.StatusUnauthorized, next, t["errLogin"])
	}
	if err := cs.Store.ClearLoginFailures(ctx, key); err != nil {
		return err
	}
	if _, err := cs.Store.DeleteStaleLoginFailures(ctx, cs.now().Add(-loginFailureWindow)); err != nil {
		cs.log.Warn("sweeping login failures failed", "err", err)
	}
	if old := c.Cookies(sessionCookie); old != "" {
		if err := cs.Store.DeleteConsoleSession(ctx, hashSessionID(old)); err != nil {
			return err
		}
	}
	now := cs.now()
	if _, err := cs.Store.DeleteExpiredConsoleSessions(ctx, now); err != nil {
		cs.log.Warn("sweeping console sessions failed", "err", err)
	}
	id := randomToken(32)
	expires := now.Add(cs.idleTimeout())
	if hard := now.Add(cs.absoluteTimeout()); expires.After(hard) {
		expires = hard
	}
	sess := store.ConsoleSession{IDHash: hashSessionID(id), AgentID: agent.ID, CSRF: randomToken(24), CreatedAt: now,
		LastSeenAt: now, ExpiresAt: expires}
	if err := cs.Store.CreateConsoleSession(ctx, sess); err != nil {
		return err
	}
	cs.setSessionCookie(c, id, now.Add(cs.absoluteTimeout()))
	c.Cookie(&fiber.Cookie{Name: loginCSRFCookie, Value: "", Path: "/console/login", HTTPOnly: true, MaxAge: -1, Expires: time.Unix(1, 0)})
	cs.log.Info("console login", "agent", agent.Name, "ip", ip)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// allowLogin applies a login rate limit; an unreachable coordinator fails
// closed, since the alternative is unlimited password guessing.
func (cs *console) allowLogin(ctx context.Context, key string, limit int, window time.Duration) bool {
	if cs.Coord == nil {
		return true
	}
	ok, err := cs.Coord.Allow(ctx, key, limit, window)
	if err != nil {
		cs.log.Error("login rate limit unavailable", "err", err)
		return false
	}
	return ok
}

// logout ends the session server-side, so a copied cookie dies with it,
// and with it every simulator session it opened and this browser's own.
func (cs *console) logout(c *fiber.Ctx) error {
	if raw := c.Cookies(sessionCookie); raw != "" {
		if err := cs.Store.DeleteConsoleSession(c.UserContext(), hashSessionID(raw)); err != nil {
			return err
		}
	}
	if err := cs.endSimSession(c); err != nil {
		return err
	}
	clearCookie(c, sessionCookie)
	return c.Redirect("/console/login", fiber.StatusSeeOther)
}

// requireSession admits only a signed-in agent: pages redirect to the
// login with the way back, anything else answers 401. Unsafe methods must
// carry the session's CSRF token.
func (cs *console) requireSession(c *fiber.Ctx) error {
	a, ok := cs.consoleSession(c)
	if !ok {
		if c.Method() == fiber.MethodGet && !strings.HasSuffix(c.Path(), "/events") {
			return c.Redirect("/console/login?next="+url.QueryEscape(safeNext(string(c.Request().RequestURI()))), fiber.StatusSeeOther)
		}
		return cs.fail(c, fiber.StatusUnauthorized, consoleText[cs.lang(c)]["errSignIn"])
	}
	// The body is read only once the session is known (see guardBody).
	if err := readBody(c, BodyLimit); err != nil {
		return err
	}
	if unsafeMethod(c.Method()) && !validCSRF(c, a) {
		return cs.fail(c, fiber.StatusForbidden, consoleText[cs.lang(c)]["errCSRF"])
	}
	return c.Next()
}

// requireAdmin admits admins only.
func (cs *console) requireAdmin(c *fiber.Ctx) error {
	a, ok := cs.consoleSession(c)
	if !ok || !a.admin() {
		return cs.fail(c, fiber.StatusForbidden, consoleText[cs.lang(c)]["errAdmin"])
	}
	return c.Next()
}
