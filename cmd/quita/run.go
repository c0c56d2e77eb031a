package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

const usage = `usage: quita [command] [flags]

commands:
  serve [--demo]           run the service (the default)
  migrate                  apply database migrations and exit
  classify [--locale L]    classify messages read one per line from stdin
  import FILE.csv          bulk-load customers and invoices from a CSV file (- reads stdin)
  transcript export ID     write a conversation's transcript: --format json|txt|html|pdf [-o FILE]
  agent add NAME --role R  add an agent console account (agent or admin); also list, disable, enable, passwd
  version                  print the version

Every QUITA_* variable can be given as a flag: QUITA_DATABASE_URL → --database-url.
`

// run is the whole program: main only adapts the process to it, and
// end-to-end tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, getenv, stdout, stderr)
	case "migrate":
		err = migrate(ctx, args, getenv, stdout, stderr)
	case "classify":
		err = classify(args, getenv, stdin, stdout, stderr)
	case "import":
		err = importCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "transcript":
		err = transcriptCmd(ctx, args, getenv, stdout, stderr)
	case "agent":
		err = agentCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "quita", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = fmt.Errorf("unknown command %q (try quita help)", cmd)
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "quita: "+oneLine(err.Error()))
		return 1
	}
	return 0
}

// oneLine keeps a failure to the single line the contract promises. It
// joins lines rather than cutting at the first: drivers put the cause on
// the next one (pgx: "failed to connect to `user=… database=…`:" then
// "\t127.0.0.1:5432 (…): dial error: … connection refused").
func oneLine(s string) string {
	var parts []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " ")
}
