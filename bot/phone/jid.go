package phone

import "strings"

// WhatsApp JID servers Quita meets. Only the user server carries a phone
// number; "c.us" is the same server as written by WhatsApp Web libraries.
const (
	serverUser    = "s.whatsapp.net"
	serverLegacy  = "c.us"
	serverLID     = "lid"
	serverGroup   = "g.us"
	serverChannel = "newsletter"
)

// jidUser returns the phone digits of a personal JID, without the agent and
// device suffixes ("5511988887777.0:12@s.whatsapp.net" → "5511988887777").
func jidUser(jid string) (string, error) {
	user, server, _ := strings.Cut(jid, "@")
	switch server {
	case serverUser, serverLegacy:
	case serverLID:
		return "", ErrLID
	case serverGroup, serverChannel, "broadcast":
		return "", invalid("WhatsApp " + server + " JIDs are not phone numbers")
	default:
		return "", invalid("not a WhatsApp phone JID")
	}
	user, suffix, _ := strings.Cut(user, ":")
	user, agent, _ := strings.Cut(user, ".")
	if !allDigits(suffix) || !allDigits(agent) {
		return "", invalid("malformed WhatsApp device suffix")
	}
	if user == "" || !allDigits(user) {
		return "", invalid("WhatsApp JID user must be digits")
	}
	return user, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isE164 reports whether s is "+" followed by 8 to 15 digits, the first not 0.
func isE164(s string) bool {
	d, ok := strings.CutPrefix(s, "+")
	return ok && len(d) >= minDigits && len(d) <= maxDigits && d[0] != '0' && allDigits(d)
}

// JID returns the WhatsApp user JID of an E.164 number
// ("+5511988887777" → "5511988887777@s.whatsapp.net"), or "" if e164 is not
// in E.164 form. It does not add or remove the ninth digit: to reach an
// account registered without it, pass the matching entry of Variants.
func JID(e164 string) string {
	if !isE164(e164) {
		return ""
	}
	return e164[1:] + "@" + serverUser
}

// FromJID returns the canonical E.164 number of a WhatsApp user JID, dropping
// the device suffix and restoring the Brazilian ninth digit. It fails with
// ErrLID for "@lid" JIDs and with an ErrInvalid error for anything that is
// not a JID.
func FromJID(jid string) (string, error) {
	jid = strings.TrimSpace(jid)
	if !strings.Contains(jid, "@") {
		return "", invalid("not a WhatsApp JID")
	}
	return Normalize(jid, "")
}

// Variants returns the numbers under which the person behind e164 may be
// known: the canonical form first and, for a Brazilian mobile, the form
// without the ninth digit that WhatsApp keeps for accounts registered before
// it existed. Input that is not canonical is normalised first (as Brazilian
// when it has no country code); Variants returns nil if that fails.
func Variants(e164 string) []string {
	canonical, err := Normalize(e164, "BR")
	if err != nil {
		return nil
	}
	if ddd, subscriber, ok := brazilMobile(canonical); ok {
		return []string{canonical, "+" + brazilCode + ddd + subscriber[1:]}
	}
	return []string{canonical}
}

// Mask hides the middle of a number for logs, keeping the country code, the
// Brazilian area code and the last four digits: "+5511988887777" becomes
// "+55 11 9****-7777" and "+551133334444" becomes "+55 11 ****-4444". Other
// countries keep "+", two digits and the last four ("+35******5678"). Input
// that is not E.164 is masked entirely, so a malformed number never leaks.
func Mask(e164 string) string {
	if !isE164(e164) {
		return "***"
	}
	d := e164[1:]
	last4 := d[len(d)-4:]
	if strings.HasPrefix(d, brazilCode) && (len(d) == 12 || len(d) == 13) {
		ddd, subscriber := d[2:4], d[4:]
		if len(subscriber) == 9 {
			return "+" + brazilCode + " " + ddd + " " + subscriber[:1] + "****-" + last4
		}
		return "+" + brazilCode + " " + ddd + " ****-" + last4
	}
	return "+" + d[:2] + strings.Repeat("*", len(d)-6) + last4
}
