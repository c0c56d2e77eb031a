package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/web"
)

func TestLimitsComeFromTheEnvironment(t *testing.T) {
	env := map[string]string{"QUITA_MAX_CONNS_PER_IP": "0", "QUITA_READ_TIMEOUT": "5s", "QUITA_MAX_STREAMS_PER_SESSION": "3"}
	cfg, _, err := loadConfig("serve", nil, func(k string) string { return env[k] }, io.Discard, false)
	if err != nil {
		t.Fatal(err)
	}
	want := web.DefaultLimits()
	want.MaxConnsPerIP, want.ReadTimeout, want.MaxStreamsPerSession = 0, 5*time.Second, 3
	if cfg.Limits != want {
		t.Fatalf("limits: %+v, want %+v", cfg.Limits, want)
	}
	cfg, _, err = loadConfig("serve", []string{"--max-conns", "100"}, func(string) string { return "" }, io.Discard, false)
	if err != nil || cfg.Limits.MaxConns != 100 {
		t.Fatalf("--max-conns: %v %+v", err, cfg.Limits)
	}
	for k, v := range map[string]string{"QUITA_MAX_CONNS": "0", "QUITA_MAX_CONNS_PER_IP": "-1", "QUITA_READ_TIMEOUT": "10",
		"QUITA_IDLE_TIMEOUT": "1ms", "QUITA_MAX_HEADER_BYTES": "100", "QUITA_MAX_STREAMS": "many"} {
		_, _, err := loadConfig("serve", nil, func(e string) string {
			if e == k {
				return v
			}
			return ""
		}, io.Discard, false)
		if err == nil || !strings.HasPrefix(err.Error(), k+":") {
			t.Errorf("%s=%s: %v; want an error naming it", k, v, err)
		}
	}
}
