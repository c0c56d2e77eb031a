package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

// A simulator session lives on the server: it ends at its expiry, with the
// console session it was opened from, and when its admin is disabled.
func TestSimSessionsEndOnExpiryLogoutAndDisable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.CreateAgent(ctx, store.Agent{ID: "agt_root", Name: "root", Role: store.RoleAdmin, CreatedAt: t0}, "h"); err != nil {
			t.Fatal(err)
		}
		console := store.ConsoleSession{IDHash: "console1", AgentID: "agt_root", CSRF: "c", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(2 * time.Hour)}
		if err := s.CreateConsoleSession(ctx, console); err != nil {
			t.Fatal(err)
		}
		fromConsole := store.SimSession{IDHash: "sim1", AgentID: "agt_root", ConsoleSession: "console1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		byToken := store.SimSession{IDHash: "sim2", TokenTag: "tag", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		for _, ss := range []store.SimSession{fromConsole, byToken} {
			if err := s.CreateSimSession(ctx, ss); err != nil {
				t.Fatal(err)
			}
		}
		got, agent, err := s.SimSession(ctx, "sim1", t0.Add(time.Minute))
		if err != nil || agent.Name != "root" || got.ConsoleSession != "console1" {
			t.Fatalf("console-opened session: %+v %+v %v", got, agent, err)
		}
		got, agent, err = s.SimSession(ctx, "sim2", t0.Add(time.Minute))
		if err != nil || agent.ID != "" || got.TokenTag != "tag" || got.AgentID != "" {
			t.Fatalf("token holder's session: %+v %+v %v", got, agent, err)
		}
		if _, _, err := s.SimSession(ctx, "sim2", t0.Add(time.Hour)); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("expired session: %v", err)
		}
		// Logging out of the console ends the simulator session opened from it.
		if err := s.DeleteConsoleSession(ctx, "console1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SimSession(ctx, "sim1", t0.Add(time.Minute)); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("simulator session after the console logout: %v", err)
		}
		// Disabling the admin ends theirs, even one whose console session lives.
		if err := s.CreateConsoleSession(ctx, store.ConsoleSession{IDHash: "console2", AgentID: "agt_root", CSRF: "c", CreatedAt: t0,
			LastSeenAt: t0, ExpiresAt: t0.Add(2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSimSession(ctx, store.SimSession{IDHash: "sim3", AgentID: "agt_root", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAgentDisabled(ctx, "root", true, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAgentDisabled(ctx, "root", false, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SimSession(ctx, "sim3", t0.Add(time.Minute)); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("simulator session after disabling its admin: %v", err)
		}
		if n, err := s.DeleteExpiredSimSessions(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
	})
}

// A sign-in code works once, and not after it expires.
func TestSignInCodesAreSingleUseAndShortLived(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.CreateSignInCode(ctx, "code1", "tag", t0, t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSignInCode(ctx, "code2", "tag", t0, t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if tag, err := s.RedeemSignInCode(ctx, "code1", t0.Add(time.Minute)); err != nil || tag != "tag" {
			t.Fatalf("first use: %q %v", tag, err)
		}
		if _, err := s.RedeemSignInCode(ctx, "code1", t0.Add(time.Minute)); !errors.Is(err, store.ErrNoCode) {
			t.Fatalf("second use: %v", err)
		}
		if _, err := s.RedeemSignInCode(ctx, "code2", t0.Add(10*time.Minute)); !errors.Is(err, store.ErrNoCode) {
			t.Fatalf("expired code: %v", err)
		}
	})
}

// Failures count per key with a growing block; a quiet window forgets them.
func TestLoginFailuresBackOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		backoff := func(n int) time.Duration { return time.Duration(n) * time.Minute }
		if until, err := s.LoginBlockedUntil(ctx, "k"); err != nil || !until.IsZero() {
			t.Fatalf("fresh key: %v %v", until, err)
		}
		for i := 1; i <= 3; i++ {
			n, until, err := s.RecordLoginFailure(ctx, "k", t0, 15*time.Minute, backoff)
			if err != nil || n != i || !until.Equal(t0.Add(time.Duration(i)*time.Minute)) {
				t.Fatalf("failure %d: %d %v %v", i, n, until, err)
			}
		}
		if until, err := s.LoginBlockedUntil(ctx, "k"); err != nil || !until.Equal(t0.Add(3*time.Minute)) {
			t.Fatalf("blocked until %v %v", until, err)
		}
		if until, _ := s.LoginBlockedUntil(ctx, "other"); !until.IsZero() {
			t.Fatal("another key is blocked")
		}
		if n, _, err := s.RecordLoginFailure(ctx, "k", t0.Add(20*time.Minute), 15*time.Minute, backoff); err != nil || n != 1 {
			t.Fatalf("failure after a quiet window: %d %v", n, err)
		}
		if n, err := s.DeleteStaleLoginFailures(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if _, _, err := s.RecordLoginFailure(ctx, "k", t0, 15*time.Minute, backoff); err != nil {
			t.Fatal(err)
		}
		if err := s.ClearLoginFailures(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if until, _ := s.LoginBlockedUntil(ctx, "k"); !until.IsZero() {
			t.Fatal("cleared key still blocked")
		}
	})
}

// The SQLite database and its WAL files hold debtors' data: only their
// owner may read them.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	path := filepath.Join(t.TempDir(), "sub", "quita.db")
	s, err := store.Open(context.Background(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(name), err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(name), mode)
		}
	}
}
