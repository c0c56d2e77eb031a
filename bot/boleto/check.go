package boleto

// The check digit algorithms of the FEBRABAN layouts. Each takes a string
// of ASCII digits, which callers guarantee, and returns the digit as a
// byte ('0'…'9').

// mod10 is the check digit of the line's fields and of mod-10 utility
// bills: digits weighted 2, 1, 2, 1… from the right, two-digit products
// replaced by the sum of their digits, and the distance of the total to
// the next multiple of ten.
func mod10(s string) byte {
	sum, w := 0, 2
	for i := len(s) - 1; i >= 0; i-- {
		p := int(s[i]-'0') * w
		sum += p/10 + p%10
		w = 3 - w
	}
	return byte('0' + (10-sum%10)%10)
}

// weighted11 is the sum of digits weighted 2 to 9 from the right,
// cycling, which both mod-11 rules reduce.
func weighted11(s string) int {
	sum, w := 0, 2
	for i := len(s) - 1; i >= 0; i-- {
		sum += int(s[i]-'0') * w
		if w++; w > 9 {
			w = 2
		}
	}
	return sum
}

// bankMod11 is the general check digit of a bank barcode: 11 minus the
// remainder, except that 0, 10 and 11 become 1, so the digit is never 0.
func bankMod11(s string) byte {
	d := 11 - weighted11(s)%11
	if d >= 10 {
		d = 1
	}
	return byte('0' + d)
}

// utilityMod11 is the check digit of mod-11 utility bills: 11 minus the
// remainder, except that remainders 0 and 1 give 0.
func utilityMod11(s string) byte {
	r := weighted11(s) % 11
	if r <= 1 {
		return '0'
	}
	return byte('0' + 11 - r)
}
