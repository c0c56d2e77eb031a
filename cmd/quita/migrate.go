package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/quitabot/quita/store"
)

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfig("migrate", args, getenv, stderr, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("migrate: unexpected argument %q", rest[0])
	}
	st, applied, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
		return nil
	}
	fmt.Fprintf(stdout, "applied %d migration(s): %s\n", len(applied), strings.Join(applied, ", "))
	return nil
}

// openMigrated opens the configured database and brings its schema up to
// date, as every command that touches data does: on a fresh or older
// database the commands then fail on what they look for ("not found"), not
// on a missing table.
func openMigrated(ctx context.Context, cfg *config) (*store.Store, []string, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	applied, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, applied, nil
}
