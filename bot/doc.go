// Package bot holds Quita's domain types and the ports the rest of the
// service implements: customers, invoices, conversations, transcript entries,
// intents, transports, clocks, coordination and the shared error vocabulary.
//
// It is the leaf of the dependency graph and imports only the standard
// library, so every other package can depend on it without cycles.
package bot
