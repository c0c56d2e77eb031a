package policy

import (
	"testing"
	"time"
)

var brt = time.FixedZone("BRT", -3*3600)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, brt)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAllowed(t *testing.T) {
	sp := Default()
	sp.ContactWindows.Saturday = "08:00-14:00"
	split := Default()
	split.ContactWindows.Tuesday = "09:00-12:00, 13:30-18:00"
	tests := []struct {
		name string
		p    Policy
		at   string
		want bool
	}{
		{"opening minute", Default(), "2026-11-23 09:00", true},
		{"before opening", Default(), "2026-11-23 08:59", false},
		{"last minute", Default(), "2026-11-23 17:59", true},
		{"closing is exclusive", Default(), "2026-11-23 18:00", false},
		{"saturday off", Default(), "2026-11-21 10:00", false},
		{"sunday never", Default(), "2026-11-22 10:00", false},
		{"national holiday", Default(), "2026-11-20 10:00", false},
		{"carnival", Default(), "2026-02-16 10:00", false},
		{"SP saturday", sp, "2026-11-21 13:59", true},
		{"SP saturday close", sp, "2026-11-21 14:00", false},
		{"lunch break", split, "2026-11-24 12:30", false},
		{"after lunch", split, "2026-11-24 13:30", true},
	}
	for _, tt := range tests {
		if got := tt.p.Allowed(at(tt.at)); got != tt.want {
			t.Errorf("%s: Allowed(%s) = %v, want %v", tt.name, tt.at, got, tt.want)
		}
	}
}

func TestNextAllowed(t *testing.T) {
	noCarnival := Default()
	noCarnival.ContactWindows.Holidays.Carnival = false
	sp := Default()
	sp.ContactWindows.Monday = "08:00-20:00"
	sp.ContactWindows.Saturday = "08:00-14:00"
	split := Default()
	split.ContactWindows.Tuesday = "09:00-12:00, 13:30-18:00"
	tests := []struct {
		name     string
		p        Policy
		from, to string
	}{
		{"inside stays", Default(), "2026-11-23 10:15", "2026-11-23 10:15"},
		{"early morning", Default(), "2026-11-23 07:00", "2026-11-23 09:00"},
		{"friday evening to monday", Default(), "2026-11-27 18:30", "2026-11-30 09:00"},
		{"sunday to monday", Default(), "2026-11-29 11:00", "2026-11-30 09:00"},
		{"eve of holiday friday", Default(), "2026-11-19 18:30", "2026-11-23 09:00"},
		{"eve of good friday", Default(), "2026-04-02 18:00", "2026-04-06 09:00"},
		{"carnival", Default(), "2026-02-13 18:30", "2026-02-18 09:00"},
		{"carnival off", noCarnival, "2026-02-13 18:30", "2026-02-16 09:00"},
		{"christmas eve", Default(), "2026-12-24 18:00", "2026-12-28 09:00"},
		{"new year", Default(), "2026-12-31 18:00", "2027-01-04 09:00"},
		{"SP saturday", sp, "2026-11-27 18:30", "2026-11-28 08:00"},
		{"SP saturday afternoon", sp, "2026-11-28 14:00", "2026-11-30 08:00"},
		{"lunch break", split, "2026-11-24 12:00", "2026-11-24 13:30"},
	}
	for _, tt := range tests {
		got := tt.p.NextAllowed(at(tt.from))
		if !got.Equal(at(tt.to)) || got.Location() != brt {
			t.Errorf("%s: NextAllowed(%s) = %v, want %s", tt.name, tt.from, got, tt.to)
		}
		if !tt.p.Allowed(got) {
			t.Errorf("%s: NextAllowed returned a forbidden moment %v", tt.name, got)
		}
	}
}

func TestParseHours(t *testing.T) {
	for _, s := range []string{"9-18", "09:00", "18:00-09:00", "09:00-25:00", "09:00-12:00,11:00-13:00", "09:60-10:00"} {
		if _, err := parseHours(s); err == nil {
			t.Errorf("parseHours(%q) accepted", s)
		}
	}
	for _, s := range []string{"off", "", "OFF", "closed", "08:00-24:00", " 9:00-12:00 , 13:00-18:00 "} {
		if _, err := parseHours(s); err != nil {
			t.Errorf("parseHours(%q): %v", s, err)
		}
	}
}

func TestContactDay(t *testing.T) {
	sat := Default()
	sat.ContactWindows.Saturday = "08:00-14:00"
	noMon := Default()
	noMon.ContactWindows.Monday = "off"
	extra := Default()
	extra.ContactWindows.Holidays.Extra = []string{"01-25"}
	tests := []struct {
		name string
		p    Policy
		day  string
		want bool
	}{
		{"weekday", Default(), "2026-11-23", true},
		{"saturday off", Default(), "2026-11-21", false},
		{"saturday with a window", sat, "2026-11-21", true},
		{"sunday never", sat, "2026-11-22", false},
		{"national holiday", Default(), "2026-12-25", false},
		{"carnival", Default(), "2026-02-16", false},
		{"weekday off", noMon, "2026-11-23", false},
		{"extra holiday", extra, "2027-01-25", false},
	}
	for _, tc := range tests {
		d, err := ParseDate(tc.day)
		if err != nil {
			t.Fatal(err)
		}
		if got := tc.p.ContactDay(d); got != tc.want {
			t.Errorf("%s: ContactDay(%s) = %v, want %v", tc.name, tc.day, got, tc.want)
		}
	}
}
