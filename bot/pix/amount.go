package pix

import "strings"

// Amount reads the amount a BR Code carries (field 54) in centavos. It
// looks only at the top-level fields, without the checks Parse makes, so
// that the amount of a code Quita forwards as the billing system sent it
// can be quoted next to it: a debtor must read the same amount the bank
// app will show. ok is false when the code has no amount, which leaves
// the amount to the payer (or, for a dynamic code, to the charge behind
// its URL); err reports a code whose fields cannot be read.
func Amount(code string) (cents int64, ok bool, err error) {
	fields, err := splitTLV(strings.TrimSpace(code))
	if err != nil {
		return 0, false, malformed(err.Error())
	}
	for _, f := range fields {
		if f.id == idAmount {
			cents, err := parseAmount(f.value)
			if err != nil {
				return 0, false, err
			}
			return cents, true, nil
		}
	}
	return 0, false, nil
}
