// Package pix builds and reads Pix BR Codes, the "copia e cola" strings a
// debtor pastes into a banking app to pay.
//
// A BR Code is an EMV merchant-presented QR payload: a sequence of
// ID-length-value fields (two-digit ID, two-digit length, value) ending with
// a CRC-16/CCITT-FALSE checksum in field 63. Encode writes a static code from
// the creditor's Pix key, as configured in the policy; Parse checks the
// structure and checksum of codes a billing system sends, static or dynamic,
// before Quita forwards them to a debtor.
//
// Names and cities are folded to ASCII so that field lengths, which the
// standard counts in characters, match the bytes on the wire.
//
// The package imports only the standard library.
package pix
