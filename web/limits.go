package web

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/bytebufferpool"
	"github.com/valyala/fasthttp"

	"github.com/quitabot/quita/bot"
)

// Limits bound what one client, and all clients together, can make the
// server hold. The zero value of a count means "no cap"; DefaultLimits
// gives the values cmd/quita starts from (QUITA_MAX_CONNS and friends).
type Limits struct {
	// MaxConns is how many connections are served at once; beyond it
	// LimitListener answers 503 (JSON) and closes. Every connection costs memory
	// (buffers, a goroutine), so this is the global memory bound.
	MaxConns int
	// MaxConnsPerIP caps the connections one client address may hold;
	// beyond it LimitListener answers 429 (JSON) and closes. Behind a reverse proxy
	// every client shares the proxy's address: set 0 there and cap per
	// client in the proxy instead.
	MaxConnsPerIP int
	// ReadTimeout is how long a client has to send a request's headers
	// and body, from its first byte; it is what ends a slow (slowloris)
	// client holding a connection open.
	ReadTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes is the largest request head (request line and
	// headers) accepted; a larger one is answered 431.
	MaxHeaderBytes int
	// MaxStreams caps the console's open live-update streams (server-sent
	// events) on this instance; MaxStreamsPerSession caps one signed-in
	// session's. Beyond either a new stream is refused with 429.
	MaxStreams           int
	MaxStreamsPerSession int
}

// DefaultLimits are sized for one instance serving a collections team:
// a few dozen agents, each with a handful of tabs, and the webhooks.
func DefaultLimits() Limits {
	return Limits{
		MaxConns:             4096,
		MaxConnsPerIP:        128,
		ReadTimeout:          10 * time.Second,
		IdleTimeout:          60 * time.Second,
		MaxHeaderBytes:       4 << 10, // fasthttp's default, as before
		MaxStreams:           512,
		MaxStreamsPerSession: 8,
	}
}

// loginBodyLimit bounds the console's sign-in form, the one form anyone
// may post: name, password, next and a token fit in far less.
const loginBodyLimit = 16 << 10

// oversizedHeader marks a request whose declared body is over BodyLimit.
// With streamed bodies fasthttp waits for the first bytes of a body
// before any handler runs; a client that announces too much and waits
// (as curl does without Expect) would get no answer until the read
// timeout. markOversized therefore drops the declared length (so nothing
// is waited for) and leaves this mark for guardBody to refuse with 413.
const oversizedHeader = "X-Quita-Body-Over-Limit"

// markOversized is the fasthttp server's HeaderReceived hook. A client
// sending the mark itself only gets its own request refused.
func markOversized(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	h.Del(oversizedHeader)
	if n := h.ContentLength(); n > BodyLimit {
		h.Set(oversizedHeader, strconv.Itoa(n))
		h.SetContentLength(0)
	}
	return fasthttp.RequestConfig{}
}

// guardBody runs before routing and authentication. The server streams
// request bodies (fiber's StreamRequestBody), so nothing is allocated for
// a body until a handler asks for it: an announced length costs nothing,
// and a body is read only after the caller has authenticated (readBody).
// Here a declared length over BodyLimit is refused at once; and a body
// left unread (a refused caller's) closes the connection afterwards, since
// its bytes would otherwise be parsed as the next request.
func guardBody(c *fiber.Ctx) error {
	req := c.Request()
	if req.Header.ContentLength() > BodyLimit || len(req.Header.Peek(oversizedHeader)) > 0 {
		// The body's bytes were never read: the connection cannot go on.
		c.Context().SetConnectionClose()
		return fiber.ErrRequestEntityTooLarge
	}
	err := c.Next()
	if req.IsBodyStream() && req.Header.ContentLength() != 0 {
		c.Context().SetConnectionClose()
	}
	return err
}

// readBody reads a streamed request body into memory, refusing one over
// limit with 413, so that the handlers' c.Body() and c.FormValue() see
// it whole. Routes call it only once the caller is known (a valid token,
// session or, for signed webhooks, the route itself), so an anonymous
// caller can never make the server buffer a body for a route that will
// refuse them anyway.
func readBody(c *fiber.Ctx, limit int) error {
	req := c.Request()
	if !req.IsBodyStream() {
		if len(req.Body()) > limit {
			return tooLarge(c, limit)
		}
		return nil
	}
	if req.Header.ContentLength() > limit {
		return tooLarge(c, limit)
	}
	buf := bytebufferpool.Get()
	defer bytebufferpool.Put(buf)
	n, err := io.Copy(buf, io.LimitReader(req.BodyStream(), int64(limit)+1))
	if err != nil {
		c.Context().SetConnectionClose()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fiber.ErrRequestTimeout
		}
		return bot.Errorf(bot.CodeMalformed, "the request body could not be read: %v", err)
	}
	if n > int64(limit) {
		return tooLarge(c, limit)
	}
	// SetBody copies into the request's pooled buffer and ends the stream.
	req.SetBody(buf.B)
	return nil
}

// tooLarge refuses a body over limit; the rest of it is never read, so
// the connection cannot carry another request.
func tooLarge(c *fiber.Ctx, limit int) error {
	c.Context().SetConnectionClose()
	if limit == BodyLimit {
		return fiber.ErrRequestEntityTooLarge
	}
	return bot.Errorf(bot.CodeTooLarge, "the request body is larger than this route's %s limit", byteSize(limit))
}

func byteSize(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// withBody is a route step that reads the body (up to BodyLimit) for
// routes whose caller is checked by the handler itself: the signed
// webhooks.
func withBody(c *fiber.Ctx) error {
	if err := readBody(c, BodyLimit); err != nil {
		return err
	}
	return c.Next()
}

// secureHeaders marks every response nosniff, so a browser never runs a
// text or JSON answer (say, an error echoing input) as HTML or script.
func secureHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Next()
}
