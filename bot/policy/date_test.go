package policy

import (
	"encoding/json"
	"testing"
	"time"
)

func d(s string) Date {
	v, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestDateArithmetic(t *testing.T) {
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"AddDays across year", d("2026-12-30").AddDays(3), d("2027-01-02")},
		{"AddDays negative", d("2026-03-01").AddDays(-1), d("2026-02-28")},
		{"AddMonths clamps", d("2026-01-31").AddMonths(1), d("2026-02-28")},
		{"AddMonths leap", d("2028-01-31").AddMonths(1), d("2028-02-29")},
		{"AddMonths year", d("2026-11-15").AddMonths(3), d("2027-02-15")},
		{"DaysUntil forward", d("2026-11-25").DaysUntil(d("2026-12-25")), 30},
		{"DaysUntil backward", d("2026-11-25").DaysUntil(d("2026-11-22")), -3},
		{"DaysUntil over DST-era date", d("2018-11-03").DaysUntil(d("2018-11-05")), 2},
		{"Weekday", d("2026-11-22").Weekday(), time.Sunday},
		{"Before", d("2026-11-22").Before(d("2026-11-23")), true},
		{"After", d("2026-11-22").After(d("2026-11-23")), false},
		{"String", d("2026-01-05").String(), "2026-01-05"},
		{"zero String", Date{}.String(), ""},
		{"String year 999", Date{999, time.December, 31}.String(), "0999-12-31"},
		{"String year 10000", Date{10000, time.January, 1}.String(), "10000-01-01"},
		{"NewDate normalises", NewDate(2026, time.February, 30), d("2026-03-02")},
		{"DateOf uses location", DateOf(time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC).In(time.FixedZone("BRT", -3*3600))), d("2026-11-25")},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseDateRejects(t *testing.T) {
	for _, s := range []string{"", "25/11/2026", "2026-02-30", "2026-1-5"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) accepted", s)
		}
	}
}

func TestDateJSON(t *testing.T) {
	b, err := json.Marshal(struct{ Due Date }{d("2026-11-25")})
	if err != nil || string(b) != `{"Due":"2026-11-25"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var v struct{ Due Date }
	if err := json.Unmarshal(b, &v); err != nil || v.Due != d("2026-11-25") {
		t.Fatalf("unmarshal: %v %v", v, err)
	}
}
