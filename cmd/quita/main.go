// Command quita is the Quita service and its tools: serve, migrate,
// classify, version. main only adapts the process to run, which holds the
// wiring so end-to-end tests can drive it the same way.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/quitabot/quita/bot"

	// Embedded zone data: the business timezone must resolve even in a
	// minimal container without /usr/share/zoneinfo.
	_ "time/tzdata"
)

func main() {
	bot.TuneGC() // GOGC 400 unless set: see bot.DefaultGCPercent
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
