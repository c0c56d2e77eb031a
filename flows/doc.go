// Package flows is the conversation state machine: Step takes a
// conversation's state and memory, one input (a classified debtor message)
// and the facts around it (customer, open invoices, charges, the time), and
// returns the next state and the actions to take. It is pure: no I/O, no
// clock, no text — replies are message keys with typed arguments that the
// engine renders from locales.
//
// One file per group of states; each has a table test. It imports only bot.
package flows
