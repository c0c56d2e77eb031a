// Command quita is the Quita service and its tools: serve, migrate,
// classify, version. main only adapts the process to run, which holds the
// wiring so end-to-end tests can drive it the same way.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// Embedded zone data: the business timezone must resolve even in a
	// minimal container without /usr/share/zoneinfo.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
