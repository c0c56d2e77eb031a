package whatsapp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Message ids of our sends carry a tag: "3EB0" (the prefix web clients
// use), 8 random bytes and the first 8 bytes of HMAC-SHA256(device key,
// random), in upper-case hex: 36 characters, the shape whatsmeow generated
// for years. A tagged id proves the message came from this device without
// remembering anything, so own echoes and receipts are recognised across
// restarts and instances sharing the device store, and a message typed on
// the phone (which never carries the tag) is told apart from ours.
const (
	idPrefix   = "3EB0"
	idNonceLen = 8
	idTagLen   = 8
	idLen      = len(idPrefix) + 2*(idNonceLen+idTagLen)
)

// newMessageID returns a fresh tagged id for key.
func newMessageID(key []byte) string {
	nonce := make([]byte, idNonceLen)
	_, _ = rand.Read(nonce)
	return idPrefix + strings.ToUpper(hex.EncodeToString(nonce)+hex.EncodeToString(idTag(key, nonce)))
}

// messageIDFor returns the tagged id for seed (an outbox id and part): the
// same seed always gives the same id, so a send the outbox repeats (its
// lease expired, another instance claimed it) reaches WhatsApp under the
// id of the first attempt, which recipients treat as the same message.
func messageIDFor(key []byte, seed string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("quita outbox " + seed))
	nonce := m.Sum(nil)[:idNonceLen]
	return idPrefix + strings.ToUpper(hex.EncodeToString(nonce)+hex.EncodeToString(idTag(key, nonce)))
}

// isOwnMessageID reports whether id was made by newMessageID with key.
func isOwnMessageID(key []byte, id string) bool {
	if len(key) == 0 || len(id) != idLen || !strings.HasPrefix(id, idPrefix) {
		return false
	}
	raw, err := hex.DecodeString(id[len(idPrefix):])
	if err != nil {
		return false
	}
	return hmac.Equal(raw[idNonceLen:], idTag(key, raw[:idNonceLen]))
}

func idTag(key, nonce []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(nonce)
	return m.Sum(nil)[:idTagLen]
}
