package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The first hour of a new user (issue 14): what `serve` does before it
// serves, when something is wrong, and what the demo reaches.

func TestDemoLeavesWhatsAppOffUnlessAsked(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want bool
	}{
		// The demo touches nothing outside the machine: no whatsmeow
		// connection, no DNS lookups that fail offline.
		{"demo", []string{"--demo"}, nil, false},
		{"demo with QUITA_WHATSAPP=on", []string{"--demo"}, map[string]string{"QUITA_WHATSAPP": "on"}, true},
		{"demo with --whatsapp on", []string{"--demo", "--whatsapp", "on"}, nil, true},
		{"demo with QUITA_WHATSAPP=off", []string{"--demo"}, map[string]string{"QUITA_WHATSAPP": "off"}, false},
		// Without the demo the contract's default stands.
		{"serve", nil, nil, true},
	}
	for _, c := range cases {
		cfg, _, err := loadConfig("serve", c.args, func(k string) string { return c.env[k] }, io.Discard, true)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.WhatsApp != c.want {
			t.Errorf("%s: WhatsApp = %v, want %v", c.name, cfg.WhatsApp, c.want)
		}
	}
}

func TestDemoWithWhatsAppOnStillGetsTheTestDocument(t *testing.T) {
	// An explicit QUITA_WHATSAPP=on with --demo links a number; the
	// built-in policy then needs its test CNPJ or requireDocument stops it.
	cfg, _, err := loadConfig("serve", []string{"--demo"}, func(k string) string {
		return map[string]string{"QUITA_WHATSAPP": "on", "QUITA_CONFIG": filepath.Join(t.TempDir(), "absent.yaml")}[k]
	}, io.Discard, true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.policyExplicit = false // the default path, absent: the built-in policy
	cfg.Addr = "127.0.0.1:0"
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "q.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := start(ctx, cfg, io.Discard, io.Discard)
	if err != nil {
		t.Fatalf("serve --demo with QUITA_WHATSAPP=on: %v", err)
	}
	defer svc.close()
	if svc.policy.Company.Document == "" || svc.whatsapp == nil {
		t.Fatalf("document %q, whatsapp %v", svc.policy.Company.Document, svc.whatsapp != nil)
	}
}

// failedStart runs `serve --demo` with env over a fresh SQLite path and
// reports what it left behind: whether the database file exists, and
// what it printed on stdout (where the one-time secrets go).
func failedStart(t *testing.T, env map[string]string) (code int, stdout, stderr string, dbExists bool) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "sub", "quita.db")
	full := map[string]string{"QUITA_DATABASE_URL": "sqlite://" + db, "QUITA_WHATSAPP": "off", "QUITA_ADDR": "127.0.0.1:0"}
	for k, v := range env {
		full[k] = v
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code = run(ctx, []string{"serve", "--demo"}, func(k string) string { return full[k] }, nil, &out, &errOut)
	_, err := os.Stat(db)
	return code, out.String(), errOut.String(), err == nil
}

func TestBadSettingsStopStartUpBeforeAnySideEffect(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	bad := []struct{ key, value, want string }{
		{"QUITA_ADDR", ":99999", "QUITA_ADDR: port 99999"},
		{"QUITA_ADDR", ":-1", "QUITA_ADDR:"},
		{"QUITA_ADDR", "127.0.0.1:nope", "QUITA_ADDR:"},
		// A port someone else holds is only found by binding it: still
		// before the database is touched.
		{"QUITA_ADDR", taken.Addr().String(), "QUITA_ADDR: cannot listen"},
		{"QUITA_PUBLIC_URL", "https://", "QUITA_PUBLIC_URL: the URL has no host"},
		{"QUITA_PUBLIC_URL", "https://quita.example:70000", "QUITA_PUBLIC_URL: port 70000"},
		{"QUITA_CLOUDAPI_BASE_URL", "http://graph.example:0x50", "QUITA_CLOUDAPI_BASE_URL:"},
		{"QUITA_REDIS_URL", "redis://[::1", "QUITA_REDIS_URL: not a valid URL"},
		{"QUITA_DATABASE_URL", "sqlite://", "QUITA_DATABASE_URL: sqlite:// needs a file path"},
	}
	for _, b := range bad {
		env := map[string]string{b.key: b.value}
		if b.key == "QUITA_CLOUDAPI_BASE_URL" {
			env["QUITA_CLOUDAPI_PHONE_NUMBER_ID"], env["QUITA_CLOUDAPI_TOKEN"] = "1", "t"
			env["QUITA_CLOUDAPI_APP_SECRET"], env["QUITA_CLOUDAPI_VERIFY_TOKEN"] = "s", "v"
		}
		code, stdout, stderr, dbExists := failedStart(t, env)
		last := strings.TrimSpace(stderr)
		if i := strings.LastIndex(last, "\n"); i >= 0 {
			last = last[i+1:]
		}
		if code == 0 || !strings.Contains(last, b.want) {
			t.Errorf("%s=%s: exit %d, stderr %q; want a line containing %q", b.key, b.value, code, stderr, b.want)
		}
		if stdout != "" || dbExists {
			t.Errorf("%s=%s: side effects before failing: stdout %q, database created %v", b.key, b.value, stdout, dbExists)
		}
	}
}

func TestOneLineKeepsTheCause(t *testing.T) {
	// pgx's error for an unreachable server: the cause is on line two.
	got := oneLine("store: connect to postgres: failed to connect to `user=quita database=quita`:\n\t127.0.0.1:5432 (127.0.0.1): dial error: dial tcp 127.0.0.1:5432: connect: connection refused\n")
	want := "store: connect to postgres: failed to connect to `user=quita database=quita`: 127.0.0.1:5432 (127.0.0.1): dial error: dial tcp 127.0.0.1:5432: connect: connection refused"
	if got != want {
		t.Fatalf("oneLine:\n got %q\nwant %q", got, want)
	}
}

func TestUnreachablePostgreSQLSaysWhy(t *testing.T) {
	policyFile := filepath.Join(t.TempDir(), "quita.yaml")
	os.WriteFile(policyFile, []byte("company:\n  name: Acme\n  document: 11.222.333/0001-81\n"), 0o600)
	env := map[string]string{"QUITA_DATABASE_URL": "postgres://quita@127.0.0.1:1/quita?connect_timeout=2", "QUITA_CONFIG": policyFile}
	var errOut bytes.Buffer
	code := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, &errOut)
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if code == 0 || len(lines) != 1 || !strings.Contains(lines[0], "connect: connection refused") {
		t.Fatalf("exit %d, stderr %q; want one line with the driver's cause", code, errOut.String())
	}
}

func TestUnreachableRedisPrintsOneLine(t *testing.T) {
	// go-redis logs through the standard logger to the process's stderr,
	// which only a child process shows.
	bin := buildQuita(t)
	policyFile := filepath.Join(t.TempDir(), "quita.yaml")
	os.WriteFile(policyFile, []byte("company:\n  name: Acme\n  document: 11.222.333/0001-81\n"), 0o600)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "QUITA_ADDR=127.0.0.1:0", "QUITA_WHATSAPP=off", "QUITA_CONFIG="+policyFile,
		"QUITA_DATABASE_URL=sqlite://"+filepath.Join(t.TempDir(), "q.db"), "QUITA_REDIS_URL=redis://127.0.0.1:1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if err == nil || len(lines) != 1 || !strings.HasPrefix(lines[0], "quita: QUITA_REDIS_URL: ") || !strings.Contains(lines[0], "connection refused") {
		t.Fatalf("exit %v, stderr %q; want the one line naming QUITA_REDIS_URL and the cause", err, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Fatalf("printed before failing on Redis: %q", stdout.String())
	}
}
