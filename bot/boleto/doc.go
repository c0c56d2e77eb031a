// Package boleto reads and checks Brazilian boleto payment lines, the
// "linha digitável" a debtor types or pastes into a banking app, before
// Quita stores one from a billing system and forwards it to a debtor.
//
// Two kinds exist, told apart by length and first digit:
//
//   - Bank boletos ("boleto de cobrança", FEBRABAN bank barcode layout):
//     47 digits in five fields. Fields 1 to 3 carry the bank code, the
//     currency code and the 25-digit free field, each closed by a mod-10
//     check digit; field 4 is the general check digit (mod 11) of the
//     44-digit barcode; field 5 is the due-date factor (4 digits) and the
//     amount in centavos (10 digits).
//   - Utility and tax bills ("arrecadação", FEBRABAN collection layout):
//     48 digits starting with 8, four blocks of 11 barcode digits each
//     closed by a check digit. The third digit (value identifier) chooses
//     mod 10 (6 and 7) or mod 11 (8 and 9) for all check digits, and says
//     whether the 11-digit value field is an amount in reais (6 and 8) or
//     a reference value in some other unit (7 and 9).
//
// Parse accepts the line as billing systems send it: digits grouped with
// dots, spaces and hyphens. It checks every check digit and names the
// first one that is wrong ("check digit of field 2 is 7, expected 3").
// ParseBarcode reads the 44-digit barcode instead and builds the line;
// Boleto.Format writes the line in its usual printed grouping.
//
// Due-date factor: the number of days since 1997-10-07, four digits, with
// 0000 meaning "no due date". The factor reached 9999 on 2025-02-21 and,
// by FEBRABAN's rule, restarted at 1000 on 2025-02-22, so every factor
// from 1000 on names two dates 9000 days apart. Parse reads factors in
// the current cycle (1000 = 2025-02-22), which is right for every boleto
// issued since the reset; ParseAt takes a reference date (the invoice's
// due date, or today) and picks the cycle whose date is nearer to it,
// which also reads boletos issued before the reset. Factors 0001 to 0999
// are not issued in either cycle: they are accepted (the check digits
// decide validity) but give no due date.
//
// The package imports only the standard library.
package boleto
