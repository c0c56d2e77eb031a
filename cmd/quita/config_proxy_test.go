package main

import (
	"io"
	"strings"
	"testing"
)

// The proxy header is only believed from named proxies: one without the
// other, or a bad CIDR, stops the start with the variable named.
func TestTrustedProxySettings(t *testing.T) {
	cases := []struct {
		header, proxies, wantErr string
	}{
		{"", "", ""},
		{"X-Forwarded-For", "10.0.0.0/8, 192.168.1.10", ""},
		{"X-Forwarded-For", "", "QUITA_TRUSTED_PROXIES: required"},
		{"", "10.0.0.0/8", "QUITA_TRUSTED_PROXY_HEADER: required"},
		{"X-Forwarded-For", "10.0.0.0/40", "QUITA_TRUSTED_PROXIES:"},
	}
	for _, c := range cases {
		env := map[string]string{"QUITA_TRUSTED_PROXY_HEADER": c.header, "QUITA_TRUSTED_PROXIES": c.proxies}
		cfg, _, err := loadConfig("serve", nil, func(k string) string { return env[k] }, io.Discard, false)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%q %q: %v", c.header, c.proxies, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%q %q: %v, want %q", c.header, c.proxies, err, c.wantErr)
		case c.wantErr == "" && c.proxies != "" && len(cfg.Proxies.Networks) != 2:
			t.Errorf("parsed %+v", cfg.Proxies)
		}
	}
}
