package cloudapi

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultAPIVersionIsCurrentAndKnown(t *testing.T) {
	if w := VersionWarning(DefaultAPIVersion, testNow); w != "" {
		t.Fatalf("the default version warns: %s", w)
	}
	if DefaultAPIVersion == "v21.0" {
		t.Fatal("the default is still v21.0, which Meta turns off on 2027-01-21")
	}
}

func TestVersionWarning(t *testing.T) {
	for _, tc := range []struct {
		version string
		now     time.Time
		want    string // "" means no warning
	}{
		{"v21.0", date(2026, time.October, 1), ""},                                       // 112 days before its end
		{"v21.0", date(2026, time.October, 24), "reaches its end of life on 2027-01-21"}, // 89 days before
		{"v21.0", date(2026, time.December, 8), "(in 44 days)"},
		{"v21.0", date(2027, time.January, 21), "reached its end of life on 2027-01-21"},
		{"v25.0", date(2026, time.December, 8), ""},
		{"v26.0", date(2030, time.January, 1), ""}, // no end announced yet
		{"v99.0", date(2026, time.December, 8), "not in Quita's table"},
	} {
		got := VersionWarning(tc.version, tc.now)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("VersionWarning(%s, %s) = %q, want %q", tc.version, tc.now.Format("2006-01-02"), got, tc.want)
		}
	}
}

// TestNewWarnsAtStartAboutAnExpiringVersion: the operator hears it in the
// log at every start, with the version and what to set instead.
func TestNewWarnsAtStartAboutAnExpiringVersion(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.APIVersion = "v21.0"; c.Clock = fixedClock{date(2026, time.December, 8)} })
	if log := e.logs.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "api_version=v21.0") ||
		!strings.Contains(log, "QUITA_CLOUDAPI_API_VERSION to "+DefaultAPIVersion) {
		t.Fatalf("no end-of-life warning at start; log:\n%s", log)
	}
	quiet := newEnv(t)
	if strings.Contains(quiet.logs.String(), "api_version") {
		t.Fatalf("a current version warned:\n%s", quiet.logs.String())
	}
	if _, err := New(Config{PhoneNumberID: testPhoneID, AccessToken: "t", AppSecret: "s", VerifyToken: "v",
		Sink: &fakeSink{}, Window: &fakeWindow{}, APIVersion: "26"}); err == nil || !strings.Contains(err.Error(), "APIVersion") {
		t.Fatalf("New with version %q: %v, want it refused", "26", err)
	}
}
