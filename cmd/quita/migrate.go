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
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
		return nil
	}
	fmt.Fprintf(stdout, "applied %d migration(s): %s\n", len(applied), strings.Join(applied, ", "))
	return nil
}
