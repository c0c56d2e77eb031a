package policy

import (
	"errors"
	"reflect"
	"testing"
)

func sum(xs []int64) (s int64) {
	for _, x := range xs {
		s += x
	}
	return s
}

func TestPlanValues(t *testing.T) {
	base := Default()
	base.Installments.MinInstallmentCents = 1000
	free := base
	free.Installments.MonthlyInterestPercent = 0
	down := base
	down.Installments.DownPaymentPercent = 20
	tests := []struct {
		name  string
		p     Policy
		total int64
		count int
		want  PlanOption
	}{
		{"no interest, last absorbs", free, 10000, 3, PlanOption{Count: 3, InstallmentCents: 3333, LastInstallmentCents: 3334, TotalCents: 10000}},
		{"price 2x", base, 15990, 2, PlanOption{Count: 2, InstallmentCents: 8035, LastInstallmentCents: 8035, TotalCents: 16070, MonthlyInterestPercent: 1}},
		{"price 6x", base, 15990, 6, PlanOption{Count: 6, InstallmentCents: 2732, LastInstallmentCents: 2730, TotalCents: 16390, MonthlyInterestPercent: 1}},
		{"entrada + 3x", down, 15990, 3, PlanOption{Count: 3, InstallmentCents: 4350, LastInstallmentCents: 4349, DownPaymentCents: 3198, TotalCents: 16247, MonthlyInterestPercent: 1}},
	}
	for _, tt := range tests {
		got, err := tt.p.Plan(tt.total, tt.count)
		if err != nil || got != tt.want {
			t.Errorf("%s: Plan = %+v, %v\nwant %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestPlanSumsExact(t *testing.T) {
	for _, rate := range []float64{0, 1, 2.99} {
		for _, dp := range []float64{0, 15, 33.3} {
			p := Default()
			p.Installments.MaxCount = 24
			p.Installments.MinInstallmentCents = 0
			p.Installments.MonthlyInterestPercent = rate
			p.Installments.DownPaymentPercent = dp
			for total := int64(1001); total < 2_000_000; total = total*7/3 + 13 {
				for n := 2; n <= 24; n++ {
					o, err := p.Plan(total, n)
					if err != nil {
						t.Fatalf("Plan(%d, %d): %v", total, n, err)
					}
					parts := o.Installments()
					wantLen := n
					if o.DownPaymentCents > 0 {
						wantLen++
					}
					if len(parts) != wantLen || sum(parts) != o.TotalCents {
						t.Fatalf("rate %v dp %v: %d in %dx: parts %v sum %d != total %d", rate, dp, total, n, parts, sum(parts), o.TotalCents)
					}
					if o.TotalCents < total || (rate == 0 && o.TotalCents != total) {
						t.Fatalf("rate %v: %d in %dx totals %d", rate, total, n, o.TotalCents)
					}
					if diff := o.LastInstallmentCents - o.InstallmentCents; diff > int64(n) || diff < -int64(n) {
						t.Fatalf("last installment off by %d cents", diff)
					}
				}
			}
		}
	}
}

func TestPlanErrors(t *testing.T) {
	off := Default()
	off.Installments.Enabled = false
	tests := []struct {
		name  string
		p     Policy
		total int64
		count int
		want  error
	}{
		{"disabled", off, 100000, 3, ErrPlansDisabled},
		{"one is not a plan", Default(), 100000, 1, ErrTooFewInstallments},
		{"beyond max", Default(), 100000, 12, ErrTooManyInstallments},
		{"below minimum", Default(), 12000, 3, ErrInstallmentTooSmall},
		{"nothing", Default(), 0, 3, ErrNothingToSplit},
	}
	for _, tt := range tests {
		if _, err := tt.p.Plan(tt.total, tt.count); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestPlanOptions(t *testing.T) {
	counts := func(os []PlanOption) (c []int) {
		for _, o := range os {
			c = append(c, o.Count)
		}
		return c
	}
	free := Default()
	free.Installments.MonthlyInterestPercent = 0
	tests := []struct {
		name  string
		p     Policy
		total int64
		want  []int
	}{
		{"all offered", Default(), 100000, []int{2, 3, 6}},
		{"largest allowed added", free, 28000, []int{2, 3, 5}},
		{"only 2x", Default(), 10100, []int{2}},
		{"too small", Default(), 9000, nil},
	}
	for _, tt := range tests {
		if got := counts(tt.p.PlanOptions(tt.total)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: counts %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := free.MaxInstallments(28000); got != 5 {
		t.Errorf("MaxInstallments = %d, want 5", got)
	}
}

func TestSchedule(t *testing.T) {
	o := PlanOption{Count: 3, InstallmentCents: 3333, LastInstallmentCents: 3334, TotalCents: 10000}
	want := []Installment{
		{1, d("2026-01-31"), 3333}, {2, d("2026-02-28"), 3333}, {3, d("2026-03-31"), 3334},
	}
	if got := o.Schedule(d("2026-01-31")); !reflect.DeepEqual(got, want) {
		t.Errorf("no entrada: %v", got)
	}
	o.DownPaymentCents, o.TotalCents = 2000, 12000
	want = []Installment{
		{0, d("2026-11-25"), 2000}, {1, d("2026-12-25"), 3333}, {2, d("2027-01-25"), 3333}, {3, d("2027-02-25"), 3334},
	}
	if got := o.Schedule(d("2026-11-25")); !reflect.DeepEqual(got, want) {
		t.Errorf("with entrada: %v", got)
	}
}

// TestPlanSchedule: the first payment is due the next business day at the
// earliest, never on the day the plan is accepted, and the rest monthly
// from that first date.
func TestPlanSchedule(t *testing.T) {
	p := Default()
	p.ContactWindows.Holidays.Extra = []string{"2026-12-01"}
	o := PlanOption{Count: 3, InstallmentCents: 3333, LastInstallmentCents: 3334, TotalCents: 10000}
	tests := []struct {
		name, accepted string
		want           []string
	}{
		{"Monday: Tuesday", "2026-11-23", []string{"2026-11-24", "2026-12-24", "2027-01-24"}},
		{"Friday: Monday", "2026-11-27", []string{"2026-11-30", "2026-12-30", "2027-01-30"}},
		{"Saturday: Monday", "2026-11-28", []string{"2026-11-30", "2026-12-30", "2027-01-30"}},
		{"eve of a national holiday (Christmas): the 26th is a Saturday, so Monday", "2026-12-24", []string{"2026-12-28", "2027-01-28", "2027-02-28"}},
		{"eve of an extra holiday", "2026-11-30", []string{"2026-12-02", "2027-01-02", "2027-02-02"}},
		{"month end clamps later months", "2027-01-28", []string{"2027-01-29", "2027-02-28", "2027-03-29"}},
	}
	for _, tt := range tests {
		var got []string
		for _, s := range p.PlanSchedule(o, d(tt.accepted)) {
			got = append(got, s.Due.String())
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: accepted %s → %v, want %v", tt.name, tt.accepted, got, tt.want)
		}
	}
	o.DownPaymentCents, o.TotalCents = 2000, 12000
	s := p.PlanSchedule(o, d("2026-11-23"))
	if s[0].Number != 0 || s[0].Due != d("2026-11-24") || s[1].Due != d("2026-12-24") {
		t.Errorf("with entrada: %v", s)
	}
}
