// Package storetest opens real, migrated databases for tests: SQLite in a
// temporary directory always, and PostgreSQL in a throwaway schema when
// QUITA_TEST_DATABASE_URL is set, so every suite runs on both engines.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/quitabot/quita/store"
)

// EnvDatabaseURL names the variable that enables the PostgreSQL runs.
const EnvDatabaseURL = "QUITA_TEST_DATABASE_URL"

// Backend is one database a suite runs on.
type Backend struct {
	Name string
	Open func(t testing.TB) *store.Store
}

// Backends lists SQLite and, when configured, PostgreSQL.
func Backends() []Backend {
	bs := []Backend{{Name: "sqlite", Open: OpenSQLite}}
	if os.Getenv(EnvDatabaseURL) != "" {
		bs = append(bs, Backend{Name: "postgres", Open: OpenPostgres})
	}
	return bs
}

// Each runs fn as a subtest on every backend.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}

// OpenSQLite returns a migrated SQLite store in t's temporary directory.
func OpenSQLite(t testing.TB) *store.Store { return openMigrated(t, SQLiteURL(t)) }

// OpenPostgres returns a migrated store in a fresh PostgreSQL schema.
func OpenPostgres(t testing.TB) *store.Store { return openMigrated(t, PostgresURL(t)) }

// SQLiteURL returns the URL of a new, empty SQLite database under t's
// temporary directory.
func SQLiteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "quita.db")
}

// PostgresURL creates a fresh schema in the database named by
// QUITA_TEST_DATABASE_URL and returns a URL whose search_path selects it;
// the schema is dropped when t ends. It skips t when the variable is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		t.Skip(EnvDatabaseURL + " not set")
	}
	schema := "quita_test_" + randomHex(6)
	admin, err := store.Open(context.Background(), base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvDatabaseURL, err)
	}
	defer admin.Close()
	if _, err := admin.DB.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if a, err := store.Open(context.Background(), base); err == nil {
			_, _ = a.DB.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvDatabaseURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// URLFor returns a fresh database URL for the named backend.
func URLFor(t testing.TB, backend string) string {
	if backend == "postgres" {
		return PostgresURL(t)
	}
	return SQLiteURL(t)
}

func openMigrated(t testing.TB, rawURL string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatalf("open %s: %v", rawURL, err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
