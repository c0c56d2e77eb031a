package webhooks

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test vector of contract §4.1 (from the Standard Webhooks spec).
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = "1614265330"
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var specTime = time.Unix(1614265330, 0)

func mustSecret(t testing.TB, s string) Secret {
	t.Helper()
	secret, err := ParseSecret(s)
	if err != nil {
		t.Fatalf("ParseSecret(%q): %v", s, err)
	}
	return secret
}

func fixedClock(at time.Time) func() time.Time { return func() time.Time { return at } }

func TestSignSpecVector(t *testing.T) {
	got := Sign(mustSecret(t, specSecret), specID, specTime, []byte(specBody))
	if got != specSignature {
		t.Fatalf("Sign = %s, want %s", got, specSignature)
	}
}

func TestParseSecret(t *testing.T) {
	key16 := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	tests := []struct {
		name, in, wantErr string
	}{
		{"spec secret", specSecret, ""},
		{"surrounding space", " " + specSecret + "\n", ""},
		{"unpadded base64", "whsec_" + strings.TrimRight(key16, "="), ""},
		{"16 bytes", "whsec_" + key16, ""},
		{"missing prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `webhooks: invalid secret: it must start with "whsec_"`},
		{"other prefix", "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `webhooks: invalid secret: it must start with "whsec_"`},
		{"bad base64", "whsec_not*base64!", `webhooks: invalid secret: the part after "whsec_" is not valid base64`},
		{"empty key", "whsec_", "webhooks: invalid secret: key is 0 bytes, at least 16 are required"},
		{"15 bytes", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 15)), "webhooks: invalid secret: key is 15 bytes, at least 16 are required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSecret(tt.in)
			if tt.wantErr == "" {
				if err != nil || s.IsZero() {
					t.Fatalf("ParseSecret(%q) = %v, %v", tt.in, s, err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("ParseSecret(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidSecret) {
				t.Errorf("error does not match ErrInvalidSecret")
			}
		})
	}
}

func TestGenerateSecret(t *testing.T) {
	a, err := GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateSecret()
	if a == b {
		t.Fatal("two generated secrets are equal")
	}
	if !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("GenerateSecret = %q, want whsec_ prefix", a)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if err != nil || len(key) != 32 {
		t.Fatalf("key of %q: %d bytes, %v; want 32", a, len(key), err)
	}
	mustSecret(t, a)
}

func TestSecretDoesNotLeak(t *testing.T) {
	s := mustSecret(t, specSecret)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(format, s); strings.Contains(out, "MfKQ") || strings.Contains(out, "[49 ") {
			t.Errorf("Sprintf(%q) = %q leaks the key", format, out)
		}
	}
}

func TestVerify(t *testing.T) {
	spec := mustSecret(t, specSecret)
	next := mustSecret(t, "whsec_"+base64.StdEncoding.EncodeToString([]byte("the next secret, rotated in")))
	body := []byte(specBody)
	nextSig := Sign(next, specID, specTime, body)
	tests := []struct {
		name       string
		secrets    []Secret
		tolerance  time.Duration
		now        time.Time
		id, ts     string
		signatures string
		body       string
		want       error
	}{
		{name: "spec vector", signatures: specSignature},
		{name: "rotation: old secret", secrets: []Secret{next, spec}, signatures: specSignature},
		{name: "rotation: new secret", secrets: []Secret{spec, next}, signatures: nextSig},
		{name: "several signatures, last matches", signatures: "v1,Zm9v v1,!!! " + specSignature},
		{name: "extra whitespace", signatures: "  v1,Zm9v\t" + specSignature + " "},
		{name: "unknown version ignored", signatures: "v1a,foo v2," + strings.TrimPrefix(specSignature, "v1,") + " " + specSignature},
		{name: "right MAC under another version", signatures: "v2," + strings.TrimPrefix(specSignature, "v1,"), want: ErrNoMatchingSignature},
		{name: "no comma", signatures: strings.TrimPrefix(specSignature, "v1,"), want: ErrNoMatchingSignature},
		{name: "wrong secret", secrets: []Secret{next}, signatures: specSignature, want: ErrNoMatchingSignature},
		{name: "tampered body", signatures: specSignature, body: `{"test": 2432232315}`, want: ErrNoMatchingSignature},
		{name: "tampered id", id: "msg_other", signatures: specSignature, want: ErrNoMatchingSignature},
		{name: "truncated MAC", signatures: specSignature[:20], want: ErrNoMatchingSignature},
		{name: "at the tolerance, late", now: specTime.Add(5 * time.Minute), signatures: specSignature},
		{name: "at the tolerance, early", now: specTime.Add(-5 * time.Minute), signatures: specSignature},
		{name: "too old", now: specTime.Add(5*time.Minute + time.Second), signatures: specSignature, want: ErrTimestampOutOfTolerance},
		{name: "too new", now: specTime.Add(-5*time.Minute - time.Second), signatures: specSignature, want: ErrTimestampOutOfTolerance},
		{name: "custom tolerance", tolerance: time.Hour, now: specTime.Add(59 * time.Minute), signatures: specSignature},
		{name: "outside custom tolerance", tolerance: time.Second, now: specTime.Add(2 * time.Second), signatures: specSignature, want: ErrTimestampOutOfTolerance},
		{name: "far future timestamp", ts: "9223372036854775807", signatures: specSignature, want: ErrTimestampOutOfTolerance},
		{name: "stale even when signed", ts: "0", signatures: specSignature, want: ErrTimestampOutOfTolerance},
		{name: "timestamp with letters", ts: "1614265330a", signatures: specSignature, want: ErrBadTimestamp},
		{name: "timestamp with sign", ts: "+1614265330", signatures: specSignature, want: ErrBadTimestamp},
		{name: "timestamp in milliseconds overflow", ts: "99999999999999999999", signatures: specSignature, want: ErrBadTimestamp},
		{name: "fractional timestamp", ts: "1614265330.0", signatures: specSignature, want: ErrBadTimestamp},
		{name: "missing id", id: "-", signatures: specSignature, want: ErrMissingHeaders},
		{name: "missing timestamp", ts: "-", signatures: specSignature, want: ErrMissingHeaders},
		{name: "missing signature", signatures: " ", want: ErrMissingHeaders},
		{name: "no secrets", secrets: []Secret{}, signatures: specSignature, want: ErrNoSecret},
		{name: "only a zero secret", secrets: []Secret{{}}, signatures: Sign(Secret{}, specID, specTime, body), want: ErrNoSecret},
		{name: "zero secret skipped", secrets: []Secret{{}, spec}, signatures: Sign(Secret{}, specID, specTime, body), want: ErrNoMatchingSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &Verifier{Secrets: tt.secrets, Tolerance: tt.tolerance, Now: fixedClock(specTime)}
			if tt.secrets == nil {
				v.Secrets = []Secret{spec}
			}
			if !tt.now.IsZero() {
				v.Now = fixedClock(tt.now)
			}
			id, ts, b := or(tt.id, specID), or(tt.ts, specTimestamp), or(tt.body, specBody)
			err := v.VerifyValues(id, ts, tt.signatures, []byte(b))
			if tt.want == nil && err != nil {
				t.Fatalf("VerifyValues: %v", err)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifyValues error = %v, want %v", err, tt.want)
			}
		})
	}
}

// or returns def for "", and "" for "-".
func or(s, def string) string {
	switch s {
	case "":
		return def
	case "-":
		return ""
	}
	return s
}

func TestVerifyHTTPHeader(t *testing.T) {
	v := &Verifier{Secrets: []Secret{mustSecret(t, specSecret)}, Now: fixedClock(specTime.Add(time.Minute))}
	h := http.Header{}
	h.Set("Webhook-Id", specID)
	h.Set("Webhook-Timestamp", specTimestamp)
	h.Set("Webhook-Signature", specSignature)
	if err := v.Verify(h, []byte(specBody)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	h.Del(HeaderTimestamp)
	h.Del(HeaderSignature)
	err := v.Verify(h, []byte(specBody))
	if !errors.Is(err, ErrMissingHeaders) || !strings.Contains(err.Error(), "webhook-timestamp, webhook-signature") {
		t.Fatalf("Verify without headers = %v, want ErrMissingHeaders naming both", err)
	}
}

func TestVerifyDefaultClock(t *testing.T) {
	secret := mustSecret(t, specSecret)
	v := &Verifier{Secrets: []Secret{secret}}
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	if err := v.VerifyValues("msg_1", ts, Sign(secret, "msg_1", now, nil), nil); err != nil {
		t.Fatalf("fresh message with the real clock: %v", err)
	}
	if err := v.VerifyValues("msg_1", specTimestamp, specSignature, []byte(specBody)); !errors.Is(err, ErrTimestampOutOfTolerance) {
		t.Fatalf("2021 message with the real clock = %v, want ErrTimestampOutOfTolerance", err)
	}
}

// FuzzVerify checks that arbitrary headers never panic or pass without a
// "v1," entry, and that a genuine signature is found among any junk and
// stops matching once the body changes.
func FuzzVerify(f *testing.F) {
	f.Add(specID, int64(1614265330), specSignature, []byte(specBody))
	f.Add("msg_1", int64(0), "v1,Zm9v v2,abc", []byte{})
	f.Add("", int64(-1), "", []byte("x"))
	f.Add("id with spaces.and.dots", int64(1<<40), "v1, v1,,, ,v1", []byte{0, 255})
	secret := mustSecret(f, specSecret)
	f.Fuzz(func(t *testing.T, id string, unix int64, signatures string, body []byte) {
		at := time.Unix(unix, 0)
		v := &Verifier{Secrets: []Secret{secret}, Now: fixedClock(at)}
		ts := strconv.FormatInt(unix, 10)
		if err := v.VerifyValues(id, ts, signatures, body); err == nil && !strings.Contains(signatures, "v1,") {
			t.Fatalf("accepted signatures %q without a v1 entry", signatures)
		}
		if strings.TrimSpace(id) == "" || unix < 0 {
			return
		}
		good := Sign(secret, id, at, body)
		if err := v.VerifyValues(id, ts, signatures+" "+good, body); err != nil {
			t.Fatalf("genuine signature after %q rejected: %v", signatures, err)
		}
		tampered := append(body[:len(body):len(body)], 'x')
		if err := v.VerifyValues(id, ts, good, tampered); !errors.Is(err, ErrNoMatchingSignature) {
			t.Fatalf("tampered body = %v, want ErrNoMatchingSignature", err)
		}
	})
}
