// Command quitabench drives a running Quita on this machine with many
// concurrent debtors — simulator messages and signed billing webhooks — and
// reports throughput, p50/p95/p99/max latency and errors. Runs are bounded
// in requests and time, and only loopback URLs are accepted.
//
//	quitabench -url http://127.0.0.1:8080 -mode inbound -debtors 5000 -concurrency 64 -n 100000 -duration 60s -seed-invoices
//
// The token and webhook secret come from -token / -webhook-secret or
// QUITA_API_TOKEN / QUITA_WEBHOOK_SECRET. docs/benchmarks.md shows the
// figures it produced and the exact commands.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/quitabot/quita/cmd/quitabench/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the whole command; tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, asJSON, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "quitabench: "+err.Error())
		return 2
	}
	report, err := loadgen.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "quitabench: "+strings.SplitN(err.Error(), "\n", 2)[0])
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(report)
	} else {
		report.WriteText(stdout)
	}
	if report.Errors > 0 {
		return 1
	}
	return 0
}

// parseFlags reads the command line; secrets fall back to the variables
// the service itself reads.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (loadgen.Config, bool, error) {
	var cfg loadgen.Config
	var asJSON bool
	fs := flag.NewFlagSet("quitabench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "base URL of the Quita to drive (loopback only)")
	fs.StringVar(&cfg.Token, "token", getenv("QUITA_API_TOKEN"), "API bearer token (QUITA_API_TOKEN)")
	fs.StringVar(&cfg.WebhookSecret, "webhook-secret", getenv("QUITA_WEBHOOK_SECRET"), "whsec_… secret that signs billing webhooks (QUITA_WEBHOOK_SECRET)")
	fs.StringVar(&cfg.Mode, "mode", loadgen.ModeInbound, "inbound (simulator messages), webhook (signed invoice webhooks) or mixed (one webhook per four messages)")
	fs.IntVar(&cfg.Debtors, "debtors", 1000, fmt.Sprintf("distinct debtor phones, 1 to %d", loadgen.MaxDebtors))
	fs.IntVar(&cfg.Concurrency, "concurrency", 32, fmt.Sprintf("requests in flight, 1 to %d", loadgen.MaxConcurrency))
	fs.IntVar(&cfg.Requests, "n", 10_000, fmt.Sprintf("total requests, at most %d (the run stops at -n or -duration, whichever comes first)", loadgen.MaxRequests))
	fs.DurationVar(&cfg.Duration, "duration", loadgen.MaxDuration/60, "longest run time, at most "+loadgen.MaxDuration.String())
	fs.BoolVar(&cfg.SeedInvoices, "seed-invoices", false, "create each debtor's invoice first with signed invoice.created webhooks (not timed)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: quitabench [flags]\n\nDrives a Quita on this machine and reports throughput and latency.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, false, err
	}
	if fs.NArg() > 0 {
		return cfg, false, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	// Zero means "the default" to loadgen; on the command line it is a mistake.
	for name, v := range map[string]int64{"-n": int64(cfg.Requests), "-concurrency": int64(cfg.Concurrency),
		"-debtors": int64(cfg.Debtors), "-duration": int64(cfg.Duration)} {
		if v <= 0 {
			return cfg, false, fmt.Errorf("%s must be more than 0", name)
		}
	}
	return cfg, asJSON, cfg.Validate()
}
