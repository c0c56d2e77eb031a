// Package flows is the conversation state machine: Step takes a
// conversation's state and memory, one input (a classified debtor message)
// and the facts around it (customer, open invoices, charges, the time), and
// returns the next state and the actions to take. It is pure: no I/O, no
// clock, no text — replies are message keys with typed arguments that the
// engine renders from locales.
//
// One file per topic (identity, balance, payments, negotiation, care), each
// registering its intents and states with the dispatcher in step.go and
// each with a table test. It imports bot and the pure bot/policy (plans,
// charges, dates) and bot/pix (BR Codes).
package flows
