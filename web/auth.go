package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
)

// simCookie holds the simulator page's session; simHeader must accompany
// it on API calls, which a cross-site form or image cannot send.
const (
	simCookie = "quita_sim"
	simHeader = "X-Quita-Sim"
)

// requireAuth accepts the admin bearer token, or — where allowSimSession
// (the routes registered with the page handler: conversations,
// transcripts, media, the simulator and the agent actions) — the
// simulator page's session cookie together with its header, or a console
// session. A console session must send its CSRF token (X-CSRF-Token or a
// _csrf form field) on unsafe methods, and an agent (not admin) session is
// refused the admin-only routes. The bearer token acts as an admin; a
// console session sets the "agent" and "role" locals.
func (s *server) requireAuth(allowSimSession bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// The body is read only once the caller is known (see guardBody).
		if s.validBearer(c.Get(fiber.HeaderAuthorization)) {
			c.Locals(localsRole, store.RoleAdmin)
			return withBody(c)
		}
		if allowSimSession && s.Simulator && c.Get(simHeader) == "1" && s.validSimSession(c.Cookies(simCookie)) {
			return withBody(c)
		}
		if allowSimSession {
			if a, ok := s.consoleSession(c); ok {
				if err := readBody(c, BodyLimit); err != nil {
					return err
				}
				if unsafeMethod(c.Method()) && !validCSRF(c, a) {
					return bot.Errorf(bot.CodeForbidden, "a console session must send its CSRF token in the %s header on this request", csrfHeader)
				}
				if !a.admin() && adminOnlyRoute(c) {
					return bot.Errorf(bot.CodeForbidden, "only an admin may do this")
				}
				return c.Next()
			}
		}
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="quita"`)
		return bot.Errorf(bot.CodeUnauthenticated, "a valid bearer token is required (Authorization: Bearer <QUITA_API_TOKEN>)")
	}
}

// adminOnly lists the page-auth routes an agent's console session may not
// use: moving the simulator's clock runs every reminder that came due for
// every debtor, which is an operator's decision. (Invoices, deliveries and
// received webhooks take the bearer token only, so no console session
// reaches them.)
var adminOnly = map[string]bool{
	fiber.MethodPost + " /v1/sim/clock": true,
}

func adminOnlyRoute(c *fiber.Ctx) bool {
	r := c.Route()
	return r != nil && adminOnly[c.Method()+" "+r.Path]
}

func (s *server) validBearer(header string) bool {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	// The scheme is case-insensitive (RFC 7235).
	return ok && strings.EqualFold(scheme, "Bearer") && s.APIToken != "" && constantEqual(strings.TrimSpace(token), s.APIToken)
}

func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// simSessionTTL bounds a simulator session; the cookie carries its issue
// time under the MAC, so a leaked cookie stops working on its own.
const simSessionTTL = 12 * time.Hour

// simSession is "<unix issue time>.<hex MAC>" keyed by the API token, so
// rotating the token ends every session and the cookie never carries the
// token itself.
func (s *server) simSession(issued time.Time) string {
	ts := strconv.FormatInt(issued.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(s.APIToken))
	mac.Write([]byte("quita simulator session v2." + ts))
	return ts + "." + hex.EncodeToString(mac.Sum(nil))
}

func (s *server) validSimSession(cookie string) bool {
	ts, _, ok := strings.Cut(cookie, ".")
	if !ok || s.APIToken == "" {
		return false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	issued := time.Unix(sec, 0)
	if age := time.Since(issued); age < -time.Minute || age > simSessionTTL {
		return false
	}
	return constantEqual(cookie, s.simSession(issued))
}

// startSimSession exchanges a token from the printed link for a cookie and
// redirects to the clean URL, so the token leaves the address bar and
// browser history.
func (s *server) startSimSession(c *fiber.Ctx) error {
	if !constantEqual(c.Query("token"), s.APIToken) {
		return s.simLoginPage(c, fiber.StatusUnauthorized)
	}
	c.Cookie(&fiber.Cookie{
		Name: simCookie, Value: s.simSession(time.Now()), Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: c.Protocol() == "https", Expires: time.Now().Add(simSessionTTL),
	})
	return c.Redirect("/sim", fiber.StatusSeeOther)
}
