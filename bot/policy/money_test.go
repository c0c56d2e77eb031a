package policy

import "testing"

func TestLateCharges(t *testing.T) {
	grace := Default()
	grace.Charges.GraceDays = 3
	odd := Default()
	odd.Charges.LateFeePercent = 1.5
	odd.Charges.MonthlyInterestPercent = 0.99
	tests := []struct {
		name                 string
		p                    Policy
		amount               int64
		due, today           string
		fee, interest, total int64
	}{
		{"not yet due", Default(), 10000, "2026-11-25", "2026-11-20", 0, 0, 10000},
		{"on the due date", Default(), 10000, "2026-11-25", "2026-11-25", 0, 0, 10000},
		{"one day late rounds down", Default(), 10000, "2026-11-25", "2026-11-26", 200, 3, 10203},
		{"thirty days is one month", Default(), 10000, "2026-11-25", "2026-12-25", 200, 100, 10300},
		{"seed example", Default(), 15990, "2026-11-25", "2026-12-05", 320, 53, 16363},
		{"due saturday paid monday is on time", Default(), 10000, "2026-11-21", "2026-11-23", 0, 0, 10000},
		{"due saturday paid tuesday counts from saturday", Default(), 10000, "2026-11-21", "2026-11-24", 200, 10, 10210},
		{"due before a holiday", Default(), 10000, "2026-11-19", "2026-11-23", 200, 13, 10213},
		{"inside grace", grace, 10000, "2026-11-25", "2026-11-28", 0, 0, 10000},
		{"after grace counts from due", grace, 10000, "2026-11-25", "2026-11-29", 200, 13, 10213},
		{"half cent rounds up", Default(), 25, "2026-11-25", "2026-11-26", 1, 0, 26},
		{"fractional rates", odd, 10000, "2026-11-25", "2026-12-10", 150, 50, 10200},
		{"no overflow", Default(), 1e15, "2016-01-01", "2026-01-01", 2e13, 1217666666666667, 1e15 + 2e13 + 1217666666666667},
		{"zero amount", Default(), 0, "2026-01-01", "2026-03-01", 0, 0, 0},
	}
	for _, tt := range tests {
		fee, interest, total := tt.p.LateCharges(tt.amount, d(tt.due), d(tt.today))
		if fee != tt.fee || interest != tt.interest || total != tt.total {
			t.Errorf("%s: got (%d, %d, %d), want (%d, %d, %d)", tt.name, fee, interest, total, tt.fee, tt.interest, tt.total)
		}
	}
}

func TestDiscount(t *testing.T) {
	on := Default()
	on.Discounts.Enabled = true
	tests := []struct {
		name    string
		p       Policy
		today   string
		offered bool
		want    int64
	}{
		{"disabled by default", Default(), "2027-01-25", false, 0},
		{"too early", on, "2026-12-24", false, 0},
		{"after_days reached", on, "2026-12-25", false, 1599},
		{"only once", on, "2027-01-25", true, 0},
	}
	for _, tt := range tests {
		if got := tt.p.Discount(15990, d("2026-11-25"), d(tt.today), tt.offered); got != tt.want {
			t.Errorf("%s: Discount = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestTimeBarred(t *testing.T) {
	p := Default()
	tests := []struct {
		due, today string
		want       bool
	}{
		{"2021-11-25", "2026-11-24", false},
		{"2021-11-25", "2026-11-25", true},
		{"2020-02-29", "2025-02-28", false},
		{"2020-02-29", "2025-03-01", true},
	}
	for _, tt := range tests {
		if got := p.TimeBarred(d(tt.due), d(tt.today)); got != tt.want {
			t.Errorf("TimeBarred(%s, %s) = %v, want %v", tt.due, tt.today, got, tt.want)
		}
	}
}
