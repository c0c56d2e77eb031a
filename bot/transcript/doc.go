// Package transcript owns the tamper-evident record of a conversation: the
// hash chain that links its entries, its verification, and the renderings
// people and systems read: JSON, plain text and HTML for operators, and a
// PDF in Portuguese for the creditor's records (Procon, courts), with the
// creditor, the debtor (document masked), the invoices and the chain's
// verification. It imports bot, bot/policy (the creditor's identity) and
// the fpdf library.
package transcript
