package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	// The pure-Go SQLite driver, registered as "sqlite". It is the only
	// SQLite driver imported: another pure-Go one would clash on the name.
	_ "modernc.org/sqlite"
)

// Dialect names the database engine behind a Store.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is the open database. DB is the shared *sql.DB; Gorm wraps it.
type Store struct {
	DB      *sql.DB
	Gorm    *gorm.DB
	Dialect Dialect
	// Location is the business time zone, in which settlements are dated
	// (invoice_settlements.on_date); nil means UTC. cmd/quita sets it.
	Location *time.Location
}

// Open connects to a database URL: "sqlite://PATH" (the directory is
// created) or "postgres://…"/"postgresql://…".
func Open(ctx context.Context, rawURL string) (*Store, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite://"))
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL)
	default:
		return nil, fmt.Errorf("store: unsupported database URL %q: use sqlite://PATH or postgres://…", redactURL(rawURL))
	}
}

// SQLiteDSN is the modernc DSN for path with the pragmas Quita relies on:
// foreign keys (also required by whatsmeow's sqlstore), WAL so readers do
// not block the writer, a busy timeout instead of immediate SQLITE_BUSY, and
// immediate transactions so a reader never fails to upgrade to a writer.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("store: sqlite URL has no path")
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("store: create database directory: %w", err)
		}
		if err := createPrivate(path); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	// SQLite has one writer at a time; a small pool keeps readers concurrent
	// under WAL without piling up writers waiting on the busy timeout.
	db.SetMaxOpenConns(4)
	return wrap(ctx, db, SQLite, sqlite.New(sqlite.Config{DriverName: "sqlite", Conn: db}))
}

// createPrivate creates the database file readable by its owner only
// (0600) when it does not exist yet. The file holds debtors' documents,
// transcripts and password hashes; SQLite gives its -wal and -shm files the
// main file's mode, so they follow. An existing file keeps the mode its
// operator chose.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: create database file: %w", err)
	}
	return f.Close()
}

func openPostgres(ctx context.Context, rawURL string) (*Store, error) {
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return wrap(ctx, db, Postgres, postgres.New(postgres.Config{Conn: db}))
}

func wrap(ctx context.Context, db *sql.DB, d Dialect, dialector gorm.Dialector) (*Store, error) {
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", d, err)
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: gorm: %w", err)
	}
	return &Store{DB: db, Gorm: g, Dialect: d}, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }

// Close closes the shared connection pool.
func (s *Store) Close() error { return s.DB.Close() }

// redactURL hides a password in a URL for error messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
