// Package input is the one gate outside text passes before Quita stores
// it: debtors' messages from every transport, and the invoice, customer and
// delivery data billing systems send through webhooks, the API and CSV
// import.
//
// Two rules, chosen by who wrote the text:
//
//   - A person's words (message text, captions, attachment names) are
//     cleaned, never refused: NUL bytes are removed, invalid UTF-8 becomes
//     U+FFFD and the text is cut at a rune limit (MaxMessageRunes for a
//     message, MaxNameRunes for a name). The message really arrived, so
//     refusing it would lose it, and a transport that redelivers on error
//     (the Cloud API) would redeliver it forever.
//   - A system's data (ids, invoice fields, webhook ids) is refused with a
//     bot.Invalid naming the field: a billing system matches its records by
//     these values, and a silently altered id would never match again.
//
// PostgreSQL refuses NUL in text and invalid UTF-8 in any string; SQLite
// stores both. Cleaning or refusing here, before any store, makes both
// engines behave alike and turns what used to be a 500 into a stored
// message or a 422.
//
// The package imports only bot and the standard library.
package input
