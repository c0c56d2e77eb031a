package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

func TestAgentCommand(t *testing.T) {
	db := storetest.SQLiteURL(t)
	getenv := func(k string) string {
		if k == "QUITA_DATABASE_URL" {
			return db
		}
		return ""
	}
	quita := func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, _ := quita("", "agent", "add", "ana")
	m := regexp.MustCompile(`generated password \(shown only now\):\n  (\S+)\n`).FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "role agent") {
		t.Fatalf("add with a generated password: %d %q", code, out)
	}
	if code, out, _ := quita("s3cret-password\n", "agent", "add", "--role=admin", "root", "--password-stdin"); code != 0 || strings.Contains(out, "generated") {
		t.Fatalf("add with a given password: %d %q", code, out)
	}
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"agent", "add", "ana"}, "already exists"},
		{"", []string{"agent", "add", "ana", "maria"}, "name exactly one agent"},
		{"", []string{"agent", "add", "Ana"}, "lower-case"},
		{"", []string{"agent", "add", "bia", "--role", "root"}, "--role must be agent or admin"},
		{"short\n", []string{"agent", "add", "bia", "--password-stdin"}, "at least 8"},
		{"", []string{"agent", "add", "bia", "--password-stdin"}, "holds no password"},
		{"", []string{"agent", "disable", "nobody"}, "not found"},
		{"", []string{"agent", "frobnicate"}, "unknown command"},
		{"", []string{"agent"}, "usage"},
	} {
		code, _, errOut := quita(c.stdin, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: %d %q, want a one-line error with %q", c.args, code, errOut, c.want)
		}
	}
	if code, _, _ := quita("", "agent", "disable", "ana"); code != 0 {
		t.Fatal("disable failed")
	}
	code, out, _ = quita("", "agent", "list")
	if code != 0 || !regexp.MustCompile(`ana\s+agent\s+disabled`).MatchString(out) || !regexp.MustCompile(`root\s+admin\s+active`).MatchString(out) {
		t.Fatalf("list: %d\n%s", code, out)
	}
	if code, out, _ := quita("new-password-1\n", "agent", "passwd", "ana", "--password-stdin"); code != 0 || !strings.Contains(out, "sessions ended") {
		t.Fatalf("passwd: %d %q", code, out)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, hash, err := st.AgentCredentials(context.Background(), "ana")
	if err != nil || bcrypt.CompareHashAndPassword([]byte(hash), []byte("new-password-1")) != nil {
		t.Fatalf("the new password is not the stored bcrypt hash: %v", err)
	}
	if code, out, _ := quita("", "agent", "--help"); code != 0 || !strings.Contains(out, "quita agent COMMAND") {
		t.Fatalf("help: %d %q", code, out)
	}
}
