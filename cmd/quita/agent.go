package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/web"
)

const agentUsage = `usage: quita agent COMMAND [flags]

Manages the accounts of the agent console (/console).

  add NAME [--role agent|admin] [--password-stdin]
                      create an account; without --password-stdin a password
                      is generated and printed once
  list                list accounts
  disable NAME        disable an account and end its sessions
  enable NAME         enable it again
  passwd NAME [--password-stdin]
                      set a new password (generated when not given) and end
                      the account's sessions

Admins manage agents and the WhatsApp link; agents handle conversations.
NAME is 1 to 32 lower-case letters, digits, '.', '_' or '-'. The QUITA_*
flags of "quita help" apply too.
`

// agentOptions are what `quita agent` itself takes; the rest of its
// command line is configuration for loadConfig.
type agentOptions struct {
	sub, name, role string
	passwordStdin   bool
}

// agentCmd is `quita agent add|list|disable|enable|passwd`.
func agentCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	opts, rest, err := parseAgentArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, agentUsage)
		return err
	}
	if err != nil {
		return err
	}
	cfg, extra, err := loadConfig("agent "+opts.sub, rest, getenv, stderr, false)
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		return fmt.Errorf("agent: unexpected argument %q", extra[0])
	}
	st, _, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	switch opts.sub {
	case "add":
		if err := store.ValidateAgentName(opts.name); err != nil {
			return fmt.Errorf("agent add: %w", err)
		}
		password, generated, err := agentPassword(opts, stdin)
		if err != nil {
			return err
		}
		hash, err := web.HashPassword(password)
		if err != nil {
			return fmt.Errorf("agent add: %w", err)
		}
		a := store.Agent{ID: bot.NewIDs().New("agt"), Name: opts.name, Role: opts.role, CreatedAt: now}
		if err := st.CreateAgent(ctx, a, hash); err != nil {
			return fmt.Errorf("agent add: %w", err)
		}
		fmt.Fprintf(stdout, "agent %s added (role %s); sign in at /console/login\n", opts.name, opts.role)
		if generated {
			fmt.Fprintf(stdout, "generated password (shown only now):\n  %s\n", password)
		}
	case "passwd":
		password, generated, err := agentPassword(opts, stdin)
		if err != nil {
			return err
		}
		hash, err := web.HashPassword(password)
		if err != nil {
			return fmt.Errorf("agent passwd: %w", err)
		}
		if err := st.SetAgentPassword(ctx, opts.name, hash, now); err != nil {
			return fmt.Errorf("agent passwd: %w", err)
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions ended\n", opts.name)
		if generated {
			fmt.Fprintf(stdout, "generated password (shown only now):\n  %s\n", password)
		}
	case "disable", "enable":
		if err := st.SetAgentDisabled(ctx, opts.name, opts.sub == "disable", now); err != nil {
			return fmt.Errorf("agent %s: %w", opts.sub, err)
		}
		fmt.Fprintf(stdout, "agent %s %sd\n", opts.name, opts.sub)
	case "list":
		agents, err := st.Agents(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tCREATED")
		for _, a := range agents {
			status := "active"
			if a.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.Role, status, a.CreatedAt.In(cfg.Timezone).Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	}
	return nil
}

// agentPassword reads the password from stdin's first line, or generates one.
func agentPassword(opts agentOptions, stdin io.Reader) (password string, generated bool, err error) {
	if !opts.passwordStdin {
		return web.GeneratePassword(), true, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("agent %s: read the password from stdin: %w", opts.sub, err)
	}
	password = strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", false, fmt.Errorf("agent %s: --password-stdin: standard input holds no password", opts.sub)
	}
	return password, false, nil
}

// parseAgentArgs takes the subcommand, NAME, --role and --password-stdin
// wherever they appear; every other flag (all of which take a value) is
// left for loadConfig.
func parseAgentArgs(args []string) (agentOptions, []string, error) {
	opts := agentOptions{role: store.RoleAgent}
	var words, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			words = append(words, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch name {
		case "h", "help":
			return opts, nil, flag.ErrHelp
		case "password-stdin":
			opts.passwordStdin = !hasValue || value == "true"
			continue
		}
		if !hasValue && i+1 < len(args) {
			i++
			value, hasValue = args[i], true
		}
		if !hasValue {
			return opts, nil, fmt.Errorf("agent: flag needs an argument: -%s", name)
		}
		if name == "role" {
			opts.role = value
			continue
		}
		rest = append(rest, "--"+name+"="+value)
	}
	if len(words) == 0 {
		return opts, nil, errors.New("agent: usage: quita agent add NAME --role agent|admin | list | disable NAME | enable NAME | passwd NAME")
	}
	opts.sub = words[0]
	switch opts.sub {
	case "list":
		if len(words) > 1 {
			return opts, nil, fmt.Errorf("agent list: unexpected argument %q", words[1])
		}
	case "add", "disable", "enable", "passwd":
		if len(words) != 2 {
			return opts, nil, fmt.Errorf("agent %s: name exactly one agent, e.g. quita agent %s ana", opts.sub, opts.sub)
		}
		opts.name = words[1]
	default:
		return opts, nil, fmt.Errorf("agent: unknown command %q (add, list, disable, enable, passwd)", opts.sub)
	}
	if err := store.ValidateRole(opts.role); err != nil {
		return opts, nil, fmt.Errorf("agent: --role must be agent or admin, not %q", opts.role)
	}
	return opts, rest, nil
}
