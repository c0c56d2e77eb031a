// Package webhooks carries Quita's side of the billing-system integration:
// it signs and verifies Standard Webhooks (https://www.standardwebhooks.com),
// applies inbound billing events and dispatches outbound ones.
//
// The signature scheme lives in signature.go: secrets are "whsec_" followed
// by base64 key bytes, and a message is signed with HMAC-SHA256 over
// "<webhook-id>.<webhook-timestamp>.<body>", sent as "v1,<base64>" in the
// webhook-signature header. Verification accepts several secrets at once so
// a secret can be rotated without losing deliveries, and reports failures as
// sentinel errors the HTTP layer maps to status codes.
//
// The package may import the standard library and bot (domain types and
// ports). It must not import web, store or any HTTP framework: handlers in
// web pass it raw bodies and header values.
package webhooks
