package policy

import (
	"reflect"
	"testing"
	"time"
)

func TestEaster(t *testing.T) {
	for year, want := range map[int]string{
		1818: "1818-03-22", 2000: "2000-04-23", 2008: "2008-03-23", 2011: "2011-04-24",
		2019: "2019-04-21", 2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05",
		2027: "2027-03-28", 2038: "2038-04-25", 2285: "2285-03-22",
	} {
		if got := Easter(year); got != d(want) {
			t.Errorf("Easter(%d) = %v, want %s", year, got, want)
		}
	}
}

func TestHolidays2026(t *testing.T) {
	want := []Date{
		d("2026-01-01"), d("2026-02-16"), d("2026-02-17"), d("2026-04-03"), d("2026-04-21"),
		d("2026-05-01"), d("2026-06-04"), d("2026-09-07"), d("2026-10-12"), d("2026-11-02"),
		d("2026-11-15"), d("2026-11-20"), d("2026-12-25"),
	}
	if got := Holidays(2026); !reflect.DeepEqual(got, want) {
		t.Fatalf("Holidays(2026) = %v\nwant %v", got, want)
	}
}

func TestHolidayDetails(t *testing.T) {
	tests := []struct {
		date, name string
	}{
		{"2026-02-16", "Carnaval (segunda-feira)"},
		{"2026-02-17", "Carnaval (terça-feira)"},
		{"2026-06-04", "Corpus Christi"},
		{"2025-04-18", "Sexta-feira Santa"},
		{"2024-11-20", "Dia Nacional de Zumbi e da Consciência Negra"},
		{"2023-11-20", ""}, // national only from 2024
		{"2026-02-18", ""}, // Ash Wednesday is a working day
		{"2026-11-23", ""},
	}
	for _, tt := range tests {
		if got := HolidayName(d(tt.date)); got != tt.name {
			t.Errorf("HolidayName(%s) = %q, want %q", tt.date, got, tt.name)
		}
	}
}

func TestIsHoliday(t *testing.T) {
	brt := time.FixedZone("BRT", -3*3600)
	at := func(s string) time.Time { return d(s).In(brt).Add(10 * time.Hour) }
	noCarnival := Default()
	noCarnival.ContactWindows.Holidays.Carnival = false
	noNational := Default()
	noNational.ContactWindows.Holidays.National = false
	extra := Default()
	extra.ContactWindows.Holidays.Extra = []string{"01-25", "2026-12-24"}
	tests := []struct {
		name string
		p    Policy
		date string
		want bool
	}{
		{"christmas", Default(), "2026-12-25", true},
		{"carnival on", Default(), "2026-02-17", true},
		{"carnival off", noCarnival, "2026-02-17", false},
		{"good friday with carnival off", noCarnival, "2026-04-03", true},
		{"national off", noNational, "2026-12-25", false},
		{"yearly extra", extra, "2031-01-25", true},
		{"one-off extra", extra, "2026-12-24", true},
		{"one-off extra other year", extra, "2027-12-24", false},
		{"ordinary day", Default(), "2026-11-24", false},
	}
	for _, tt := range tests {
		if got := tt.p.IsHoliday(at(tt.date)); got != tt.want {
			t.Errorf("%s: IsHoliday(%s) = %v, want %v", tt.name, tt.date, got, tt.want)
		}
	}
}

func TestBusinessDays(t *testing.T) {
	p := Default()
	p.ContactWindows.Holidays.Carnival = false // banks close on Carnival regardless
	tests := []struct {
		name string
		got  Date
		want string
	}{
		{"weekday stays", p.NextBusinessDay(d("2026-11-24")), "2026-11-24"},
		{"saturday to monday", p.NextBusinessDay(d("2026-11-21")), "2026-11-23"},
		{"carnival to ash wednesday", p.NextBusinessDay(d("2026-02-14")), "2026-02-18"},
		{"3 business days over a holiday weekend", p.AddBusinessDays(d("2026-11-18"), 3), "2026-11-24"},
		{"0 business days", p.AddBusinessDays(d("2026-11-21"), 0), "2026-11-21"},
		{"receipt deadline over christmas", p.ReceiptDeadline(d("2026-12-23")), "2026-12-29"},
	}
	for _, tt := range tests {
		if tt.got != d(tt.want) {
			t.Errorf("%s: got %v, want %s", tt.name, tt.got, tt.want)
		}
	}
}
