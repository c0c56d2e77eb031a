package policy

import (
	"math"
	"math/big"
)

// Money is int64 cents. Percentages come from YAML as decimals (2, 0.99,
// 1.5) and are turned into whole millionths ("ppm", 1 % = 10 000) before any
// arithmetic, so charges are computed exactly in integers and only the final
// division rounds. Rounding is half-up to the cent (R$ 0,005 → R$ 0,01), each
// component on its own, as a person checking with a calculator would do.

// ppm converts a percentage to parts per million of the amount.
func ppm(percent float64) int64 { return int64(math.Round(percent * 10000)) }

// mulDivRound returns round-half-up(a·b·c / d) for non-negative a, b, c and
// d > 0, through big integers so large amounts times long delays cannot
// overflow.
func mulDivRound(a, b, c, d int64) int64 {
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	n.Mul(n, big.NewInt(c))
	den := big.NewInt(d)
	n.Add(n, new(big.Int).Quo(den, big.NewInt(2))) // half-up: add d/2 before truncating
	return n.Quo(n, den).Int64()
}

// percentOf returns percent % of cents, rounded half-up.
func percentOf(cents int64, percent float64) int64 {
	return mulDivRound(cents, ppm(percent), 1, 1_000_000)
}

// LateCharges returns the late fee (multa), the interest (juros de mora) and the
// total due today for an invoice of amountCents due on due.
//
//   - A due date on a weekend or holiday moves to the next business day
//     (CC art. 132 §1), and charges start only after that day plus
//     charges.grace_days.
//   - Once late, the fee is late_fee_percent of the amount, charged once.
//   - Interest is simple, on the amount only (never on the fee), pro rata
//     per day at monthly_interest_percent per 30 days, counted from the
//     original due date: amount × rate × days / 30.
//   - Fee and interest are each rounded half-up to the cent; total is
//     amount + fee + interest, so the parts always add up to what is shown.
//
// A non-positive amount has no charges.
func (p Policy) LateCharges(amountCents int64, due, today Date) (lateFee, interest, total int64) {
	if amountCents <= 0 {
		return 0, 0, amountCents
	}
	lastFreeDay := p.NextBusinessDay(due).AddDays(p.Charges.GraceDays)
	if !today.After(lastFreeDay) {
		return 0, 0, amountCents
	}
	days := int64(due.DaysUntil(today))
	lateFee = percentOf(amountCents, p.Charges.LateFeePercent)
	interest = mulDivRound(amountCents, ppm(p.Charges.MonthlyInterestPercent), days, 30*1_000_000)
	return lateFee, interest, amountCents + lateFee + interest
}

// Discount returns the discount in cents that may be offered today for paying
// amountCents (the total due, charges included) in full, or 0 when none may:
// discounts are off, the invoice is fewer than discounts.after_days late, or
// a discount was already offered for it (offeredBefore) — a repeated discount
// teaches debtors to wait for it. The result is discounts.max_percent of the
// amount, rounded half-up.
func (p Policy) Discount(amountCents int64, due, today Date, offeredBefore bool) int64 {
	d := p.Discounts
	if !d.Enabled || offeredBefore || amountCents <= 0 || due.DaysUntil(today) < d.AfterDays {
		return 0
	}
	return percentOf(amountCents, d.MaxPercent)
}

// TimeBarred reports whether an invoice due on due is prescribed today
// (reminders.time_barred_years after the due date, CC art. 206 §5 I) and must
// no longer be collected.
func (p Policy) TimeBarred(due, today Date) bool {
	limit := DateOf(due.utc().AddDate(p.Reminders.TimeBarredYears, 0, 0))
	return !today.Before(limit)
}
