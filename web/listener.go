package web

import (
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// LimitListener caps the connections one client address may hold at
// lim.MaxConnsPerIP (0: no cap). A connection over the cap is answered
// 429 in the contract's JSON shape and closed before any request is
// read. (fasthttp's own MaxConnsPerIP answers in plain text, and in
// v1.51 its connection wrapper panics when closed twice, which fiber's
// shutdown does.) Serve the app with app.Listener(LimitListener(ln, lim)).
func LimitListener(ln net.Listener, lim Limits) net.Listener {
	if lim.MaxConnsPerIP <= 0 {
		return ln
	}
	return &ipListener{Listener: ln, max: lim.MaxConnsPerIP, open: map[string]int{}, drains: make(chan struct{}, 256)}
}

type ipListener struct {
	net.Listener
	max int

	mu   sync.Mutex
	open map[string]int
	// drains bounds the goroutines that linger on refused connections.
	drains chan struct{}
}

// tooManyConns is the refusal, written straight to the socket: no request
// has been read, so fiber's error handler cannot write it.
var tooManyConns = func() string {
	body := `{"error":{"code":"rate_limited","message":"too many connections from your address; close some and try again"}}`
	return "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n" +
		"Retry-After: 5\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}()

func (l *ipListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		l.mu.Lock()
		n := l.open[ip]
		if n < l.max {
			l.open[ip] = n + 1
		}
		l.mu.Unlock()
		if n < l.max {
			return &ipConn{Conn: c, l: l, ip: ip}, nil
		}
		l.refuse(c)
	}
}

// refuse answers 429 and closes. Closing a socket with unread request
// bytes resets it, which can destroy the answer before the client reads
// it, so when it can a goroutine first half-closes and drains briefly.
func (l *ipListener) refuse(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, tooManyConns); err != nil {
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
