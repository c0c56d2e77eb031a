package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/quitabot/quita/bot"
)

// Defaults of Options.
const (
	DefaultMaxBytes     = 10 << 20 // WhatsApp takes documents up to 100 MB; an invoice is well under 1
	DefaultTimeout      = 20 * time.Second
	DefaultMaxRedirects = 3
)

// ErrRefusedAddress is wrapped by the error of a fetch that would have
// connected to an address that is not public (see Public).
var ErrRefusedAddress = errors.New("fetch: the address is not public")

// errRedirect is wrapped by checkRedirect's refusals; the client hands it
// back inside a *url.Error, which unwraps to it.
var errRedirect = errors.New("fetch: redirect refused")

// Options configure a Fetcher; the zero value is the safe default.
type Options struct {
	MaxBytes     int64         // a larger body is refused; 0 means DefaultMaxBytes
	Timeout      time.Duration // for the whole fetch, redirects included; 0 means DefaultTimeout
	MaxRedirects int           // 0 means DefaultMaxRedirects; negative means none
	// Permit lets a test reach an httptest server on loopback: an address
	// Public refuses is allowed when Permit returns true for it. Production
	// code leaves it nil; nothing in configuration sets it.
	Permit func(netip.AddrPort) bool
}

// Fetcher downloads PDFs from untrusted URLs. It is safe for concurrent use.
type Fetcher struct {
	opts   Options
	client *http.Client
}

// New returns a Fetcher with opts, defaults filled in.
func New(opts Options) *Fetcher {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	f := &Fetcher{opts: opts}
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: f.control}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would connect where the Control hook cannot see
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
	}
	f.client = &http.Client{Transport: transport, Timeout: opts.Timeout, CheckRedirect: f.checkRedirect}
	return f
}

// control runs after DNS resolution, just before each connection, with the
// address being dialled: the only place a check cannot be raced by a
// second resolution.
func (f *Fetcher) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP address and port", ErrRefusedAddress, address)
	}
	if Public(ap.Addr()) || f.opts.Permit != nil && f.opts.Permit(ap) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrRefusedAddress, ap.Addr())
}

// checkRedirect bounds redirects and keeps them on http(s); where they
// lead is checked when they connect.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if f.opts.MaxRedirects < 0 || len(via) > f.opts.MaxRedirects {
		return fmt.Errorf("%w: more than %d redirects", errRedirect, max(f.opts.MaxRedirects, 0))
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: to a %q URL", errRedirect, req.URL.Scheme)
	}
	return nil
}

// PDF downloads the PDF at url. An error worth retrying later (a timeout,
// a 5xx, a 429, a dropped connection) is wrapped with bot.Retryable; a
// refused address, a redirect loop, an oversized body or something that
// is not a PDF fails for good, since asking again gives the same answer.
func (f *Fetcher) PDF(ctx context.Context, url string) ([]byte, error) {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return nil, fmt.Errorf("fetch: %q is not an http(s) URL", url)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	req.Header.Set("Accept", "application/pdf")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrRefusedAddress) || errors.Is(err, errRedirect) {
			return nil, fmt.Errorf("fetch %s: %w", req.URL.Host, err)
		}
		return nil, bot.Retryable(fmt.Errorf("fetch %s: %w", req.URL.Host, err))
	}
	defer resp.Body.Close()
	host := resp.Request.URL.Host // where the redirects ended
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("fetch: %s answered %d", host, resp.StatusCode)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return nil, bot.Retryable(err)
		}
		return nil, err
	}
	if resp.ContentLength > f.opts.MaxBytes {
		return nil, fmt.Errorf("fetch: %s announced %d bytes, more than the %d allowed", host, resp.ContentLength, f.opts.MaxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBytes+1))
	if err != nil {
		return nil, bot.Retryable(fmt.Errorf("fetch: read from %s: %w", host, err))
	}
	if int64(len(data)) > f.opts.MaxBytes {
		return nil, fmt.Errorf("fetch: %s sent more than the %d bytes allowed", host, f.opts.MaxBytes)
	}
	if !isPDF(resp.Header.Get("Content-Type"), data) {
		return nil, fmt.Errorf("fetch: %s sent %q, not a PDF", host, resp.Header.Get("Content-Type"))
	}
	return data, nil
}

// isPDF accepts a body that starts like a PDF, whatever the server called
// it (octet-stream is common), and a body the server calls application/pdf
// only if it also starts like one: a "PDF" that is an HTML error page
// would reach the debtor as a broken file.
func isPDF(contentType string, data []byte) bool {
	head := data[:min(len(data), 1024)] // readers accept the header anywhere in the first KiB
	if !bytes.Contains(head, []byte("%PDF-")) {
		return false
	}
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/pdf" || mt == "application/octet-stream" || mt == "binary/octet-stream" ||
		mt == "application/x-pdf" || mt == "application/force-download")
}
