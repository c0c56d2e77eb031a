package pix

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Field IDs of the BR Code (BCB "Manual de Padrões para Iniciação do Pix").
const (
	idFormat          = "00" // payload format indicator, always "01"
	idInitiation      = "01" // point of initiation: "11" reusable, "12" one-time
	idMerchantAccount = "26" // Pix merchant account information (26 to 51 allowed)
	idMCC             = "52"
	idCurrency        = "53"
	idAmount          = "54"
	idCountry         = "58"
	idName            = "59"
	idCity            = "60"
	idAdditional      = "62"
	idCRC             = "63"

	subGUI         = "00" // inside 26: "br.gov.bcb.pix"
	subKey         = "01" // inside 26: the Pix key (static codes)
	subDescription = "02" // inside 26: free text shown to the payer
	subURL         = "25" // inside 26: charge location (dynamic codes)
	subTxID        = "05" // inside 62: reference label

	gui          = "br.gov.bcb.pix"
	currencyBRL  = "986"
	noTxID       = "***"
	maxKey       = 77
	maxName      = 25
	maxCity      = 15
	maxTxID      = 25
	maxField     = 99
	maxAmountCts = 999999999999 // "9999999999.99", the 13 characters field 54 allows
)

// ErrInvalid matches (with errors.Is) every error Encode returns.
var ErrInvalid = errors.New("pix: invalid payload")

// Payload is what a static BR Code carries. Encode cleans the text fields;
// Parse fills them from a code.
type Payload struct {
	// Key is the receiver's Pix key: CPF/CNPJ digits, "+55…" phone, e-mail
	// or random key (EVP). Required when encoding; at most 77 characters.
	Key string
	// Description is optional text shown to the payer, folded to ASCII. It
	// shares the 99 characters of the merchant account field with the key.
	Description string
	// MerchantName is the receiver's name, folded to ASCII and cut to 25
	// characters. Required.
	MerchantName string
	// MerchantCity is the receiver's city, folded to ASCII and cut to 15
	// characters. Required.
	MerchantCity string
	// TxID is the reference label (field 62/05): up to 25 letters or digits.
	// Empty means "***", the marker for codes without a reference.
	TxID string
	// AmountCents is the amount in centavos; 0 leaves the amount to the payer.
	AmountCents int64
}

// Encode returns the payload as a "copia e cola" string, checksum included.
func (p Payload) Encode() (string, error) {
	p, err := p.clean()
	if err != nil {
		return "", err
	}
	account := tlv(subGUI, gui) + tlv(subKey, p.Key)
	if p.Description != "" {
		account += tlv(subDescription, p.Description)
	}
	var b strings.Builder
	b.WriteString(tlv(idFormat, "01"))
	b.WriteString(tlv(idMerchantAccount, account))
	b.WriteString(tlv(idMCC, "0000"))
	b.WriteString(tlv(idCurrency, currencyBRL))
	if p.AmountCents > 0 {
		b.WriteString(tlv(idAmount, formatAmount(p.AmountCents)))
	}
	b.WriteString(tlv(idCountry, "BR"))
	b.WriteString(tlv(idName, p.MerchantName))
	b.WriteString(tlv(idCity, p.MerchantCity))
	b.WriteString(tlv(idAdditional, tlv(subTxID, p.TxID)))
	b.WriteString(idCRC + "04")
	s := b.String()
	return s + CRC16(s), nil
}

// clean validates p and returns it with its text fields in encoded form.
func (p Payload) clean() (Payload, error) {
	p.Key = strings.TrimSpace(p.Key)
	switch {
	case p.Key == "":
		return p, invalid("Pix key is empty")
	case len(p.Key) > maxKey:
		return p, invalid(fmt.Sprintf("Pix key is longer than %d characters", maxKey))
	case !printableNoSpace(p.Key):
		return p, invalid("Pix key must be printable ASCII without spaces")
	}
	p.Description = fold(p.Description, maxField)
	// 18 for the GUI subfield, 4+len for each of key and description.
	if room := maxField - 18 - 4 - len(p.Key) - 4; len(p.Description) > room {
		return p, invalid(fmt.Sprintf("description is too long for this key (at most %d characters)", max(room, 0)))
	}
	if p.MerchantName = fold(p.MerchantName, maxName); p.MerchantName == "" {
		return p, invalid("merchant name is empty")
	}
	if p.MerchantCity = fold(p.MerchantCity, maxCity); p.MerchantCity == "" {
		return p, invalid("merchant city is empty")
	}
	if p.TxID == "" {
		p.TxID = noTxID
	}
	if p.TxID != noTxID && !validTxID(p.TxID) {
		return p, invalid(fmt.Sprintf("txid must be 1 to %d letters or digits", maxTxID))
	}
	if p.AmountCents < 0 {
		return p, invalid("amount is negative")
	}
	if p.AmountCents > maxAmountCts {
		return p, invalid("amount is too large")
	}
	return p, nil
}

func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalid, reason) }

// tlv writes one field. Callers keep values within 99 bytes.
func tlv(id, value string) string {
	return id + fmt.Sprintf("%02d", len(value)) + value
}

// formatAmount writes centavos as field 54 wants them: "123.45".
func formatAmount(cents int64) string {
	return strconv.FormatInt(cents/100, 10) + "." + fmt.Sprintf("%02d", cents%100)
}

func validTxID(s string) bool {
	if s == "" || len(s) > maxTxID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

func printableNoSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
