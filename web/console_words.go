package web

import (
	"regexp"
	"strconv"
	"strings"
)

// The transcript keeps machine words: intent and state names, event types
// and system entries such as "reminder d0@2026-12-09 DEMO-INV-1002". They
// are part of the hash chain and of the API, so they stay as they are;
// the console says them in the agent's language instead. Anything it does
// not recognise is shown as recorded, which is still true, only less
// friendly.

// label returns t[prefix+id], or id itself when there is no such label.
func label(t map[string]string, prefix, id string) string {
	if l := t[prefix+id]; l != "" {
		return l
	}
	return id
}

// fill replaces {name} placeholders in a console text.
func fill(text string, args ...string) string {
	for i := 0; i+1 < len(args); i += 2 {
		text = strings.ReplaceAll(text, "{"+args[i]+"}", args[i+1])
	}
	return text
}

// intentLabel names what the classifier heard (the intents the README lists).
func intentLabel(t map[string]string, intent string) string { return label(t, "intent_", intent) }

// stateLabel names a conversation state of the flows.
func stateLabel(t map[string]string, state string) string { return label(t, "state_", state) }

// eventLabel names a billing event type ("reminder.sent").
func eventLabel(t map[string]string, typ string) string {
	return label(t, "event_", strings.ReplaceAll(typ, ".", "_"))
}

// statusChip names one conversation's status (singular: "Aberta"), where
// the status_* labels name the inbox's lists ("Abertas").
func statusChip(t map[string]string, status string) string {
	if l := t["chip_"+status]; l != "" {
		return l
	}
	return label(t, "status_", status)
}

// shortDate shows an ISO date (2026-12-09) as the console shows days:
// dd/mm. Anything else is returned as it is.
func shortDate(iso string) string {
	if len(iso) == 10 && iso[4] == '-' && iso[7] == '-' {
		return iso[8:10] + "/" + iso[5:7]
	}
	return iso
}

var (
	// The engine's system entries (bot/engine: step.go, events.go,
	// reminders.go, auto_release.go, agents.go).
	sysEvent        = regexp.MustCompile(`^event ([a-z_]+\.[a-z_]+)$`)
	sysReminder     = regexp.MustCompile(`^reminder (.+?)(?: \(nothing sent: ([a-z_]+)\))?$`)
	sysPromiseMiss  = regexp.MustCompile(`^promise\.missed (\S+) \(promised (\d{4}-\d\d-\d\d)\)$`)
	sysInvoicePaid  = regexp.MustCompile(`^invoice\.paid (\S+)$`)
	sysCollection   = regexp.MustCompile(`^collection of (\S+): ([a-z_]+)(?: until (\d{4}-\d\d-\d\d))?$`)
	sysReleasedIdle = regexp.MustCompile(`^handed back to the bot after (\d+) minutes without activity \(held by (.+)\)$`)
	stepKey         = regexp.MustCompile(`^(?:plan-(\d+):)?(?:d([+-]?\d+)|(escalation)|(claim-review))@(\d{4}-\d\d-\d\d)$`)
)

// agentNotes are the engine's agent entries, "<agent> <note>", by note.
var agentNotes = []struct {
	note, key string
	invoice   bool // the note ends with invoice ids
}{
	{"took over the conversation and replied", "agent_took_over_replied", false},
	{"took over the conversation", "agent_took_over", false},
	{"replied", "agent_replied", false},
	{"handed the conversation back to the bot", "agent_released", false},
	{"marked the conversation resolved", "agent_resolved", false},
	{"confirmed the payment of ", "agent_confirmed", true},
	{"rejected the receipt for ", "agent_rejected", true},
}

// systemText says a system entry in the agent's language; agent is the
// name of the agent who wrote it ("" for the bot's own).
func systemText(t map[string]string, text, agent string) string {
	if agent != "" {
		rest, ok := strings.CutPrefix(text, agent+" ")
		if !ok {
			return text
		}
		for _, n := range agentNotes {
			if n.invoice {
				// A rejection may end with ": <reason>", kept as typed.
				if ids, ok := strings.CutPrefix(rest, n.note); ok {
					ids, reason, _ := strings.Cut(ids, ": ")
					out := fill(t[n.key], "agent", agent, "invoice", ids)
					if reason != "" {
						out += ": " + reason
					}
					return out
				}
			} else if rest == n.note {
				return fill(t[n.key], "agent", agent)
			}
		}
		return text
	}
	if m := sysEvent.FindStringSubmatch(text); m != nil {
		return fill(t["sys_event"], "what", eventLabel(t, m[1]))
	}
	if m := sysPromiseMiss.FindStringSubmatch(text); m != nil {
		return fill(t["sys_promise_missed"], "invoice", m[1], "date", shortDate(m[2]))
	}
	if m := sysInvoicePaid.FindStringSubmatch(text); m != nil {
		return fill(t["sys_invoice_paid"], "invoice", m[1])
	}
	if m := sysCollection.FindStringSubmatch(text); m != nil {
		status := label(t, "collection_", m[2])
		if m[3] != "" {
			status += " " + fill(t["sys_until"], "date", shortDate(m[3]))
		}
		return fill(t["sys_collection"], "invoice", m[1], "status", status)
	}
	if m := sysReleasedIdle.FindStringSubmatch(text); m != nil {
		return fill(t["sys_released_idle"], "minutes", m[1], "agent", m[2])
	}
	if m := sysReminder.FindStringSubmatch(text); m != nil {
		var steps []string
		for _, item := range strings.Split(m[1], ", ") {
			key, invoice, ok := strings.Cut(item, " ")
			if !ok {
				return text
			}
			step, ok := reminderStep(t, key, invoice)
			if !ok {
				return text
			}
			steps = append(steps, step)
		}
		out := fill(t["sys_reminder"], "steps", strings.Join(steps, "; "))
		if m[2] != "" {
			out += " " + fill(t["sys_nothing_sent"], "why", label(t, "stop_", m[2]))
		}
		return out
	}
	return text
}

// reminderStep says one reminder key ("d+7@2026-11-25", "plan-2:d0@…",
// "escalation@…", "claim-review@…") for one invoice.
func reminderStep(t map[string]string, key, invoice string) (string, bool) {
	m := stepKey.FindStringSubmatch(key)
	if m == nil {
		return "", false
	}
	date := shortDate(m[5])
	var step string
	switch {
	case m[3] != "":
		step = fill(t["step_escalation"], "date", date, "invoice", invoice)
	case m[4] != "":
		step = fill(t["step_claim_review"], "date", date, "invoice", invoice)
	default:
		n, err := strconv.Atoi(m[2])
		if err != nil {
			return "", false
		}
		k := "step_due"
		switch {
		case n == -1:
			k = "step_before_1"
		case n < 0:
			k = "step_before"
		case n == 1:
			k = "step_after_1"
		case n > 0:
			k = "step_after"
		}
		step = fill(t[k], "n", strconv.Itoa(max(n, -n)), "date", date, "invoice", invoice)
	}
	if m[1] != "" {
		step = fill(t["step_installment"], "n", m[1], "step", step)
	}
	return step, true
}
