package phone

// brazilCode is Brazil's country calling code.
const brazilCode = "55"

// brazilAreaCodes is the set of area codes (DDDs) Anatel assigns. Numbers
// such as 20, 23, 25, 26, 29, 30, 36, 39, 40, 50, 52, 56-60, 70, 72, 76, 78,
// 80 and 90 are not in use and reveal a mistyped number.
var brazilAreaCodes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "16": true, "17": true, "18": true, "19": true,
	"21": true, "22": true, "24": true, "27": true, "28": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "37": true, "38": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true, "47": true, "48": true, "49": true,
	"51": true, "53": true, "54": true, "55": true,
	"61": true, "62": true, "63": true, "64": true, "65": true, "66": true, "67": true, "68": true, "69": true,
	"71": true, "73": true, "74": true, "75": true, "77": true, "79": true,
	"81": true, "82": true, "83": true, "84": true, "85": true, "86": true, "87": true, "88": true, "89": true,
	"91": true, "92": true, "93": true, "94": true, "95": true, "96": true, "97": true, "98": true, "99": true,
}

// IsBrazilianAreaCode reports whether ddd is an area code in use in Brazil.
func IsBrazilianAreaCode(ddd string) bool { return brazilAreaCodes[ddd] }

// brazilNational strips the national prefixes from digits written without a
// country code: the trunk prefix 0 ("011 98888-7777") and, after it, an
// optional two-digit carrier selection code ("0 21 11 98888-7777").
func brazilNational(digits string) (string, error) {
	if digits[0] != '0' {
		return digits, nil
	}
	if len(digits) > 1 && digits[1] == '0' {
		return "", invalid("international prefix 00 is ambiguous; write the number with + and the country code")
	}
	rest := digits[1:]
	if len(rest) == 12 || len(rest) == 13 {
		rest = rest[2:] // carrier selection code
	}
	return rest, nil
}

// brazilE164 validates a Brazilian national number (area code followed by
// the subscriber number) and returns it in E.164, adding the ninth digit to
// mobiles still written with eight digits.
func brazilE164(national string) (string, error) {
	switch {
	case len(national) < 10:
		if len(national) == 8 || len(national) == 9 {
			return "", invalid("missing Brazilian area code")
		}
		return "", invalid("too short")
	case len(national) > 11:
		return "", invalid("too long")
	}
	ddd, subscriber := national[:2], national[2:]
	if !brazilAreaCodes[ddd] {
		return "", invalid("unknown Brazilian area code " + ddd)
	}
	switch first := subscriber[0]; {
	case len(subscriber) == 9 && first != '9':
		return "", invalid("Brazilian nine-digit numbers must start with 9")
	case len(subscriber) == 8 && first >= '6':
		subscriber = "9" + subscriber // mobile written before the ninth digit
	case len(subscriber) == 8 && first < '2':
		return "", invalid("Brazilian subscriber numbers cannot start with 0 or 1")
	}
	return "+" + brazilCode + ddd + subscriber, nil
}

// brazilMobile splits a canonical Brazilian mobile E.164 number into area
// code and nine-digit subscriber number; ok is false for anything else.
func brazilMobile(e164 string) (ddd, subscriber string, ok bool) {
	if len(e164) != 14 || e164[:3] != "+"+brazilCode || e164[5] != '9' {
		return "", "", false
	}
	return e164[3:5], e164[5:], true
}
