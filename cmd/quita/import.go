package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/webhooks"
)

// importBatch is the number of rows per transaction: large enough that
// SQLite's per-commit sync stops dominating, small enough that a batch the
// database refuses is cheap to retry row by row.
const importBatch = 500

// importCmd is `quita import [flags] FILE.csv` (contract §1): it streams
// the file, holding one batch of rows at a time, so a file of millions of
// rows loads in constant memory. Bad rows are reported and skipped; the
// command fails only at the end, after loading every good row, so one
// mistyped phone does not block a whole month of invoices.
func importCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfig("import", args, getenv, stderr, false)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 0:
		return errors.New("import: name the CSV file to load (or - for standard input)")
	case len(rest) > 1:
		return fmt.Errorf("import: unexpected argument %q after %s (flags go before the file name)", rest[1], rest[0])
	}
	name := rest[0]
	src, size, closeSrc, err := openImportSource(name, stdin)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer closeSrc()
	// The header is checked before the database is touched, so a wrong file
	// fails at once and leaves no trace.
	rd, err := webhooks.NewCSVReader(src)
	if err != nil {
		return fmt.Errorf("import: %s: %w", name, err)
	}
	st, _, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	im := &importer{st: st, rd: rd, ids: bot.NewIDs(), prog: newProgress(stderr, isTerminal(stderr), size, time.Now)}
	err = im.run(ctx)
	im.prog.finish()
	fmt.Fprintln(stdout, im.summary())
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("import: interrupted after %d rows; what loaded stays loaded, and running the import again finishes it", im.read)
	case err != nil:
		return fmt.Errorf("import: stopped after %d rows: %w", im.read, err)
	case im.bad > 0:
		return fmt.Errorf("import: %d of %d rows failed (listed above by line) and were skipped; the other %d loaded", im.bad, im.read, im.loaded())
	}
	return nil
}

// openImportSource opens the file, or standard input for "-", and returns
// its size when it is known (a regular file), for the progress percentage.
func openImportSource(name string, stdin io.Reader) (io.Reader, int64, func(), error) {
	f, ok := stdin.(*os.File)
	if name != "-" {
		var err error
		if f, err = os.Open(name); err != nil {
			return nil, 0, nil, err
		}
		ok = true
	} else if !ok {
		return stdin, 0, func() {}, nil
	}
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	if name == "-" {
		return f, size, func() {}, nil // the caller owns stdin
	}
	return f, size, func() { f.Close() }, nil
}

// isTerminal reports whether w is a terminal, where a redrawn progress bar
// makes sense; anywhere else (a log file, CI) it would be noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// importer loads the rows of one file and keeps the tallies.
type importer struct {
	st    *store.Store
	rd    *webhooks.CSVReader
	ids   bot.IDs
	prog  *progress
	batch []store.ImportRow
	lines []int // file line of each batch row, for database errors

	read, bad                   int64
	created, updated, unchanged int64
}

func (im *importer) run(ctx context.Context) error {
	for ctx.Err() == nil {
		row, err := im.rd.Next()
		if err == io.EOF {
			return im.flush(ctx)
		}
		if err != nil {
			return err
		}
		im.read++
		if row.Err != nil {
			im.reject(row.Line, row.Err)
		} else {
			im.batch = append(im.batch, store.ImportRow{Customer: row.Customer, Invoice: row.Invoice})
			im.lines = append(im.lines, row.Line)
			if len(im.batch) == importBatch {
				if err := im.flush(ctx); err != nil {
					return err
				}
			}
		}
		im.prog.update(im.read, im.rd.Offset())
	}
	return ctx.Err()
}

// flush applies the pending batch and reports the rows the database
// refused by their line in the file.
func (im *importer) flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return nil
	}
	now := time.Now().UTC()
	for i := range im.batch {
		r := &im.batch[i]
		r.Customer.CreatedAt, r.Customer.UpdatedAt = now, now
		r.Invoice.CreatedAt, r.Invoice.UpdatedAt = now, now
		r.NewCustomerID = im.ids.New("cus")
	}
	changes, err := im.st.ApplyInvoices(ctx, im.batch)
	for _, ch := range changes {
		switch ch {
		case store.InvoiceCreated:
			im.created++
		case store.InvoiceUpdated:
			im.updated++
		case store.InvoiceUnchanged:
			im.unchanged++
		}
	}
	var be *store.BatchError
	if errors.As(err, &be) {
		for _, r := range be.Rows {
			im.reject(im.lines[r.Index], r.Err)
		}
		err = nil
	}
	im.batch, im.lines = im.batch[:0], im.lines[:0]
	return err
}

func (im *importer) reject(line int, err error) {
	im.bad++
	im.prog.println(fmt.Sprintf("line %d: %s", line, oneLine(err.Error())))
}

func (im *importer) loaded() int64 { return im.created + im.updated + im.unchanged }

func (im *importer) summary() string {
	elapsed := im.prog.now().Sub(im.prog.start)
	return fmt.Sprintf("imported %d rows: %d created, %d updated, %d unchanged; %d bad rows (%s, %.0f rows/s)",
		im.loaded(), im.created, im.updated, im.unchanged, im.bad, elapsed.Round(time.Millisecond), rate(im.read, elapsed))
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// progress reports an import as it goes, on stderr. On a terminal it
// redraws one line at most ten times a second, cheap enough to call for
// every row. Elsewhere it writes a plain line per 10 % of the file (or
// per 100,000 rows when the size is unknown), and none during the first
// second, so importing a small file prints only its summary.
type progress struct {
	w        io.Writer
	tty      bool
	size     int64 // bytes; 0 when unknown (a pipe)
	now      func() time.Time
	start    time.Time
	lastDraw time.Time
	drawn    bool  // a bar is on the current terminal line
	step     int64 // the last 10 % step or 100,000-row block reported
	rows     int64
	bytes    int64
}

const (
	redrawEvery  = 100 * time.Millisecond
	plainRows    = 100_000
	plainQuietly = time.Second
)

func newProgress(w io.Writer, tty bool, size int64, now func() time.Time) *progress {
	return &progress{w: w, tty: tty, size: size, now: now, start: now()}
}

// update records the rows and bytes read so far and reports when due.
func (p *progress) update(rows, bytes int64) {
	p.rows, p.bytes = rows, bytes
	if p.tty {
		if t := p.now(); t.Sub(p.lastDraw) >= redrawEvery {
			p.draw(t)
		}
		return
	}
	step := rows / plainRows
	if p.size > 0 {
		step = min(bytes*10/p.size, 10)
	}
	if step <= p.step {
		return
	}
	p.step = step
	t := p.now()
	if t.Sub(p.start) < plainQuietly {
		return
	}
	speed := rate(rows, t.Sub(p.start))
	if p.size > 0 {
		fmt.Fprintf(p.w, "progress: %d%% (%s of %s), %d rows, %.0f rows/s\n", step*10, size(bytes), size(p.size), rows, speed)
	} else {
		fmt.Fprintf(p.w, "progress: %d rows (%s), %.0f rows/s\n", rows, size(bytes), speed)
	}
}

// draw rewrites the terminal line: \r goes back to its start and \x1b[K
// erases what a longer previous line left.
func (p *progress) draw(t time.Time) {
	p.lastDraw, p.drawn = t, true
	speed := rate(p.rows, t.Sub(p.start))
	if p.size <= 0 {
		fmt.Fprintf(p.w, "\r\x1b[K%d rows  %.0f rows/s  %s read", p.rows, speed, size(p.bytes))
		return
	}
	const width = 30
	pct := min(p.bytes*100/p.size, 100)
	filled := int(pct * width / 100)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	if filled > 0 && filled < width {
		bar = bar[:filled-1] + ">" + bar[filled:]
	}
	fmt.Fprintf(p.w, "\r\x1b[K[%s] %3d%%  %d rows  %.0f rows/s  %s/%s", bar, pct, p.rows, speed, size(p.bytes), size(p.size))
}

// println writes a message line; on a terminal it first clears the bar,
// which the next due redraw puts back below the message.
func (p *progress) println(s string) {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, s)
}

// finish leaves the final state of the bar on the terminal.
func (p *progress) finish() {
	if p.tty {
		p.draw(p.now())
		fmt.Fprintln(p.w)
	}
}

// size formats a byte count for people.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
