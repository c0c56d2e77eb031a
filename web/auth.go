package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
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

// apiAgent is the principal of the admin bearer token, and of a simulator
// page signed in with the token or with the code printed at start: what
// they do is recorded as "agent:api". No console account may take the
// name (store.ValidateAgentName).
const apiAgent = store.APIPrincipal

// requireAuth accepts the admin bearer token, or — where allowSimSession
// (the routes registered with the page handler: conversations,
// transcripts, media, the simulator and the agent actions) — the
// simulator page's session cookie together with its header, or a console
// session. A console session must send its CSRF token (X-CSRF-Token or a
// _csrf form field) on unsafe methods, and an agent (not admin) session is
// refused the admin-only routes.
//
// Every way in sets the "agent" local to the authenticated principal —
// the console session's agent, the admin who opened the simulator page,
// or "api" for the token — and "role"; actions are recorded as that
// principal, never as a name from the request body.
func (s *server) requireAuth(allowSimSession bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// The body is read only once the caller is known (see guardBody).
		if s.validBearer(c.Get(fiber.HeaderAuthorization)) {
			c.Locals(localsRole, store.RoleAdmin)
			c.Locals(localsAgent, apiAgent)
			return withBody(c)
		}
		if allowSimSession && s.Simulator && c.Get(simHeader) == "1" {
			if name, ok := s.simPrincipal(c); ok {
				// Only admins open the simulator, and the token is an admin's.
				c.Locals(localsRole, store.RoleAdmin)
				c.Locals(localsAgent, name)
				return withBody(c)
			}
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

// Simulator sign-in lifetimes. A session lasts simSessionTTL from sign-in
// (no sliding: the page is for trying the bot, not for a working day);
// one opened from the console also ends with that console session. The
// code in the link printed at start works once, within SimCodeTTL.
const (
	simSessionTTL = 12 * time.Hour
	// SimCodeTTL is how long the sign-in code of a printed /sim link works.
	SimCodeTTL = 15 * time.Minute
)

// tokenTag fingerprints the API token for the sessions and codes it
// signs in: rotating the token ends them, and the table never holds it.
func tokenTag(apiToken string) string {
	mac := hmac.New(sha256.New, []byte(apiToken))
	mac.Write([]byte("quita simulator session v3"))
	return hex.EncodeToString(mac.Sum(nil))
}

// NewSimSignInCode stores a single-use code that signs one browser in to
// the simulator page as the holder of apiToken, for SimCodeTTL from now,
// and returns it for a "/sim?code=" link. The link printed at start
// carries it instead of the token itself.
func NewSimSignInCode(ctx context.Context, st *store.Store, apiToken string, now time.Time) (string, error) {
	if apiToken == "" {
		return "", errors.New("web: no API token to sign in with")
	}
	code := randomToken(18)
	if err := st.CreateSignInCode(ctx, hashSessionID(code), tokenTag(apiToken), now, now.Add(SimCodeTTL)); err != nil {
		return "", err
	}
	return code, nil
}

// simPrincipal returns who the request's simulator session acts as: the
// admin who opened it from the console, or "api" for the token holder.
func (s *server) simPrincipal(c *fiber.Ctx) (string, bool) {
	raw := c.Cookies(simCookie)
	if raw == "" || len(raw) > 128 || s.Store == nil || s.APIToken == "" {
		return "", false
	}
	sess, agent, err := s.Store.SimSession(c.UserContext(), hashSessionID(raw), s.now())
	if err != nil {
		if !errors.Is(err, store.ErrNoSession) {
			s.log.Error("simulator session lookup failed", "err", err)
		}
		return "", false
	}
	if sess.AgentID != "" {
		return agent.Name, true
	}
	if !constantEqual(sess.TokenTag, tokenTag(s.APIToken)) {
		return "", false // signed in with a token since rotated
	}
	return apiAgent, true
}

// startSimSession stores sess under a fresh random id, sets the cookie
// and redirects to the clean /sim URL, so no code or token stays in the
// address bar or the browser's history.
func (s *server) startSimSession(c *fiber.Ctx, sess store.SimSession) error {
	now := s.now()
	if _, err := s.Store.DeleteExpiredSimSessions(c.UserContext(), now); err != nil {
		s.log.Warn("sweeping simulator sessions failed", "err", err)
	}
	// Signing in again replaces the browser's previous session.
	if old := c.Cookies(simCookie); old != "" && len(old) <= 128 {
		if err := s.Store.DeleteSimSession(c.UserContext(), hashSessionID(old)); err != nil {
			return err
		}
	}
	id := randomToken(32)
	sess.IDHash, sess.CreatedAt, sess.ExpiresAt = hashSessionID(id), now, now.Add(simSessionTTL)
	if err := s.Store.CreateSimSession(c.UserContext(), sess); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: simCookie, Value: id, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: c.Protocol() == "https", Expires: sess.ExpiresAt,
	})
	return c.Redirect("/sim", fiber.StatusSeeOther)
}

// endSimSession ends the browser's simulator session, if any, and clears
// its cookie.
func (s *server) endSimSession(c *fiber.Ctx) error {
	if raw := c.Cookies(simCookie); raw != "" {
		if len(raw) <= 128 {
			if err := s.Store.DeleteSimSession(c.UserContext(), hashSessionID(raw)); err != nil {
				return err
			}
		}
		clearCookie(c, simCookie)
	}
	return nil
}

// signInWithCode exchanges the code of a printed link for a session.
func (s *server) signInWithCode(c *fiber.Ctx) error {
	code := c.Query("code")
	if len(code) > 64 || s.APIToken == "" {
		return s.simLoginPage(c, fiber.StatusUnauthorized)
	}
	tag, err := s.Store.RedeemSignInCode(c.UserContext(), hashSessionID(code), s.now())
	if errors.Is(err, store.ErrNoCode) || (err == nil && !constantEqual(tag, tokenTag(s.APIToken))) {
		s.log.Info("simulator sign-in refused", "reason", "unknown, used or expired code", "ip", s.clientIP(c))
		return s.simLoginPage(c, fiber.StatusUnauthorized)
	}
	if err != nil {
		return err
	}
	return s.startSimSession(c, store.SimSession{TokenTag: tag})
}

// simSignIn is the simulator page's sign-in form: the API token, posted
// (so it never sits in a URL). It is rate-limited per address like the
// console's login.
func (s *server) simSignIn(c *fiber.Ctx) error {
	// Anyone may post here: only a sign-in form's worth is read.
	if err := readBody(c, loginBodyLimit); err != nil {
		return err
	}
	ip := s.clientIP(c)
	if !sameOrigin(c) {
		return s.simLoginPage(c, fiber.StatusForbidden)
	}
	if s.Coord != nil {
		ok, err := s.Coord.Allow(c.UserContext(), "quita:simlogin:"+ip, loginIPLimit, time.Minute)
		if err != nil || !ok {
			if err != nil {
				s.log.Error("simulator sign-in rate limit unavailable", "err", err)
			}
			c.Set(fiber.HeaderRetryAfter, "60")
			return s.simLoginPage(c, fiber.StatusTooManyRequests)
		}
	}
	if s.APIToken == "" || !constantEqual(c.FormValue("token"), s.APIToken) {
		s.log.Info("simulator sign-in refused", "reason", "wrong token", "ip", ip)
		return s.simLoginPage(c, fiber.StatusUnauthorized)
	}
	return s.startSimSession(c, store.SimSession{TokenTag: tokenTag(s.APIToken)})
}

// TrustedProxies names the reverse proxies whose word on the client's
// address is taken (QUITA_TRUSTED_PROXY_HEADER, QUITA_TRUSTED_PROXIES).
// Without both, or for a request that did not come from one of Networks,
// the client is the TCP peer and the header is ignored: anybody can send
// an X-Forwarded-For.
type TrustedProxies struct {
	// Header carries the client's address as the proxy saw it, e.g.
	// X-Forwarded-For (a comma-separated chain) or X-Real-IP.
	Header string
	// Networks are the proxies' addresses.
	Networks []netip.Prefix
}

// ParseTrustedProxies reads a comma-separated list of CIDRs or single
// addresses.
func ParseTrustedProxies(header, networks string) (TrustedProxies, error) {
	p := TrustedProxies{Header: strings.TrimSpace(header)}
	for _, f := range strings.Split(networks, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return TrustedProxies{}, fmt.Errorf("%q is neither an address nor a CIDR", f)
			}
			p.Networks = append(p.Networks, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		n, err := netip.ParsePrefix(f)
		if err != nil {
			return TrustedProxies{}, fmt.Errorf("%q is neither an address nor a CIDR", f)
		}
		p.Networks = append(p.Networks, n.Masked())
	}
	return p, nil
}

func (p TrustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, n := range p.Networks {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr is the client's address for a request from peer carrying
// headerValues (every occurrence of p.Header): the peer itself, unless it
// is a trusted proxy; then the right-most address of the chain that is not
// a trusted proxy, since entries to its left were written by the client
// and prove nothing. A malformed entry ends the walk at the last proxy
// that vouched for it.
func (p TrustedProxies) ClientAddr(peer netip.Addr, headerValues [][]byte) netip.Addr {
	peer = peer.Unmap()
	if p.Header == "" || !p.trusts(peer) {
		return peer
	}
	var hops []string
	for _, v := range headerValues {
		hops = append(hops, strings.Split(string(v), ",")...)
	}
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return addr
		}
		if !p.trusts(a) {
			return a
		}
		addr = a
	}
	return addr
}

// parseHop reads one forwarded address: "203.0.113.7", "2001:db8::1",
// "[2001:db8::1]:443" or "203.0.113.7:5120".
func parseHop(raw string) (netip.Addr, bool) {
	raw = strings.TrimSpace(raw)
	if a, err := netip.ParseAddr(raw); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(raw); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// clientIP is the request's client address under the trusted-proxy
// settings; login limits and logs use it.
func (s *server) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.IP()
	}
	p := s.Console.Proxies
	var values [][]byte
	if p.Header != "" {
		values = c.Request().Header.PeekAll(p.Header)
	}
	return p.ClientAddr(peer, values).String()
}
