// Package reminders decides and drives the proactive collection cadence:
// which reminder of the policy's cadence is due for an invoice today (Plan,
// pure), and a Runner whose RunDue(now) selects candidate invoices from the
// database in batches, groups them by debtor so one debtor gets one
// message, applies contact windows and per-debtor caps, and hands each
// debtor's due work to the engine, which sends it through the debtor's
// conversation.
//
// Exactly once: every (invoice, step) the engine acts on is written to a
// reminder log under a unique key in the same transaction as the
// conversation's turn and outbox. A pass that crashes leaves whole turns or
// nothing; a second instance racing for the same step hits the unique key,
// rolls back and skips. So a step is sent at most once, and since nothing
// but the log marks it done, a step that was not sent is still due on the
// next pass — never skipped silently.
//
// Time: Plan works on civil dates (policy.Date) in the business time zone;
// only the runner looks at the clock, through the now it is given, so the
// simulator's clock drives it in tests and the real one in production.
//
// Imports: bot, bot/policy and the standard library. The store and the
// engine are reached through the Store and Engine interfaces declared here;
// cmd/quita wires the real ones.
package reminders
