package cloudapi

import (
	"fmt"
	"regexp"
	"time"
)

// graphVersions is when each Graph API version Quita may be configured with
// came out and until when Meta serves it; a zero AvailableUntil means Meta
// has not announced it yet (it has been about two years after the release
// of the next-but-one version).
//
// Source: Meta's Graph API changelog, "Available Graph API versions"
// (https://developers.facebook.com/docs/graph-api/changelog/versions/),
// read in December 2026. Update this table, and DefaultAPIVersion, when
// Meta publishes a new version or an end date; the Cloud API follows the
// Graph API's versions.
var graphVersions = []graphVersion{
	{"v27.0", date(2026, time.November, 4), time.Time{}},
	{"v26.0", date(2026, time.July, 29), time.Time{}},
	{"v25.0", date(2026, time.February, 18), date(2028, time.July, 29)},
	{"v24.0", date(2025, time.October, 8), date(2028, time.February, 18)},
	{"v23.0", date(2025, time.May, 29), date(2027, time.October, 8)},
	{"v22.0", date(2025, time.January, 21), date(2027, time.May, 20)},
	{"v21.0", date(2024, time.October, 2), date(2027, time.January, 21)},
	{"v20.0", date(2024, time.May, 21), date(2026, time.September, 24)},
	{"v19.0", date(2024, time.January, 23), date(2026, time.May, 21)},
	{"v18.0", date(2023, time.September, 12), date(2026, time.January, 26)},
}

// graphVersion is one row of graphVersions.
type graphVersion struct {
	Version        string
	Introduced     time.Time
	AvailableUntil time.Time // zero: not announced
}

// versionWarningWindow is how long before a version's end Quita starts
// warning at every start: enough for an operator to test and redeploy.
const versionWarningWindow = 90 * 24 * time.Hour

var versionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// VersionWarning says what an operator should know about running on
// Graph API version v at now: that it is past or within 90 days of its end
// of life, or that Quita does not know its dates. It is empty for a
// version that is fine.
func VersionWarning(v string, now time.Time) string {
	for _, gv := range graphVersions {
		if gv.Version != v {
			continue
		}
		end := gv.AvailableUntil
		switch {
		case end.IsZero():
			return ""
		case !now.Before(end):
			return fmt.Sprintf("Graph API %s reached its end of life on %s: Meta refuses calls to it; set QUITA_CLOUDAPI_API_VERSION to %s",
				v, end.Format("2006-01-02"), DefaultAPIVersion)
		case end.Sub(now) <= versionWarningWindow:
			return fmt.Sprintf("Graph API %s reaches its end of life on %s (in %d days); set QUITA_CLOUDAPI_API_VERSION to %s",
				v, end.Format("2006-01-02"), int(end.Sub(now).Hours()/24), DefaultAPIVersion)
		}
		return ""
	}
	return fmt.Sprintf("Graph API %s is not in Quita's table of versions, so its end of life cannot be checked; %s is the version Quita is tested with",
		v, DefaultAPIVersion)
}
