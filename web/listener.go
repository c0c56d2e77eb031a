package web

import (
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// LimitListener caps the connections one client address may hold at
// lim.MaxConnsPerIP (0: no cap), and all connections at lim.MaxConns. A
// connection over a cap is answered in the contract's JSON shape (429 for
// one address, 503 for the whole instance) and closed before any request
// is read. (fasthttp's own caps answer in plain text, and in v1.51 its
// per-IP connection wrapper panics when closed twice, which fiber's
// shutdown does; its Concurrency stays as a backstop.) Serve the app with
// app.Listener(LimitListener(ln, lim)).
func LimitListener(ln net.Listener, lim Limits) net.Listener {
	if lim.MaxConnsPerIP <= 0 && lim.MaxConns <= 0 {
		return ln
	}
	return &ipListener{Listener: ln, max: lim.MaxConnsPerIP, total: lim.MaxConns, open: map[string]int{}, drains: make(chan struct{}, 256)}
}

type ipListener struct {
	net.Listener
	max   int // per address; 0: no cap
	total int // the instance; 0: no cap

	mu   sync.Mutex
	all  int
	open map[string]int
	// drains bounds the goroutines that linger on refused connections.
	drains chan struct{}
}

// tooManyConns and busy are the refusals, written straight to the socket:
// no request has been read, so fiber's error handler cannot write them.
var (
	tooManyConns = refusal("429 Too Many Requests", "rate_limited", "too many connections from your address; close some and try again")
	busy         = refusal("503 Service Unavailable", "unavailable", "the service is at its connection limit; try again shortly")
)

func refusal(status, code, message string) string {
	body := `{"error":{"code":"` + code + `","message":"` + message + `"}}`
	return "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n" +
		"Retry-After: 5\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

func (l *ipListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		l.mu.Lock()
		n := l.open[ip]
		overIP := l.max > 0 && n >= l.max
		overAll := l.total > 0 && l.all >= l.total
		if !overIP && !overAll {
			l.open[ip], l.all = n+1, l.all+1
		}
		l.mu.Unlock()
		switch {
		case overIP:
			l.refuse(c, tooManyConns)
		case overAll:
			l.refuse(c, busy)
		default:
			return &ipConn{Conn: c, l: l, ip: ip}, nil
		}
	}
}

// refuse writes answer (a 429 or 503) and closes. Closing a socket with unread request
// bytes resets it, which can destroy the answer before the client reads
// it, so when it can a goroutine first half-closes and drains briefly.
func (l *ipListener) refuse(c net.Conn, answer string) {
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, answer); err != nil {
		c.Close()
		return
	}
	select {
	case l.drains <- struct{}{}:
		go func() {
			defer func() { <-l.drains }()
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
			c.Close()
		}()
	default:
		c.Close()
	}
}

func (l *ipListener) release(ip string) {
	l.mu.Lock()
	l.all--
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
	l.mu.Unlock()
}

func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	return host
}

// ipConn gives its place back once, however often it is closed.
type ipConn struct {
	net.Conn
	l    *ipListener
	ip   string
	once sync.Once
}

func (c *ipConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
