package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/policy"
	"github.com/quitabot/quita/bot/transcript"
	"github.com/quitabot/quita/store"
)

const exportUsage = `usage: quita transcript export ID [--format json|txt|html|pdf] [-o FILE] [flags]

Writes one conversation's transcript to standard output, or to FILE, which
is replaced only once the whole transcript is written (and readable by its
owner only: a transcript holds personal data). Without --format the format
follows FILE's extension, else json. The pdf names the creditor (policy
file) and the debtor, whose CPF/CNPJ is masked. Flags may come before or
after ID; the QUITA_* flags of "quita help" apply too.
`

// exportOptions are what `transcript export` itself takes; everything
// else on its command line is configuration for loadConfig.
type exportOptions struct {
	id, format, out string
}

// transcriptCmd is `quita transcript export ID --format F [-o FILE]`
// (contract §1).
func transcriptCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		return errors.New("transcript: usage: quita transcript export ID --format json|txt|html|pdf [-o FILE]")
	}
	opts, rest, err := parseExportArgs(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, exportUsage)
		return err
	}
	if err != nil {
		return err
	}
	cfg, extra, err := loadConfig("transcript export", rest, getenv, stderr, false)
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		return fmt.Errorf("transcript export: unexpected argument %q", extra[0])
	}
	// The policy names the creditor; only the PDF shows it, so a policy
	// problem does not stand in the way of a JSON export.
	var company policy.Company
	if opts.format == "pdf" {
		pol, _, err := policy.Load(cfg.PolicyPath)
		if err != nil {
			return err
		}
		company = pol.Company
	}
	st, _, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	conv, err := st.Conversation(ctx, opts.id)
	if err != nil {
		return err // "conversation X not found" for an unknown id
	}
	entries, err := st.Transcript(ctx, conv.ID)
	if err != nil {
		return err
	}
	// Rendered in memory first, so a failure writes nothing at all.
	var buf bytes.Buffer
	if opts.format == "pdf" {
		info, err := transcriptPDFInfo(ctx, st, conv, entries)
		if err != nil {
			return err
		}
		info.Company, info.Location, info.GeneratedAt = company, cfg.Timezone, time.Now()
		err = transcript.RenderPDF(&buf, info, entries)
	} else {
		err = transcript.Render(&buf, opts.format, transcript.HeaderOf(conv), entries, cfg.Timezone)
	}
	if err != nil {
		return err
	}
	return writeExport(opts.out, buf.Bytes(), stdout)
}

// parseExportArgs takes the ID, --format and -o out of args wherever they
// are, since the flag package stops at the first argument that is not a
// flag and the contract's usage puts flags after the ID. What is left, the
// QUITA_* flags, goes to loadConfig; those all take a value, which is how a
// flag's value is told from the ID.
func parseExportArgs(args []string) (exportOptions, []string, error) {
	var opts exportOptions
	var ids, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			ids = append(ids, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			ids = append(ids, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			return opts, nil, flag.ErrHelp
		}
		if !hasValue && i+1 < len(args) {
			i++
			value, hasValue = args[i], true
		}
		switch name {
		case "format", "o", "output":
			if !hasValue {
				return opts, nil, fmt.Errorf("transcript export: flag needs an argument: -%s", name)
			}
			if name == "format" {
				opts.format = value
			} else {
				opts.out = value
			}
		default:
			rest = append(rest, a)
			if !strings.Contains(a, "=") && hasValue {
				rest = append(rest, value)
			}
		}
	}
	switch {
	case len(ids) == 0:
		return opts, nil, errors.New("transcript export: name the conversation, e.g. quita transcript export ID --format pdf")
	case len(ids) > 1:
		return opts, nil, fmt.Errorf("transcript export: unexpected argument %q after %s", ids[1], ids[0])
	}
	opts.id = ids[0]
	if opts.format == "" {
		opts.format = "json"
		if ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(opts.out)), "."); slices.Contains(transcript.Formats, ext) {
			opts.format = ext
		}
	}
	if !slices.Contains(transcript.Formats, opts.format) {
		return opts, nil, fmt.Errorf("transcript export: unknown format %q (use %s)", opts.format, strings.Join(transcript.Formats, ", "))
	}
	return opts, rest, nil
}

// transcriptPDFInfo gathers the debtor and the invoices a PDF transcript
// shows (see store.ConversationDebtor).
func transcriptPDFInfo(ctx context.Context, st *store.Store, conv bot.Conversation, entries []bot.TranscriptEntry) (transcript.PDFInfo, error) {
	info := transcript.PDFInfo{Conversation: transcript.HeaderOf(conv)}
	cust, all, err := st.ConversationDebtor(ctx, conv)
	if err != nil {
		return info, err
	}
	info.Customer, info.Invoices = cust, transcript.InvoicesInvolved(all, entries)
	return info, nil
}

// writeExport writes data to stdout (path "" or "-") or to path through a
// temporary file in the same directory renamed over it, so an interrupted
// or failed export never leaves half a transcript where a whole one was.
func writeExport(path string, data []byte, stdout io.Writer) error {
	if path == "" || path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	fail := func(err error) error {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary name would only confuse
		}
		return fmt.Errorf("transcript export: cannot write %s: %v", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fail(errors.New("is a directory"))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fail(err)
	}
	return nil
}
