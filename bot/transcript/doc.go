// Package transcript owns the tamper-evident record of a conversation: the
// hash chain that links its entries, its verification, and the renderings
// people and systems read (JSON, plain text). It imports only bot and the
// standard library.
package transcript
