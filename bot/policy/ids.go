package policy

import (
	"regexp"
	"strings"
)

// digits keeps only the ASCII digits of s.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// validDocument accepts a CPF (11 digits) or a CNPJ (14 characters), with or
// without punctuation, whose check digits are right. CNPJs may be
// alphanumeric (Receita Federal, from July 2026): the first 12 characters are
// 0–9 or A–Z, valued by ASCII code − 48, and the last two are digits.
func validDocument(s string) bool {
	s = strings.ToUpper(strings.NewReplacer(".", "", "-", "", "/", "", " ", "").Replace(s))
	switch len(s) {
	case 11:
		return digits(s) == s && validCPF(s)
	case 14:
		return validCNPJ(s)
	}
	return false
}

// FormatDocument writes a valid CPF as "CPF 123.456.789-09" and a CNPJ as
// "CNPJ 12.345.678/0001-95", the way debtors see them on a boleto; anything
// else is returned as given.
func FormatDocument(s string) string {
	if !validDocument(s) {
		return s
	}
	c := strings.ToUpper(strings.NewReplacer(".", "", "-", "", "/", "", " ", "").Replace(s))
	if len(c) == 11 {
		return "CPF " + c[:3] + "." + c[3:6] + "." + c[6:9] + "-" + c[9:]
	}
	return "CNPJ " + c[:2] + "." + c[2:5] + "." + c[5:8] + "/" + c[8:12] + "-" + c[12:]
}

func validCPF(s string) bool {
	if strings.Count(s, s[:1]) == len(s) { // 000.000.000-00 and the like pass the maths but are invalid
		return false
	}
	for n := 9; n <= 10; n++ {
		sum := 0
		for i := 0; i < n; i++ {
			sum += int(s[i]-'0') * (n + 1 - i)
		}
		d := sum * 10 % 11 % 10
		if int(s[n]-'0') != d {
			return false
		}
	}
	return true
}

func validCNPJ(s string) bool {
	for i := 0; i < 14; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9') && !(i < 12 && c >= 'A' && c <= 'Z') {
			return false
		}
	}
	if strings.Count(s, s[:1]) == len(s) {
		return false
	}
	weights := []int{6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
	for n := 12; n <= 13; n++ {
		sum := 0
		for i := 0; i < n; i++ {
			sum += int(s[i]-'0') * weights[i+13-n]
		}
		d := 11 - sum%11
		if d >= 10 {
			d = 0
		}
		if int(s[n]-'0') != d {
			return false
		}
	}
	return true
}

var (
	emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	evpRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	phoneRe = regexp.MustCompile(`^\+55[1-9][0-9]{9,10}$`)
)

func validEmail(s string) bool { return len(s) <= 254 && emailRe.MatchString(s) }

// validPixKey accepts the five DICT key types in the form they are written
// into a BR Code: CPF or CNPJ digits, "+55…" phone, e-mail, random (EVP) UUID.
func validPixKey(k string) bool {
	switch {
	case phoneRe.MatchString(k), evpRe.MatchString(k):
		return true
	case strings.Contains(k, "@"):
		return len(k) <= 77 && validEmail(k)
	case len(k) == 11 && digits(k) == k:
		return validCPF(k)
	case len(k) == 14:
		return validCNPJ(strings.ToUpper(k))
	}
	return false
}

// Warnings returns advice about a valid policy that is lawful but unwise,
// for the caller to log at start-up: one line each, key path first.
func (p Policy) Warnings() []string {
	var w []string
	add := func(s string) { w = append(w, "policy: "+s) }
	if p.Company.Name == DemoCompanyName {
		add("company.name: still the demo placeholder; debtors will see it as the creditor")
	}
	if p.Company.Document == "" || p.Company.Address == "" {
		add("company: set document and address — CDC art. 42-A asks for them on collection messages")
	}
	if p.Charges.MonthlyInterestPercent > 1 {
		add("charges.monthly_interest_percent: above 1 a month is usually abusive for creditors that are not banks")
	}
	if p.Discounts.Enabled && p.Discounts.AfterDays < 15 {
		add("discounts.after_days: discounts offered early teach debtors to wait for them")
	}
	if !p.ContactWindows.Holidays.National {
		add("contact_windows.holidays.national: off — debtors will be contacted on national holidays")
	}
	return w
}
