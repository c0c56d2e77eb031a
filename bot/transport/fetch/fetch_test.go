package fetch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/transport/fetch"
)

var pdf = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

func TestPublicRefusesInternalAddresses(t *testing.T) {
	for _, s := range []string{
		"127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1",
		"169.254.169.254",               // cloud metadata
		"100.64.0.1", "100.100.100.200", // CGNAT, Alibaba metadata
		"0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.0.192",
		"::", "::1", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:169.254.169.254", // IPv4-mapped
		"64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
		"2002:7f00:1::1",     // 6to4 of 127.0.0.1
	} {
		if fetch.Public(netip.MustParseAddr(s)) {
			t.Errorf("Public(%s) = true, want refused", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "200.221.2.45", "2001:4860:4860::8888", "64:ff9b::808:808"} {
		if !fetch.Public(netip.MustParseAddr(s)) {
			t.Errorf("Public(%s) = false, want allowed", s)
		}
	}
}

// permitPort lets the fetcher reach only the given httptest server.
func permitPort(srv *httptest.Server) func(netip.AddrPort) bool {
	u, _ := url.Parse(srv.URL)
	allowed := netip.MustParseAddrPort(u.Host)
	return func(ap netip.AddrPort) bool { return ap == allowed }
}

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestPDFFetchesAPDFFromAPermittedServer(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(pdf)
	})
	got, err := fetch.New(fetch.Options{Permit: permitPort(srv)}).PDF(context.Background(), srv.URL+"/INV-1.pdf")
	if err != nil || string(got) != string(pdf) {
		t.Fatalf("PDF = %q, %v", got, err)
	}
}

func TestPDFRefuses(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(pdf)
	}
	internal := serve(t, ok) // stands for a service inside the network
	entry := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/secret.pdf", http.StatusFound)
	})
	loop := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	})
	big := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(pdf)
		w.Write([]byte(strings.Repeat("0", 2048)))
	})
	html := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>login</html>"))
	})
	lying := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("<html>not found</html>"))
	})
	slow := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	port := func(srv *httptest.Server) string { u, _ := url.Parse(srv.URL); return u.Port() }
	for _, tc := range []struct {
		name      string
		url       string
		opts      fetch.Options
		want      string
		retryable bool
	}{
		{"loopback", internal.URL + "/a.pdf", fetch.Options{}, "not public", false},
		{"a name that resolves to loopback", "http://localhost:" + port(internal) + "/a.pdf", fetch.Options{}, "not public", false},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/", fetch.Options{}, "not public", false},
		{"a redirect to loopback", entry.URL + "/INV-1.pdf", fetch.Options{Permit: permitPort(entry)}, "not public", false},
		{"endless redirects", loop.URL + "/r", fetch.Options{Permit: permitPort(loop)}, "redirects", false},
		{"an oversized body", big.URL + "/big.pdf", fetch.Options{Permit: permitPort(big), MaxBytes: 1024}, "more than", false},
		{"HTML", html.URL + "/a.pdf", fetch.Options{Permit: permitPort(html)}, "not a PDF", false},
		{"HTML called a PDF", lying.URL + "/a.pdf", fetch.Options{Permit: permitPort(lying)}, "not a PDF", false},
		{"a server that does not answer in time", slow.URL + "/a.pdf", fetch.Options{Permit: permitPort(slow), Timeout: 200 * time.Millisecond}, "", true},
		{"not http", "file:///etc/passwd", fetch.Options{}, "not an http(s) URL", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fetch.New(tc.opts).PDF(context.Background(), tc.url)
			if err == nil {
				t.Fatalf("PDF = %q, want a refusal", got)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
			var retry *bot.RetryableError
			if isRetry := errors.As(err, &retry); isRetry != tc.retryable {
				t.Errorf("error %q retryable: %v, want %v", err, isRetry, tc.retryable)
			}
		})
	}
}
