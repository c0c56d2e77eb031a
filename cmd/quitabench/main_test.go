package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quitabot/quita/cmd/quitabench/loadgen"
)

func TestRefusesARemoteURLWithOneLine(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-url", "http://quita.example.com:8080", "-token", "x"}, func(string) string { return "" }, &out, &errOut)
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], `"quita.example.com" is not a loopback address`) {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestSecretsComeFromTheEnvironment(t *testing.T) {
	env := map[string]string{"QUITA_API_TOKEN": "from-env", "QUITA_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	cfg, _, err := parseFlags([]string{"-mode", "mixed"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.Token != "from-env" || cfg.WebhookSecret != env["QUITA_WEBHOOK_SECRET"] {
		t.Fatalf("%+v %v", cfg, err)
	}
	cfg, _, _ = parseFlags([]string{"-token", "from-flag"}, func(k string) string { return env[k] }, io.Discard)
	if cfg.Token != "from-flag" {
		t.Fatalf("the flag must win: %q", cfg.Token)
	}
	if _, _, err := parseFlags([]string{"-n", "0"}, func(k string) string { return env[k] }, io.Discard); err == nil {
		t.Fatal("-n 0 accepted")
	}
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, func(string) string { return "" }, io.Discard, &errOut); code != 0 || !strings.Contains(errOut.String(), "-duration") {
		t.Fatalf("-h: %d %q", code, errOut.String())
	}
}

func TestJSONReport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"replies":[{"text":"olá"}]}`)
	}))
	defer srv.Close()
	var out bytes.Buffer
	code := run(context.Background(), []string{"-url", srv.URL, "-token", "t", "-n", "50", "-concurrency", "5", "-json"},
		func(string) string { return "" }, &out, io.Discard)
	var rep loadgen.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || code != 0 || rep.Requests != 50 || rep.Replies != 50 || rep.Errors != 0 {
		t.Fatalf("exit %d, report %s (%v)", code, out.String(), err)
	}
}
