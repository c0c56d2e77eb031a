package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one forward-only schema step.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// dialectTokens adapts the few types SQLite and PostgreSQL spell
// differently, so one file serves both. A one-line statement that starts
// with {{POSTGRES}} runs on PostgreSQL only: on SQLite it becomes a
// comment, which splitStatements drops.
var dialectTokens = map[Dialect]*strings.Replacer{
	SQLite:   strings.NewReplacer("{{TIMESTAMP}}", "DATETIME", "{{BLOB}}", "BLOB", "{{POSTGRES}}", "-- "),
	Postgres: strings.NewReplacer("{{TIMESTAMP}}", "TIMESTAMPTZ", "{{BLOB}}", "BYTEA", "{{POSTGRES}}", ""),
}

func loadMigrations(d Dialect) ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with a number and '_'", base)
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{Version: version, Name: base, SQL: dialectTokens[d].Replace(string(body))})
	}
	return out, nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction, and returns the names applied. On PostgreSQL an advisory
// lock keeps instances starting together from racing.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	all, err := loadMigrations(s.Dialect)
	if err != nil {
		return nil, err
	}
	var applied []string
	// One connection for the whole run, so PostgreSQL's session advisory
	// lock covers creating schema_migrations too: instances starting
	// together take turns instead of racing on the catalog.
	err = s.Gorm.WithContext(ctx).Connection(func(db *gorm.DB) error {
		if s.Dialect == Postgres {
			if err := db.Exec("SELECT pg_advisory_lock(7263521000)").Error; err != nil {
				return fmt.Errorf("store: migration lock: %w", err)
			}
			defer db.Exec("SELECT pg_advisory_unlock(7263521000)")
		}
		var err error
		applied, err = s.migrateOn(db, all)
		return err
	})
	return applied, err
}

func (s *Store) migrateOn(db *gorm.DB, all []migration) ([]string, error) {
	if err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ` +
		dialectTokens[s.Dialect].Replace("{{TIMESTAMP}}") + ` NOT NULL)`).Error; err != nil {
		return nil, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	var applied []string
	for _, m := range all {
		done, err := s.applyMigration(db, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

func (s *Store) applyMigration(db *gorm.DB, m migration) (bool, error) {
	applied := false
	err := db.Transaction(func(tx *gorm.DB) error {
		if s.Dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7263521001)").Error; err != nil {
				return err
			}
		}
		var n int64
		if err := tx.Raw("SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.Version).Scan(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, stmt := range splitStatements(m.SQL) {
			if err := tx.Exec(stmt).Error; err != nil {
				return fmt.Errorf("%w\n%s", err, stmt)
			}
		}
		applied = true
		return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, time.Now().UTC()).Error
	})
	if err != nil {
		return false, fmt.Errorf("store: migration %s: %w", m.Name, err)
	}
	return applied, nil
}

// splitStatements splits a migration on semicolons at line ends and drops
// comment-only lines; migrations are written one statement per block and
// never put a ';' at the end of a line inside a string.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}
