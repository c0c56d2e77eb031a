package webhooks

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quitabot/quita/bot"
)

func TestParseAmount(t *testing.T) {
	good := map[string]int64{
		"159.90": 15990, "159,90": 15990, "1.234,56": 123456, "1,234.56": 123456, "1234": 123400,
		"R$ 1.234,56": 123456, "R$1.234,56": 123456, "r$ 10": 1000, " 12,5 ": 1250, "0,01": 1,
		"1.234.567": 123456700, "1,234,567": 123456700, "1.234.567,89": 123456789, "0000,10": 10,
		"1\u00a0234,56": 123456, "9999999999999,99": 999999999999999,
	}
	for in, want := range good {
		got, err := ParseAmount(in)
		if err != nil || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := map[string]string{
		"abc": "is not an amount", "": "is not an amount", "1,2,3": "misplaced thousands", "-10": "negative",
		"R$ -1,00": "negative", "1.234": "ambiguous", "159,999": "ambiguous", "1,2345": "more than 2 decimal",
		"1.234,567": "more than 2 decimal", "0": "zero", "0,00": "zero", "12.34,56": "misplaced thousands",
		"1,234,56.0": "misplaced thousands", "159.": "no digits after", ",50": "is not an amount",
		"+10": "is not an amount", "1e3": "is not an amount", "10 reais": "is not an amount",
		"10000000000000": "too large", "1.2.3,4.5": "is not an amount", "1..234": "misplaced thousands",
	}
	for in, want := range bad {
		if got, err := ParseAmount(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAmount(%q) = %d, %v; want an error saying %q", in, got, err, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	good := map[string]string{"2026-11-25": "2026-11-25", "25/11/2026": "2026-11-25", "5/1/2026": "2026-01-05",
		" 05/01/2026 ": "2026-01-05", "29/02/2028": "2028-02-29"}
	for in, want := range good {
		if got, err := ParseDate(in); err != nil || got != want {
			t.Errorf("ParseDate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"31/02/2026", "2026-13-01", "11/25/2026", "25/11/26", "2026/11/25", "25-11-2026",
		"amanhã", "2026-1-5", "29/02/2026"} {
		if got, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) = %q, want an error", in, got)
		}
	}
}

const header = "invoice_id,customer_id,name,phone,email,amount,due_date,description,payment_link\n"

// readAll reads every row of a file, failing on header or read errors.
func readAll(t *testing.T, data string) []Row {
	t.Helper()
	rd, err := NewCSVReader(strings.NewReader(data))
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	var rows []Row
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		rows = append(rows, row)
	}
}

func TestCSVReaderGoodRows(t *testing.T) {
	data := "\ufeff Due_Date ; AMOUNT;name;phone;invoice_id;locale;currency;pix_copy_paste;boleto_line;pdf_url;document\n" +
		"25/11/2026;1.234,56;Maria Souza;(11) 98888-7777;INV-1;pt-br;brl;000201;23791.23405 90000.001231 45001.234504 7 16410000123456;https://b.example/1.pdf;123.456.789-09\n" +
		";;;;;;;;;;\n" + // spreadsheets end with empty records: skipped
		"2026-12-01; R$ 10 ; João ;11 99999-0000;INV-2;;;;;;\n"
	rows := readAll(t, data)
	if len(rows) != 2 {
		t.Fatalf("got %d rows: %+v", len(rows), rows)
	}
	r := rows[0]
	if r.Err != nil || r.Line != 2 || r.Invoice.AmountCents != 123456 || r.Invoice.DueDate != "2026-11-25" ||
		r.Customer.Phone != "+5511988887777" || r.Customer.Locale != "pt-BR" || r.Invoice.Currency != "BRL" ||
		r.Invoice.Payment.PixCopyPaste != "000201" || r.Invoice.PDFURL != "https://b.example/1.pdf" || r.Customer.Document != "123.456.789-09" {
		t.Fatalf("row 1: %+v", r)
	}
	if r.Data.AmountCents != 123456 || r.Data.DueDate != "2026-11-25" || r.Data.InvoiceID != "INV-1" {
		t.Fatalf("row 1 data: %+v", r.Data)
	}
	if r := rows[1]; r.Err != nil || r.Line != 4 || r.Invoice.AmountCents != 1000 || r.Customer.Name != "João" || r.Invoice.Currency != "BRL" {
		t.Fatalf("row 2: %+v", r)
	}
}

func TestCSVReaderRowErrors(t *testing.T) {
	good := "INV-%d,C-1,Maria,11988887777,m@example.com,159.90,2026-11-25,Internet,https://pay.example/1\n"
	data := header +
		strings.Replace(good, "%d", "1", 1) + // line 2
		"INV-2,C-1,Maria,11988887777,,abc,2026-11-25,,\n" + // 3
		"INV-3,C-1,Maria,11988887777,,10,\"2026-11-25\",\"two\nlines\",\n" + // 4-5
		"INV-4,C-1,Maria,11988887777,,10,31/02/2026,,\n" + // 6
		"INV-5,C-1,Ma\"ria,11988887777,,10,2026-11-25,,\n" + // 7: bare quote
		"INV-6,C-1,Maria,11988887777,,10\n" + // 8: too few fields
		"INV-7,C-1,Maria,12345,,10,2026-11-25,,\n" + // 9
		"INV-8,C-1,,11988887777,,10,2026-11-25,,\n" + // 10
		"INV-9,C-1,Maria,11988887777,,-5,2026-11-25,,\n" + // 11
		"INV-10,C-1,Maria,11988887777,,10,2026-11-25,,ftp://x\n" + // 12
		",C-1,Maria,11988887777,,10,2026-11-25,,\n" + // 13
		"INV-12,C-1,Maria,11988887777,,10,,,\n" + // 14
		"INV-13,C-1,Maria,11988887777,,1,2,3,2026-11-25,,\n" + // 15: unquoted decimal comma
		"INV-14,C-1,Mar\xe9a,11988887777,,10,2026-11-25,,\n" + // 16: Latin-1
		"INV-15,C-1,Maria,11988887777,,10,2026-11-25,\x00,\n" + // 17
		strings.Replace(good, "%d", "16", 1) // 18
	want := []struct {
		line  int
		field string // "" for a good row, "-" for a malformed record
		text  string
	}{
		{2, "", ""}, {3, "amount", `amount: "abc" is not an amount`}, {4, "", ""},
		{6, "due_date", `due_date: "31/02/2026" is not a date`}, {7, "-", `bare " in non-quoted-field`},
		{8, "-", "the record has 6 fields, the header has 9"}, {9, "phone", `phone: "12345" is not a valid phone number`},
		{10, "name", "name: is required"}, {11, "amount", "negative"}, {12, "payment_link", "payment_link: must be an http(s) URL"},
		{13, "invoice_id", "invoice_id: is required"}, {14, "due_date", "due_date: is required"},
		{15, "-", "has 11 fields"}, {16, "name", "not valid UTF-8"}, {17, "description", "NUL"}, {18, "", ""},
	}
	rows := readAll(t, data)
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.Line != w.line {
			t.Errorf("row %d: line %d, want %d (%v)", i, r.Line, w.line, r.Err)
		}
		var be *bot.Error
		switch {
		case w.field == "" && r.Err != nil:
			t.Errorf("line %d: unexpected error %v", w.line, r.Err)
		case w.field == "":
		case !errors.As(r.Err, &be):
			t.Errorf("line %d: err = %v, want a bot.Error", w.line, r.Err)
		case w.field == "-" && be.Code != bot.CodeMalformed, w.field != "-" && (be.Code != bot.CodeInvalid || be.Field != w.field):
			t.Errorf("line %d: err = %+v, want field %s", w.line, be, w.field)
		case !strings.Contains(be.Message, w.text):
			t.Errorf("line %d: message %q, want it to contain %q", w.line, be.Message, w.text)
		}
	}
	if rows[2].Invoice.Description != "two\nlines" {
		t.Errorf("quoted newline: %q", rows[2].Invoice.Description)
	}
}

func TestCSVReaderUnclosedQuoteEndsTheFile(t *testing.T) {
	rows := readAll(t, header+"INV-1,,Maria,11988887777,,10,2026-11-25,\"open,\nINV-2,,Maria,11988887777,,10,2026-11-25,,\n")
	if len(rows) != 1 || rows[0].Line != 2 || rows[0].Err == nil || !strings.Contains(rows[0].Err.Error(), "runs from line 2") {
		t.Fatalf("rows: %+v", rows)
	}
}

func TestCSVReaderHeaderErrors(t *testing.T) {
	cases := map[string]string{
		"":                        "the file is empty",
		"\ufeff":                  "the file is empty",
		"invoice_id,name,phone\n": "missing required column(s): amount, due_date",
		"invoice_id;name;phone;amount;due_date;pix_copia_cola\n": `unknown column(s): "pix_copia_cola" (known:`,
		"invoice_id,name,phone,amount,due_date,,\n":              "column 6 has no name",
		"invoice_id,name,phone,amount,due_date,Phone\n":          `column "phone" appears twice`,
		"invoice_id,nome,phone,valor,due_date\n":                 `missing required column(s): name, amount; unknown column(s): "nome", "valor"`,
		"invoice_id,\"name,phone,amount,due_date\n":              "header row: ",
		strings.Repeat("x", maxHeaderLine+10):                    "longer than",
	}
	for in, want := range cases {
		_, err := NewCSVReader(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("header %.40q: err = %v, want one line containing %q", in, err, want)
		}
	}
}

func TestCSVReaderDelimiterAndOffset(t *testing.T) {
	data := "\ufeffinvoice_id;name;phone;amount;due_date;description\n" +
		"INV-1;Maria;11988887777;159,90;25/11/2026;\"a, b; c\"\n"
	rd, err := NewCSVReader(strings.NewReader(data))
	if err != nil || rd.Comma != ';' {
		t.Fatalf("reader: %v comma %q", err, rd.Comma)
	}
	row, err := rd.Next()
	if err != nil || row.Err != nil || row.Invoice.AmountCents != 15990 || row.Invoice.Description != "a, b; c" {
		t.Fatalf("row %+v %v", row, err)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if rd.Offset() != int64(len(data)) {
		t.Fatalf("offset %d, want %d", rd.Offset(), len(data))
	}
}

type failingReader struct{ data io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if err == io.EOF {
		return n, errors.New("disk on fire")
	}
	return n, err
}

func TestCSVReaderReadErrorIsFatal(t *testing.T) {
	rd, err := NewCSVReader(failingReader{strings.NewReader(header + "INV-1,,Maria,11988887777,,10,2026-11-25,,\n")})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err = rd.Next(); err != nil {
			break
		}
	}
	if err == nil || err == io.EOF || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v", err)
	}
	if _, again := rd.Next(); again != err {
		t.Fatalf("second call: %v", again)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte(header + "INV-1,C-1,Maria,11988887777,m@x.com,\"1.234,56\",25/11/2026,\"a\nb\",https://p.example\n"))
	f.Add([]byte("invoice_id;name;phone;amount;due_date\nINV-1;Maria;(11) 98888-7777;R$ 1.234,56;2026-11-25\n;;;;\n"))
	f.Add([]byte("\ufeffINVOICE_ID,Name,Phone,Amount,Due_Date\nx,y,11988887777,1,2,3,2026-02-30\n\"unclosed"))
	f.Add([]byte("invoice_id,name,phone,amount,due_date\na,b\"c,11988887777,10,2026-01-01\r\nd,e,+5511988887777,0,1/1/2026"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewCSVReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		last := 1
		for {
			row, err := rd.Next()
			if err != nil {
				if err != io.EOF {
					t.Fatalf("a bytes.Reader cannot fail: %v", err)
				}
				break
			}
			if row.Line <= last {
				t.Fatalf("line %d after line %d", row.Line, last)
			}
			last = row.Line
			if off := rd.Offset(); off < 0 || off > int64(len(data)) {
				t.Fatalf("offset %d of %d bytes", off, len(data))
			}
			if row.Err != nil {
				continue
			}
			if row.Invoice.AmountCents <= 0 || row.Invoice.AmountCents != row.Data.AmountCents {
				t.Fatalf("line %d: amount %d", row.Line, row.Invoice.AmountCents)
			}
			if _, err := time.Parse("2006-01-02", row.Invoice.DueDate); err != nil {
				t.Fatalf("line %d: due date %q", row.Line, row.Invoice.DueDate)
			}
			if row.Invoice.ID == "" || row.Customer.Name == "" || !strings.HasPrefix(row.Customer.Phone, "+") {
				t.Fatalf("line %d: incomplete row %+v %+v", row.Line, row.Customer, row.Invoice)
			}
			// Amounts round-trip: what was accepted reads back the same.
			s := strconv.FormatInt(row.Invoice.AmountCents/100, 10) + "," + strconv.FormatInt(100+row.Invoice.AmountCents%100, 10)[1:]
			if back, err := ParseAmount(s); err != nil || back != row.Invoice.AmountCents {
				t.Fatalf("amount %d formatted %q read back as %d, %v", row.Invoice.AmountCents, s, back, err)
			}
		}
	})
}
