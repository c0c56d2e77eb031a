package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quitabot/quita/bot"
	"github.com/quitabot/quita/bot/input"
)

// Header names of the Standard Webhooks scheme. net/http canonicalises them
// on Get and Set, so they work with http.Header as written.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a webhook-timestamp may be from the verifier's
// clock, either way, when Verifier.Tolerance is not set.
const DefaultTolerance = 5 * time.Minute

const (
	secretPrefix    = "whsec_"
	minSecretBytes  = 16
	newSecretBytes  = 32
	signatureScheme = "v1"
)

// Errors reported by ParseSecret and Verifier. Verification errors wrap one
// of them with detail, so match them with errors.Is: ErrNoSecret is a server
// misconfiguration; the others mean the request is refused (401 in web).
var (
	ErrInvalidSecret           = errors.New("webhooks: invalid secret")
	ErrNoSecret                = errors.New("webhooks: no signing secret configured")
	ErrMissingHeaders          = errors.New("webhooks: missing signature headers")
	ErrBadTimestamp            = errors.New("webhooks: malformed webhook-timestamp")
	ErrTimestampOutOfTolerance = errors.New("webhooks: webhook-timestamp outside tolerance")
	ErrNoMatchingSignature     = errors.New("webhooks: no matching signature")
)

// Secret is an HMAC key read from its "whsec_<base64>" form. The zero value
// holds no key and never verifies a signature. Its String method hides the
// key, so a Secret is safe to log by accident.
type Secret struct {
	key []byte
}

// ParseSecret reads a "whsec_" secret. The base64 part may be padded or
// not and must decode to at least 16 bytes.
func ParseSecret(s string) (Secret, error) {
	encoded, ok := strings.CutPrefix(strings.TrimSpace(s), secretPrefix)
	if !ok {
		return Secret{}, fmt.Errorf("%w: it must start with %q", ErrInvalidSecret, secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(encoded)
	}
	if err != nil {
		return Secret{}, fmt.Errorf("%w: the part after %q is not valid base64", ErrInvalidSecret, secretPrefix)
	}
	if len(key) < minSecretBytes {
		return Secret{}, fmt.Errorf("%w: key is %d bytes, at least %d are required", ErrInvalidSecret, len(key), minSecretBytes)
	}
	return Secret{key: key}, nil
}

// GenerateSecret returns a new "whsec_" secret holding 32 random bytes, as
// printed at first start when QUITA_WEBHOOK_SECRET is not set.
func GenerateSecret() (string, error) {
	key := make([]byte, newSecretBytes)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("webhooks: generate secret: %w", err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// IsZero reports whether s holds no key.
func (s Secret) IsZero() bool { return len(s.key) == 0 }

// String hides the key.
func (s Secret) String() string { return secretPrefix + "[redacted]" }

// GoString hides the key from %#v too.
func (s Secret) GoString() string { return "webhooks.Secret{" + s.String() + "}" }

// Sign returns the webhook-signature value for a message:
// "v1," + base64(HMAC-SHA256(key, id + "." + unix seconds + "." + body)).
func Sign(secret Secret, id string, ts time.Time, body []byte) string {
	mac := secret.mac(id, strconv.FormatInt(ts.Unix(), 10), body)
	return signatureScheme + "," + base64.StdEncoding.EncodeToString(mac)
}

func (s Secret) mac(id, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Header is what Verify reads headers from; http.Header satisfies it.
type Header interface {
	Get(key string) string
}

// Verifier checks signed webhooks. Configure it with a struct literal; it is
// safe for concurrent use once configured.
type Verifier struct {
	// Secrets are all accepted, so a rotated secret and its successor can
	// both be configured for a while. Zero secrets are skipped.
	Secrets []Secret
	// Tolerance is how far the timestamp may be from Now, either way; zero
	// or negative means DefaultTolerance.
	Tolerance time.Duration
	// Now is the verifier's clock; nil means time.Now.
	Now func() time.Time
}

// Verify checks the Standard Webhooks headers of a request against its raw
// body. It is VerifyValues with the values read from h.
func (v *Verifier) Verify(h Header, body []byte) error {
	return v.VerifyValues(h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature), body)
}

// VerifyValues checks a message given its webhook-id, webhook-timestamp and
// webhook-signature values. signatures may list several space-separated
// "v1,<base64>" entries; the message is accepted if any of them matches any
// secret. Entries of other versions and undecodable entries are ignored.
// Comparisons are constant-time. The error is ErrNoSecret or wraps
// ErrMissingHeaders, ErrBadTimestamp, ErrTimestampOutOfTolerance or
// ErrNoMatchingSignature.
func (v *Verifier) VerifyValues(id, timestamp, signatures string, body []byte) error {
	if !v.hasSecret() {
		return ErrNoSecret
	}
	var missing []string
	for _, h := range [...]struct{ name, value string }{
		{HeaderID, id}, {HeaderTimestamp, timestamp}, {HeaderSignature, signatures},
	} {
		if strings.TrimSpace(h.value) == "" {
			missing = append(missing, h.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrMissingHeaders, strings.Join(missing, ", "))
	}
	sent, err := parseTimestamp(timestamp)
	if err != nil {
		return err
	}
	if err := v.checkTolerance(sent); err != nil {
		return err
	}
	macs := make([][]byte, 0, len(v.Secrets))
	for _, s := range v.Secrets {
		if !s.IsZero() {
			macs = append(macs, s.mac(id, timestamp, body))
		}
	}
	for _, entry := range strings.Fields(signatures) {
		version, encoded, ok := strings.Cut(entry, ",")
		if !ok || version != signatureScheme {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			continue
		}
		for _, mac := range macs {
			if hmac.Equal(got, mac) {
				return nil
			}
		}
	}
	return ErrNoMatchingSignature
}

// MaxIDBytes caps a webhook-id: Standard Webhooks ids are short
// ("msg_" and a few dozen characters), and it is stored to refuse replays.
const MaxIDBytes = 255

// CheckID refuses a webhook-id that cannot be stored as text: invalid
// UTF-8, NUL, or longer than MaxIDBytes. The signature covers the id, so a
// sender can sign such an id; it still must not reach the store, where
// PostgreSQL would fail on it. The error is a bot.Invalid on "webhook-id".
func CheckID(id string) error {
	if err := input.Check(HeaderID, id, 0); err != nil {
		return err
	}
	if len(id) > MaxIDBytes {
		return bot.Invalid(HeaderID, "must be at most %d bytes", MaxIDBytes)
	}
	return nil
}

func (v *Verifier) hasSecret() bool {
	for _, s := range v.Secrets {
		if !s.IsZero() {
			return true
		}
	}
	return false
}

// parseTimestamp accepts unix seconds written as plain ASCII digits; the
// string is signed as sent, so signs and spaces are refused rather than
// normalised.
func parseTimestamp(s string) (time.Time, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, fmt.Errorf("%w: %q is not unix seconds", ErrBadTimestamp, s)
		}
	}
	secs, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is out of range", ErrBadTimestamp, s)
	}
	return time.Unix(secs, 0), nil
}

func (v *Verifier) checkTolerance(sent time.Time) error {
	tolerance := v.Tolerance
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	// Sub saturates instead of overflowing, so extreme timestamps are safe.
	at := now()
	if age := at.Sub(sent); age > tolerance {
		return fmt.Errorf("%w: sent %s ago, more than %s", ErrTimestampOutOfTolerance, age.Round(time.Second), tolerance)
	}
	if ahead := sent.Sub(at); ahead > tolerance {
		return fmt.Errorf("%w: sent %s in the future, more than %s", ErrTimestampOutOfTolerance, ahead.Round(time.Second), tolerance)
	}
	return nil
}
