package policy

import (
	"errors"
	"fmt"
	"math"
)

// PlanOption is one way of splitting a debt. Money adds up exactly:
// DownPaymentCents + InstallmentCents×(Count-1) + LastInstallmentCents ==
// TotalCents.
//
// The maths is the Price table (French amortisation, equal installments) at
// installments.monthly_interest_percent, the method Brazilian consumers see on
// every "parcelado com juros" offer:
//
//   - without a down payment the first installment is paid right away (the
//     next business day, see FirstPaymentDate) and the rest monthly
//     (annuity due): PMT = F·i / ((1 − (1+i)^−n)·(1+i));
//   - with a down payment (entrada) that is paid right away and the n
//     installments start a month later: PMT = F·i / (1 − (1+i)^−n);
//   - at 0 % both are F / n.
//
// F is the amount financed (total − entrada). The exact financed total n·PMT
// is rounded half-up to the cent first, each installment is PMT rounded, and
// the last installment absorbs the difference, so the sum is never a cent off.
type PlanOption struct {
	// Count is the number of monthly installments, the entrada not included.
	Count int
	// InstallmentCents is each installment but the last.
	InstallmentCents int64
	// LastInstallmentCents is the last installment, which absorbs rounding.
	LastInstallmentCents int64
	// DownPaymentCents is the entrada, the first payment; 0 when none.
	DownPaymentCents int64
	// TotalCents is everything the debtor pays, interest included.
	TotalCents int64
	// MonthlyInterestPercent is the rate the plan was computed with.
	MonthlyInterestPercent float64
}

// Installment is one payment of a plan's schedule.
type Installment struct {
	// Number is 0 for the entrada, then 1…Count.
	Number int
	// Due is the day the payment is due.
	Due Date
	// AmountCents is what is paid that day.
	AmountCents int64
}

// Errors from Plan, for flows to pick the right answer.
var (
	ErrPlansDisabled       = errors.New("policy: installment plans are disabled")
	ErrTooManyInstallments = errors.New("policy: more installments than installments.max_count")
	ErrInstallmentTooSmall = errors.New("policy: installment below installments.min_installment_cents")
	ErrTooFewInstallments  = errors.New("policy: a plan needs at least 2 installments")
	ErrNothingToSplit      = errors.New("policy: nothing to split")
)

// Plan computes the plan of count installments for totalCents (the amount
// due today, charges included), or says why there is none.
func (p Policy) Plan(totalCents int64, count int) (PlanOption, error) {
	in := p.Installments
	switch {
	case !in.Enabled:
		return PlanOption{}, ErrPlansDisabled
	case totalCents <= 0:
		return PlanOption{}, ErrNothingToSplit
	case count < 2:
		return PlanOption{}, ErrTooFewInstallments
	case count > in.MaxCount:
		return PlanOption{}, fmt.Errorf("%w (%d > %d)", ErrTooManyInstallments, count, in.MaxCount)
	}
	o := price(totalCents, count, in.MonthlyInterestPercent, in.DownPaymentPercent)
	if o.InstallmentCents < in.MinInstallmentCents {
		return PlanOption{}, fmt.Errorf("%w (%d < %d)", ErrInstallmentTooSmall, o.InstallmentCents, in.MinInstallmentCents)
	}
	return o, nil
}

// MaxInstallments returns the largest installment count allowed for
// totalCents — so "em 12x?" can be answered "até 4x" — or 0 when no plan is
// possible.
func (p Policy) MaxInstallments(totalCents int64) int {
	for n := p.Installments.MaxCount; n >= 2; n-- {
		if _, err := p.Plan(totalCents, n); err == nil {
			return n
		}
	}
	return 0
}

// PlanOptions returns the menu of plans for totalCents: every count of
// installments.offer that is allowed, plus the largest allowed count when it
// is above all of those (a R$ 280 debt with a R$ 50 minimum and offer
// [2, 3, 6] gets 2×, 3× and 5×). Empty when no plan is possible.
func (p Policy) PlanOptions(totalCents int64) []PlanOption {
	var out []PlanOption
	highest := 0
	for _, n := range p.Installments.Offer {
		if o, err := p.Plan(totalCents, n); err == nil {
			out = append(out, o)
			highest = max(highest, n)
		}
	}
	if m := p.MaxInstallments(totalCents); m > highest {
		o, _ := p.Plan(totalCents, m)
		out = append(out, o)
	}
	return out
}

// price builds a plan with the Price formula described on PlanOption.
func price(totalCents int64, n int, monthlyPercent, downPercent float64) PlanOption {
	down := percentOf(totalCents, downPercent)
	financed := float64(totalCents - down)
	i := monthlyPercent / 100
	pmt := financed / float64(n)
	if i > 0 {
		pmt = financed * i / (1 - math.Pow(1+i, -float64(n)))
		if down == 0 {
			pmt /= 1 + i // first installment on acceptance: one month less of interest
		}
	}
	financedTotal := int64(math.Round(pmt * float64(n)))
	inst := int64(math.Round(pmt))
	return PlanOption{
		Count:                  n,
		InstallmentCents:       inst,
		LastInstallmentCents:   financedTotal - inst*int64(n-1),
		DownPaymentCents:       down,
		TotalCents:             down + financedTotal,
		MonthlyInterestPercent: monthlyPercent,
	}
}

// Installments returns the payments in order: the entrada (if any), then the
// Count installments. They sum to TotalCents.
func (o PlanOption) Installments() []int64 {
	var out []int64
	if o.DownPaymentCents > 0 {
		out = append(out, o.DownPaymentCents)
	}
	for k := 1; k <= o.Count; k++ {
		if k == o.Count {
			out = append(out, o.LastInstallmentCents)
		} else {
			out = append(out, o.InstallmentCents)
		}
	}
	return out
}

// Schedule returns the payments with due dates when the first payment
// (entrada, or installment 1 without one) is due on first: the rest monthly
// on the same day of the month as first, clamped to shorter months. Policy.
// PlanSchedule picks first for a plan accepted on a given day.
func (o PlanOption) Schedule(first Date) []Installment {
	var out []Installment
	month := 0
	if o.DownPaymentCents > 0 {
		out = append(out, Installment{Number: 0, Due: first, AmountCents: o.DownPaymentCents})
		month = 1
	}
	for k, amount := range o.Installments()[len(out):] {
		out = append(out, Installment{Number: k + 1, Due: first.AddMonths(month + k), AmountCents: amount})
	}
	return out
}

// FirstPaymentDate is when the first payment of a plan accepted on
// accepted falls due: the next business day at the earliest, never the
// day itself. A plan accepted in the evening (or at 08:00 on a busy day)
// cannot fairly be overdue the same night, and the billing system may need
// a day to issue the first boleto; a weekend or holiday moves it on, since
// a payment due then is payable on the next business day anyway.
func (p Policy) FirstPaymentDate(accepted Date) Date {
	return p.NextBusinessDay(accepted.AddDays(1))
}

// PlanSchedule is o's schedule for a plan accepted on accepted: the first
// payment on FirstPaymentDate, then monthly from there. The acceptance
// message, the plan.accepted event and the collection detail all use it,
// so they cannot disagree.
func (p Policy) PlanSchedule(o PlanOption, accepted Date) []Installment {
	return o.Schedule(p.FirstPaymentDate(accepted))
}
