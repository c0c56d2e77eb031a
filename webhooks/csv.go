package webhooks

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quitabot/quita/bot"
)

// The columns of `quita import` (contract §1), in documentation order.
const (
	colInvoiceID = iota
	colCustomerID
	colName
	colPhone
	colEmail
	colDocument
	colLocale
	colAmount
	colCurrency
	colDueDate
	colDescription
	colPaymentLink
	colPixCopyPaste
	colBoletoLine
	colPDFURL
	numColumns
)

// CSVColumns names the columns `quita import` understands, in the order
// the contract lists them.
var CSVColumns = [numColumns]string{"invoice_id", "customer_id", "name", "phone", "email", "document", "locale",
	"amount", "currency", "due_date", "description", "payment_link", "pix_copy_paste", "boleto_line", "pdf_url"}

// CSVRequired names the columns a file must have.
var CSVRequired = []string{"invoice_id", "name", "phone", "amount", "due_date"}

// csvField maps the field names ToDomain reports (JSON paths) to the CSV
// column a user has to fix.
var csvField = map[string]string{"customer.id": "customer_id", "customer.name": "name", "customer.phone": "phone",
	"customer.email": "email", "customer.document": "document", "customer.locale": "locale", "amount_cents": "amount",
	"payment.link": "payment_link", "payment.pix_copy_paste": "pix_copy_paste", "payment.boleto_line": "boleto_line"}

// maxHeaderLine bounds the header line read to detect the delimiter, so a
// binary file without newlines fails fast instead of being read into memory.
const maxHeaderLine = 64 << 10

// Row is one record of an import file. Line is the line where the record
// starts (a quoted field may span lines). When Err is nil, Customer and
// Invoice are the validated domain values; Data is what the row said, in
// the shape every billing input shares.
type Row struct {
	Line     int
	Data     InvoiceData
	Customer bot.Customer
	Invoice  bot.Invoice
	Err      error
}

// CSVReader streams the rows of an import file: it holds one record at a
// time, so a file of any size is read in constant memory.
//
// Header rules: the file is UTF-8 (a byte-order mark is skipped), the
// delimiter is whichever of ',' and ';' the header line uses more, and
// column names match case-insensitively, in any order, ignoring spaces
// around them. Missing required columns, unknown, unnamed or repeated
// columns are an error: an unknown column is most often a misspelt known
// one (pix_copia_cola), and ignoring it would silently drop that data from
// every row. Records whose fields are all empty (the trailing ";;;;" lines
// spreadsheets write) are skipped.
type CSVReader struct {
	// Comma is the delimiter detected from the header line: ',' or ';'.
	Comma rune

	csv    *csv.Reader
	names  []string        // header names, by field index
	col    [numColumns]int // field index of each column, -1 when absent
	skip   int64           // bytes consumed before the csv reader (a BOM)
	fields int             // fields per record, from the header
	record []string        // scratch for trimmed values
	err    error           // sticky read error
}

// NewCSVReader reads and checks the header of an import file.
func NewCSVReader(r io.Reader) (*CSVReader, error) {
	br := bufio.NewReaderSize(r, maxHeaderLine)
	var skip int64
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
		skip = 3
	}
	head, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, bot.Errorf(bot.CodeInvalid, "the first line is longer than %d KiB: this is not a CSV file with a header row", maxHeaderLine>>10)
	case err != nil && err != io.EOF:
		return nil, err
	}
	head = bytes.Clone(head)
	comma := ','
	if countOutsideQuotes(head, ';') > countOutsideQuotes(head, ',') {
		comma = ';'
	}
	cr := csv.NewReader(io.MultiReader(bytes.NewReader(head), br))
	cr.Comma = comma
	cr.FieldsPerRecord = -1 // a wrong field count is one bad row, not the end of the import
	cr.LazyQuotes = false
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, bot.Errorf(bot.CodeInvalid, "the file is empty: expected a header row naming the columns (%s…)", strings.Join(CSVRequired, ", "))
	}
	if err != nil {
		return nil, bot.Errorf(bot.CodeInvalid, "header row: %v", err)
	}
	rd := &CSVReader{csv: cr, skip: skip, fields: len(header), Comma: comma, record: make([]string, len(header))}
	if err := rd.mapHeader(header); err != nil {
		return nil, err
	}
	return rd, nil
}

func (rd *CSVReader) mapHeader(header []string) error {
	for i := range rd.col {
		rd.col[i] = -1
	}
	index := make(map[string]int, numColumns)
	for i, c := range CSVColumns {
		index[c] = i
	}
	var unknown, problems []string
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		rd.names = append(rd.names, name)
		c, ok := index[name]
		switch {
		case name == "":
			problems = append(problems, fmt.Sprintf("column %d has no name", i+1))
		case !ok:
			unknown = append(unknown, fmt.Sprintf("%q", strings.TrimSpace(h)))
		case rd.col[c] >= 0:
			problems = append(problems, fmt.Sprintf("column %q appears twice", name))
		default:
			rd.col[c] = i
		}
	}
	var missing []string
	for _, name := range CSVRequired {
		if rd.col[index[name]] < 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		problems = append([]string{"missing required column(s): " + strings.Join(missing, ", ")}, problems...)
	}
	if len(unknown) > 0 {
		problems = append(problems, "unknown column(s): "+strings.Join(unknown, ", ")+
			" (known: "+strings.Join(CSVColumns[:], ", ")+")")
	}
	if len(problems) > 0 {
		return bot.Errorf(bot.CodeInvalid, "header row: %s", strings.Join(problems, "; "))
	}
	return nil
}

// countOutsideQuotes counts sep in a header line, ignoring quoted text so
// a column named "a;b" does not sway the guess.
func countOutsideQuotes(line []byte, sep byte) int {
	n, quoted := 0, false
	for _, b := range line {
		switch {
		case b == '"':
			quoted = !quoted
		case b == sep && !quoted:
			n++
		}
	}
	return n
}

// Offset is how many bytes of the input the rows returned so far span,
// for progress reports.
func (rd *CSVReader) Offset() int64 { return rd.skip + rd.csv.InputOffset() }

// Next returns the next record. A record that cannot be loaded is still a
// Row, with Err set and Line telling where it is, so a caller can report it
// and go on. The error is io.EOF at the end of the input, or a read error
// after which the reader stops.
func (rd *CSVReader) Next() (Row, error) {
	if rd.err != nil {
		return Row{}, rd.err
	}
	for {
		rec, err := rd.csv.Read()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// encoding/csv resumes on the next line after a bare quote; an
			// unclosed quote consumes the rest of the input, and that is
			// what the message says.
			where := fmt.Sprintf("character %d", pe.Column)
			if pe.Line != pe.StartLine {
				where = fmt.Sprintf("line %d, character %d; the record runs from line %d", pe.Line, pe.Column, pe.StartLine)
			}
			return Row{Line: pe.StartLine, Err: bot.Errorf(bot.CodeMalformed, "malformed CSV: %v (%s)", pe.Err, where)}, nil
		}
		if err != nil {
			rd.err = err
			return Row{}, err
		}
		line, _ := rd.csv.FieldPos(0)
		if allEmpty(rec) {
			continue
		}
		if len(rec) != rd.fields {
			return Row{Line: line, Err: bot.Errorf(bot.CodeMalformed, "malformed CSV: the record has %d fields, the header has %d", len(rec), rd.fields)}, nil
		}
		row := Row{Line: line}
		row.Data, row.Customer, row.Invoice, row.Err = rd.convert(rec)
		return row, nil
	}
}

func allEmpty(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// convert maps a record to InvoiceData and validates it through ToDomain,
// the check webhooks and the API use, renaming the fields it reports to the
// CSV columns.
func (rd *CSVReader) convert(rec []string) (InvoiceData, bot.Customer, bot.Invoice, error) {
	for i, v := range rec {
		// Checked here rather than left to the database: PostgreSQL refuses
		// both in text, SQLite would store them, and a Latin-1 export (common
		// from spreadsheets) deserves one clear message per row.
		if !utf8.ValidString(v) {
			return InvoiceData{}, bot.Customer{}, bot.Invoice{}, bot.Invalid(rd.names[i], "is not valid UTF-8 (save the file as UTF-8)")
		}
		if strings.IndexByte(v, 0) >= 0 {
			return InvoiceData{}, bot.Customer{}, bot.Invoice{}, bot.Invalid(rd.names[i], "contains a NUL byte")
		}
		rd.record[i] = strings.TrimSpace(v)
	}
	get := func(c int) string {
		if i := rd.col[c]; i >= 0 {
			return rd.record[i]
		}
		return ""
	}
	d := InvoiceData{InvoiceID: get(colInvoiceID), Currency: get(colCurrency), Description: get(colDescription),
		PDFURL: get(colPDFURL),
		Customer: CustomerData{ID: get(colCustomerID), Name: get(colName), Phone: get(colPhone), Email: get(colEmail),
			Document: get(colDocument), Locale: get(colLocale)},
		Payment: PaymentData{Link: get(colPaymentLink), PixCopyPaste: get(colPixCopyPaste), BoletoLine: get(colBoletoLine)}}
	var err error
	if a := get(colAmount); a == "" {
		return d, bot.Customer{}, bot.Invoice{}, bot.Invalid("amount", "is required")
	} else if d.AmountCents, err = ParseAmount(a); err != nil {
		return d, bot.Customer{}, bot.Invoice{}, bot.Invalid("amount", "%v", err)
	}
	if s := get(colDueDate); s == "" {
		return d, bot.Customer{}, bot.Invoice{}, bot.Invalid("due_date", "is required")
	} else if d.DueDate, err = ParseDate(s); err != nil {
		return d, bot.Customer{}, bot.Invoice{}, bot.Invalid("due_date", "%v", err)
	}
	c, inv, err := d.ToDomain("")
	if err != nil {
		return d, bot.Customer{}, bot.Invoice{}, csvError(err)
	}
	return d, c, inv, nil
}

// csvError renames the field of a validation error to its CSV column.
func csvError(err error) error {
	var be *bot.Error
	if !errors.As(err, &be) || be.Field == "" {
		return err
	}
	col, ok := csvField[be.Field]
	if !ok {
		return err
	}
	return bot.Invalid(col, "%s", strings.TrimPrefix(be.Message, be.Field+": "))
}

// maxAmountDigits bounds the integer part so cents always fit an int64.
const maxAmountDigits = 13

// ParseAmount reads a money amount as written in Brazilian or English
// spreadsheets and returns it in cents, without floating point: "159.90",
// "159,90", "1.234,56", "1,234.56", "1234" and "R$ 1.234,56". It refuses
// what it would have to guess: a single separator followed by exactly
// three digits ("1.234" is 1234 reais in Brazil and 1.234 in the US), more
// than two decimals, misplaced thousands separators ("1,2,3"), and zero or
// negative amounts.
func ParseAmount(s string) (int64, error) {
	raw := s
	s = strings.TrimSpace(s)
	if len(s) >= 2 && strings.EqualFold(s[:2], "R$") {
		s = strings.TrimSpace(s[2:])
	}
	s = strings.ReplaceAll(s, "\u00a0", "") // spreadsheets group thousands with NBSP too
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%q is negative: an invoice amount must be greater than zero", raw)
	}
	if s == "" || strings.Trim(s, "0123456789.,") != "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("%q is not an amount", raw)
	}
	intPart, frac := s, ""
	lastDot, lastComma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	dec := max(lastDot, lastComma)
	switch {
	case dec < 0:
	case lastDot >= 0 && lastComma >= 0: // both: the last one is the decimal separator
		intPart, frac = s[:dec], s[dec+1:]
		if strings.Contains(frac, ".") || strings.Contains(frac, ",") {
			return 0, fmt.Errorf("%q is not an amount", raw)
		}
	case strings.Count(s, s[dec:dec+1]) > 1: // repeated: thousands separators only
	case len(s)-dec-1 == 3:
		return 0, fmt.Errorf("%q is ambiguous: write a thousand as 1000 or 1.000,00, and cents with at most 2 decimals", raw)
	default:
		intPart, frac = s[:dec], s[dec+1:]
	}
	if dec >= 0 && frac == "" && intPart != s {
		return 0, fmt.Errorf("%q is not an amount: no digits after the decimal separator", raw)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%q has more than 2 decimal places", raw)
	}
	digits, ok := ungroup(intPart)
	if !ok {
		return 0, fmt.Errorf("%q is not an amount: misplaced thousands separator", raw)
	}
	if len(strings.TrimLeft(digits, "0")) > maxAmountDigits {
		return 0, fmt.Errorf("%q is too large", raw)
	}
	var cents int64
	for _, c := range digits + (frac + "00")[:2] {
		cents = cents*10 + int64(c-'0')
	}
	if cents == 0 {
		return 0, fmt.Errorf("%q is zero: an invoice amount must be greater than zero", raw)
	}
	return cents, nil
}

// ungroup removes thousands separators ('.' or ',', one kind), checking
// that they group by three: "1.234.567" yes, "1,2,3" and "12.34" no.
func ungroup(s string) (string, bool) {
	if !strings.ContainsAny(s, ".,") {
		return s, s != ""
	}
	if strings.Contains(s, ".") && strings.Contains(s, ",") {
		return "", false
	}
	groups := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == ',' })
	if len(groups) != strings.Count(s, ".")+strings.Count(s, ",")+1 || len(groups[0]) > 3 {
		return "", false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

// ParseDate reads a due date written as 2026-11-25 or 25/11/2026 (day and
// month may have one digit) and returns it as 2026-11-25. Impossible dates
// such as 31/02/2026 are refused.
func ParseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", fmt.Errorf("%q is not a date: write 2026-11-25 or 25/11/2026", s)
}
