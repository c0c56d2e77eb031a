package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quitabot/quita/store"
	"github.com/quitabot/quita/store/storetest"
)

type importResult struct {
	code           int
	stdout, stderr string
}

// runImport runs `quita import args…` as main would, against dbURL.
func runImport(t testing.TB, dbURL string, stdin io.Reader, args ...string) importResult {
	t.Helper()
	env := map[string]string{"QUITA_DATABASE_URL": dbURL, "QUITA_CONFIG": filepath.Join(t.TempDir(), "absent.yaml")}
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"import"}, args...), func(k string) string { return env[k] }, stdin, &out, &errb)
	return importResult{code, out.String(), errb.String()}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "invoices.csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// eachDatabase runs fn on a fresh SQLite database and, when
// QUITA_TEST_DATABASE_URL is set, a fresh PostgreSQL schema.
func eachDatabase(t *testing.T, fn func(t *testing.T, dbURL string)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { fn(t, storetest.URLFor(t, backend)) })
	}
}

func openStore(t *testing.T, dbURL string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func wantSummary(t *testing.T, r importResult, prefix string) {
	t.Helper()
	if !strings.HasPrefix(r.stdout, prefix+" (") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("stdout %q, want %q (elapsed, rows/s)\nstderr: %s", r.stdout, prefix, r.stderr)
	}
}

const goodCSV = `invoice_id,customer_id,name,phone,email,amount,due_date,description,payment_link
INV-1,C-1,Maria Souza,(11) 98888-7777,maria@example.com,159.90,2026-11-25,Internet 300MB,https://pay.example/INV-1
INV-2,C-1,Maria Souza,(11) 98888-7777,maria@example.com,"1.234,56",2026-12-25,Internet 300MB,
INV-3,,João Lima,21 99999-0000,,"R$ 10,00",25/11/2026,,
`

func TestImportLoadsAFileAndIsIdempotent(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dbURL string) {
		path := writeFile(t, goodCSV)
		r := runImport(t, dbURL, nil, path)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		wantSummary(t, r, "imported 3 rows: 3 created, 0 updated, 0 unchanged; 0 bad rows")

		ctx, st := context.Background(), openStore(t, dbURL)
		maria, err := st.CustomerByPhone(ctx, []string{"+5511988887777"})
		if err != nil || maria == nil || maria.ExternalID != "C-1" || maria.Name != "Maria Souza" || maria.Email != "maria@example.com" {
			t.Fatalf("customer: %+v %v", maria, err)
		}
		for id, want := range map[string]int64{"INV-1": 15990, "INV-2": 123456} {
			inv, err := st.Invoice(ctx, id)
			if err != nil || inv.AmountCents != want || inv.CustomerID != maria.ID || inv.Currency != "BRL" {
				t.Fatalf("%s: %+v %v", id, inv, err)
			}
		}
		if inv, _ := st.Invoice(ctx, "INV-1"); inv.Payment.Link != "https://pay.example/INV-1" || inv.Description != "Internet 300MB" {
			t.Fatalf("INV-1 details: %+v", inv)
		}
		joao, _ := st.CustomerByPhone(ctx, []string{"+5521999990000"})
		if inv, err := st.Invoice(ctx, "INV-3"); err != nil || joao == nil || inv.CustomerID != joao.ID || inv.DueDate != "2026-11-25" || inv.AmountCents != 1000 {
			t.Fatalf("INV-3: %+v %+v %v", inv, joao, err)
		}

		r = runImport(t, dbURL, nil, path)
		wantSummary(t, r, "imported 3 rows: 0 created, 0 updated, 3 unchanged; 0 bad rows")
		if r.code != 0 {
			t.Fatalf("re-run exit %d: %s", r.code, r.stderr)
		}
		r = runImport(t, dbURL, nil, writeFile(t, strings.Replace(goodCSV, "159.90", "170.00", 1)))
		wantSummary(t, r, "imported 3 rows: 0 created, 1 updated, 2 unchanged; 0 bad rows")
		if inv, _ := st.Invoice(ctx, "INV-1"); inv.AmountCents != 17000 {
			t.Fatalf("updated amount: %d", inv.AmountCents)
		}
	})
}

func TestImportReportsBadRowsAndLoadsTheRest(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dbURL string) {
		data := "invoice_id,name,phone,amount,due_date,description\n" +
			"INV-1,Maria,11988887777,159.90,2026-11-25,\n" + // 2
			"INV-2,Maria,11988887777,abc,2026-11-25,\n" + // 3
			"INV-3,Ana,21999990000,10,2026-11-25,\"two\nlines\"\n" + // 4-5
			"INV-4,Ana,21999990000,10,31/02/2026,\n" + // 6
			"INV-5,Ana,21999990000,10,2026-11-25,say \"hi\"\n" + // 7
			"INV-6,Ana,21999990000\n" + // 8
			"INV-7,Bia,12345,10,2026-11-25,\n" + // 9
			"INV-8,Bia,31988880000,\"1.234,56\",25/11/2026,\n" // 10
		r := runImport(t, dbURL, nil, writeFile(t, data))
		want := []string{
			`line 3: amount: "abc" is not an amount`,
			`line 6: due_date: "31/02/2026" is not a date: write 2026-11-25 or 25/11/2026`,
			`line 7: malformed CSV: bare " in non-quoted-field (character 41)`,
			`line 8: malformed CSV: the record has 3 fields, the header has 6`,
			`line 9: phone: "12345" is not a valid phone number`,
			`quita: import: 5 of 8 rows failed (listed above by line) and were skipped; the other 3 loaded`,
		}
		got := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if len(got) != len(want) {
			t.Fatalf("stderr:\n%s", r.stderr)
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("stderr line %d:\n got %s\nwant %s", i+1, got[i], want[i])
			}
		}
		if r.code == 0 {
			t.Fatal("exit 0 with bad rows")
		}
		wantSummary(t, r, "imported 3 rows: 3 created, 0 updated, 0 unchanged; 5 bad rows")
		st := openStore(t, dbURL)
		for _, id := range []string{"INV-1", "INV-3", "INV-8"} {
			if _, err := st.Invoice(context.Background(), id); err != nil {
				t.Errorf("good row %s not loaded: %v", id, err)
			}
		}
		if inv, _ := st.Invoice(context.Background(), "INV-3"); inv.Description != "two\nlines" {
			t.Errorf("quoted newline: %q", inv.Description)
		}
	})
}

func TestImportSemicolonFileFromStdin(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dbURL string) {
		data := "\ufeff Due_Date ; AMOUNT ;Name;Phone;Invoice_ID;Currency;Pix_Copy_Paste\r\n" +
			"25/11/2026;1.234,56;Maria Souza;+55 (11) 98888-7777;INV-9;brl;00020126\r\n"
		r := runImport(t, dbURL, strings.NewReader(data), "-")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		wantSummary(t, r, "imported 1 rows: 1 created, 0 updated, 0 unchanged; 0 bad rows")
		inv, err := openStore(t, dbURL).Invoice(context.Background(), "INV-9")
		if err != nil || inv.AmountCents != 123456 || inv.DueDate != "2026-11-25" || inv.Payment.PixCopyPaste != "00020126" {
			t.Fatalf("%+v %v", inv, err)
		}
	})
}

func TestImportRefusesBadFilesBeforeTouchingTheDatabase(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "quita.db")
	missing := filepath.Join(t.TempDir(), "missing.csv")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing column", []string{writeFile(t, "invoice_id,name,phone\nINV-1,Maria,11988887777\n")},
			"header row: missing required column(s): amount, due_date"},
		{"unknown column", []string{writeFile(t, "invoice_id;name;phone;amount;due_date;valor\n")},
			`header row: unknown column(s): "valor" (known: invoice_id, customer_id,`},
		{"empty file", []string{writeFile(t, "")}, "the file is empty"},
		{"missing file", []string{missing}, "quita: import: open " + missing + ": no such file or directory"},
		{"no file", nil, "quita: import: name the CSV file to load"},
		{"flag after the file", []string{missing, "--database-url", "x"}, "flags go before the file name"},
		{"directory", []string{t.TempDir()}, "is a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runImport(t, "sqlite://"+dbPath, nil, tc.args...)
			if r.code == 0 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d\nstdout %q\nstderr %q\nwant one line containing %q", r.code, r.stdout, r.stderr, tc.want)
			}
		})
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Fatalf("a refused file created the database: %v", err)
	}
}

// fakeClock advances by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestImportProgressOnALogIsSparse(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	var out bytes.Buffer
	p := newProgress(&out, false, 1000, clock.now)
	p.update(10, 150) // 10 % inside the first second: too early to bother a log
	clock.t = clock.t.Add(2 * time.Second)
	p.update(20, 250)
	p.update(21, 260) // same step: quiet
	p.update(100, 1000)
	p.println("line 9: amount: is required")
	p.finish()
	want := "progress: 20% (250 B of 1000 B), 20 rows, 10 rows/s\nprogress: 100% (1000 B of 1000 B), 100 rows, 50 rows/s\nline 9: amount: is required\n"
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}

	out.Reset()
	p = newProgress(&out, false, 0, clock.now) // a pipe: no size, report by rows
	clock.t = clock.t.Add(2 * time.Second)
	for rows := int64(1); rows <= 250_000; rows++ {
		p.update(rows, rows*100)
	}
	if got := strings.Count(out.String(), "\n"); got != 2 || !strings.HasPrefix(out.String(), "progress: 100000 rows (9.5 MiB)") {
		t.Fatalf("got %d lines:\n%s", got, out.String())
	}
}

func TestImportProgressBarOnATerminal(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	var out bytes.Buffer
	p := newProgress(&out, true, 2<<20, clock.now)
	for i := range int64(1024) {
		clock.t = clock.t.Add(time.Millisecond)
		p.update(i+1, (i+1)*1<<10)
	}
	if draws := strings.Count(out.String(), "\r\x1b[K["); draws < 9 || draws > 11 {
		t.Fatalf("%d redraws in one second, want about 10:\n%q", draws, out.String())
	}
	out.Reset()
	p.println("line 3: amount: is required")
	p.finish()
	want := "\r\x1b[Kline 3: amount: is required\n" +
		"\r\x1b[K[==============>               ]  50%  1024 rows  1000 rows/s  1.0 MiB/2.0 MiB\n"
	if out.String() != want {
		t.Fatalf("bad row and finish:\n got %q\nwant %q", out.String(), want)
	}
}

// writeRows writes a generated import file of n rows in the Brazilian
// spreadsheet style (';', "1.234,56", 25/11/2026), two invoices per
// customer, without ever holding more than one row.
func writeRows(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintln(bw, "invoice_id;customer_id;name;phone;email;amount;due_date;description;payment_link")
	for i := range n {
		c := i / 2
		fmt.Fprintf(bw, "INV-%08d;C-%08d;Cliente %d;(11) 9%04d-%04d;cliente%d@example.com;%d.%03d,%02d;%02d/%02d/2026;Fatura %d;https://pay.example/INV-%08d\n",
			i, c, c, c/10000%10000, c%10000, c, 1+i%9, i%1000, i%100, 1+i%28, 1+i%12, i, i)
	}
	return bw.Flush()
}

// BenchmarkImport imports b.N generated rows streamed through a pipe, so
// the file never exists on disk or in memory, and reports throughput and
// peak memory. Run once with a million rows:
//
//	go test -run '^$' -bench 'BenchmarkImport/sqlite' -benchtime 1000000x ./cmd/quita
//
// (add QUITA_TEST_DATABASE_URL=postgres://… for the postgres variant).
func BenchmarkImport(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			dbURL := storetest.URLFor(b, backend)
			if r := runImport(b, dbURL, strings.NewReader(goodCSV), "-"); r.code != 0 { // migrate outside the timing
				b.Fatalf("warm-up: %s", r.stderr)
			}
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(writeRows(pw, b.N)) }()
			var peakHeap atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peakHeap.Load() {
						peakHeap.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
			}()
			b.ResetTimer()
			r := runImport(b, dbURL, pr, "-")
			b.StopTimer()
			close(stop)
			<-sampled
			if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("imported %d rows: %d created", b.N, b.N)) {
				b.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peakHeap.Load())/(1<<20), "peak-heap-MiB")
			if rss := peakRSS(); rss > 0 {
				b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
			}
		})
	}
}

// peakRSS reads the process's high-water resident set size on Linux (0
// elsewhere).
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
