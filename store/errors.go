package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// isUniqueViolation recognises a unique-constraint failure on either
// engine. gorm's ErrDuplicatedKey is not produced by the modernc driver, so
// SQLite is matched by its extended result codes (2067 SQLITE_CONSTRAINT_UNIQUE,
// 1555 SQLITE_CONSTRAINT_PRIMARYKEY), which appear in its error text.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	msg := err.Error()
	return strings.Contains(msg, "(2067)") || strings.Contains(msg, "(1555)") || strings.Contains(msg, "UNIQUE constraint failed")
}
