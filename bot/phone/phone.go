package phone

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
)

// ErrInvalid matches (with errors.Is) every error Normalize returns for a
// string that is not a usable phone number, except ErrLID.
var ErrInvalid = errors.New("phone: invalid number")

// ErrLID is returned for WhatsApp "@lid" JIDs. A LID is an opaque account
// identifier, not a phone number; the transport must resolve it to the
// phone-number JID before Quita can match it to a customer.
var ErrLID = errors.New("phone: WhatsApp LID is not a phone number")

// Error describes why an input is not a phone number. Its text is a short
// sentence such as "phone: too short", fit to show to an operator.
type Error struct {
	// Reason is the sentence after the "phone: " prefix.
	Reason string
}

// Error returns the reason with the package prefix.
func (e *Error) Error() string { return "phone: " + e.Reason }

// Is makes every *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func invalid(reason string) error { return &Error{Reason: reason} }

// E.164 allows at most 15 digits; Quita also refuses fewer than 8, which no
// reachable mobile number has.
const (
	minDigits = 8
	maxDigits = 15
)

// callingCodes maps the ISO 3166 codes accepted as defaultCountry to their
// calling codes. Brazil is the only country whose national format Quita
// validates in depth; for the others a national number just loses its trunk
// prefix 0 and gains the calling code.
var callingCodes = map[string]string{
	"BR": "55", "AR": "54", "BO": "591", "CL": "56", "CO": "57", "EC": "593",
	"PE": "51", "PY": "595", "UY": "598", "VE": "58", "MX": "52",
	"US": "1", "CA": "1", "PT": "351", "ES": "34", "GB": "44", "FR": "33", "DE": "49",
}

// Normalize returns input as an E.164 number ("+5511988887777").
//
// Numbers with a leading "+" and WhatsApp JIDs carry their own country code;
// other numbers are read in the national format of defaultCountry, an ISO
// 3166 code such as "BR" or a calling code such as "55" or "+351" ("" means
// Brazil). Digits 55 followed by a full Brazilian number ("5511988887777")
// are taken as already international when the default country is Brazil.
//
// Brazilian numbers are checked against the area-code list, lose a trunk
// prefix and carrier code ("0 21 11 …"), and eight-digit mobiles (first digit
// 6 to 9) gain the ninth digit; eight-digit landlines (2 to 5) are kept.
// Other countries are only checked for length: 8 to 15 digits in all.
//
// JIDs on s.whatsapp.net (or c.us) are accepted with or without a device
// suffix ("5511988887777:12@s.whatsapp.net"); "@lid" JIDs return ErrLID.
// Every other failure matches ErrInvalid.
func Normalize(input, defaultCountry string) (string, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", invalid("empty")
	}
	if strings.Contains(s, "@") {
		user, err := jidUser(s)
		if err != nil {
			return "", err
		}
		return international(user, false)
	}
	plus := s[0] == '+'
	if plus {
		s = s[1:]
	}
	digits, err := digitsOf(s)
	if err != nil {
		return "", err
	}
	if plus {
		return international(digits, true)
	}
	code, err := callingCode(defaultCountry)
	if err != nil {
		return "", err
	}
	if code == brazilCode {
		// Check the length before the prefixes so "5511988887777" is not
		// misread as a national number.
		if (len(digits) == 12 || len(digits) == 13) && strings.HasPrefix(digits, brazilCode) {
			return brazilE164(digits[2:])
		}
		national, err := brazilNational(digits)
		if err != nil {
			return "", err
		}
		return brazilE164(national)
	}
	return international(code+strings.TrimPrefix(digits, "0"), false)
}

// international validates digits that start with a country code. typed is
// true for numbers a person wrote after "+", who may keep the Brazilian
// trunk prefix as in "+55 (011) 98888-7777".
func international(digits string, typed bool) (string, error) {
	switch {
	case digits == "":
		return "", invalid("no digits")
	case digits[0] == '0':
		return "", invalid("country codes cannot start with 0")
	case strings.HasPrefix(digits, brazilCode):
		national := digits[2:]
		if typed && strings.HasPrefix(national, "0") {
			national = national[1:]
		}
		return brazilE164(national)
	case len(digits) < minDigits:
		return "", invalid("too short")
	case len(digits) > maxDigits:
		return "", invalid("too long")
	}
	return "+" + digits, nil
}

// digitsOf keeps the ASCII digits of s and drops the separators people
// write between them; any other character is an error.
func digitsOf(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' || r == '(' || r == ')' || r == '.' || r == '/' || unicode.IsSpace(r):
		default:
			return "", invalid("unexpected character " + strconv.QuoteRune(r))
		}
	}
	if b.Len() == 0 {
		return "", invalid("no digits")
	}
	if b.Len() > 2*maxDigits {
		return "", invalid("too long")
	}
	return b.String(), nil
}

// callingCode resolves defaultCountry to a calling code.
func callingCode(country string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(country))
	if c == "" {
		return brazilCode, nil
	}
	if code, ok := callingCodes[c]; ok {
		return code, nil
	}
	c = strings.TrimPrefix(c, "+")
	if c != "" && len(c) <= 3 && c[0] != '0' && strings.Trim(c, "0123456789") == "" {
		return c, nil
	}
	return "", invalid("unknown default country " + strconv.Quote(country))
}
