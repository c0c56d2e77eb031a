// Package policy owns Quita's business policy: the YAML file an operator
// writes (QUITA_CONFIG, default ./quita.yaml), its built-in defaults, its
// validation, and the pure calculations that depend on it — contact windows
// and Brazilian holidays, late charges, installment plans, discounts, the
// reminder cadence and the pacing of WhatsApp sends.
//
// Infrastructure settings (addresses, secrets, timezone, default locale) are
// environment variables handled by cmd/quita, not policy: the policy says what
// the business wants, the environment says where the service runs.
//
// Loading: Parse decodes strictly (unknown keys are errors, so a typo never
// silently falls back to a default) over Default(), so a file only needs the
// keys it changes — except company.name, which every file must set because the
// creditor is named in each collection message (CDC art. 42-A). Load returns
// Default() when the file does not exist and says so, so the caller can log
// "using built-in policy". Every error is one line naming the key path, e.g.
//
//	policy: line 4: charges.late_fee_percent: 5 exceeds the legal maximum of 2 (CDC art. 52 §1)
//
// Reference() returns a commented YAML file documenting every key; it parses
// to exactly Default().
//
// Time: nothing here reads the clock. Day-based rules take Date, a civil date
// with no time zone, because due dates, holidays and "days late" are calendar
// facts; moments (contact windows) take time.Time already converted to the
// business time zone by the caller. Money is int64 cents throughout.
//
// Imports: the standard library and gopkg.in/yaml.v3 only; bot/policy is a
// leaf so flows, reminders and transports can all depend on it.
package policy
