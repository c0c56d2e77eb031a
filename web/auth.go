package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/quitabot/quita/bot"
)

// simCookie holds the simulator page's session; simHeader must accompany
// it on API calls, which a cross-site form or image cannot send.
const (
	simCookie = "quita_sim"
	simHeader = "X-Quita-Sim"
)

// requireAuth accepts the admin bearer token, or — where allowSimSession —
// the simulator page's session cookie together with its header.
func (s *server) requireAuth(allowSimSession bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.validBearer(c.Get(fiber.HeaderAuthorization)) {
			return c.Next()
		}
		if allowSimSession && s.Simulator && c.Get(simHeader) == "1" && s.validSimSession(c.Cookies(simCookie)) {
			return c.Next()
		}
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="quita"`)
		return bot.Errorf(bot.CodeUnauthenticated, "a valid bearer token is required (Authorization: Bearer <QUITA_API_TOKEN>)")
	}
}

func (s *server) validBearer(header string) bool {
	token, ok := strings.CutPrefix(header, "Bearer ")
	return ok && s.APIToken != "" && constantEqual(strings.TrimSpace(token), s.APIToken)
}

func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// simSession is derived from the API token, so rotating the token ends
// every simulator session, and the cookie never carries the token itself.
func (s *server) simSession() string {
	mac := hmac.New(sha256.New, []byte(s.APIToken))
	mac.Write([]byte("quita simulator session v1"))
	return hex.EncodeToString(mac.Sum(nil))
}

func (s *server) validSimSession(cookie string) bool {
	return cookie != "" && s.APIToken != "" && constantEqual(cookie, s.simSession())
}

// startSimSession exchanges a token from the printed link for a cookie and
// redirects to the clean URL, so the token leaves the address bar and
// browser history.
func (s *server) startSimSession(c *fiber.Ctx) error {
	if !constantEqual(c.Query("token"), s.APIToken) {
		return s.simLoginPage(c, fiber.StatusUnauthorized)
	}
	c.Cookie(&fiber.Cookie{
		Name: simCookie, Value: s.simSession(), Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: c.Protocol() == "https", Expires: time.Now().Add(12 * time.Hour),
	})
	return c.Redirect("/sim", fiber.StatusSeeOther)
}
