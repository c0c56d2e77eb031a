package flows

// balance lists the open invoices with what each costs today: original
// amount, and for overdue ones the late fee and interest per policy.
func balance(env Env) Reply {
	if len(env.Invoices) == 0 {
		return reply(say("balance.none", nil))
	}
	var parts []Part
	if len(env.Invoices) == 1 {
		parts = append(parts, say("balance.header_one", nil))
	} else {
		parts = append(parts, say("balance.header_many", Args{"count": len(env.Invoices)}))
	}
	var total int64
	for _, inv := range env.Invoices {
		desc := inv.Description
		if desc == "" {
			desc = inv.ID
		}
		args := Args{"description": desc, "amount": Money(inv.AmountCents), "due": Date(inv.DueDate)}
		ch, hasCharge := env.Charges[inv.ID]
		switch {
		case inv.DueDate < env.Today:
			if !hasCharge {
				ch = Charge{TotalCents: inv.AmountCents}
			}
			args["fee"], args["interest"], args["total"] = Money(ch.LateFeeCents), Money(ch.InterestCents), Money(ch.TotalCents)
			key := "balance.line_overdue"
			if ch.TotalCents == inv.AmountCents {
				// Due on a day off, or within the grace days: no charges
				// yet, and "multa R$ 0,00 + juros R$ 0,00" says it badly.
				key = "balance.line_no_charges"
			}
			parts = append(parts, say(key, args))
			total += ch.TotalCents
		case inv.DueDate == env.Today:
			parts = append(parts, say("balance.line_due_today", args))
			total += inv.AmountCents
		default:
			parts = append(parts, say("balance.line_upcoming", args))
			total += inv.AmountCents
		}
	}
	if len(env.Invoices) > 1 {
		parts = append(parts, say("balance.total", Args{"total": Money(total)}))
	}
	return Reply{Parts: parts}
}
