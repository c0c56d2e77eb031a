package bot

import (
	"context"
	"time"
)

// DeliveryReport is a transport's news about a message it sent: a
// WhatsApp receipt, a Cloud API status.
type DeliveryReport struct {
	Transport  string
	ExternalID string // the id the transport returned from Send
	Status     string // DeliverySent, DeliveryDelivered, DeliveryRead or DeliveryFailed
	At         time.Time
	Reason     string // why it failed, for the operator; empty otherwise
}

// Link states of a transport's connection (a linked WhatsApp number, a
// Cloud API phone number), shown in the console, /readyz and metrics.
const (
	LinkConnecting       = "connecting"
	LinkConnected        = "connected"
	LinkQRNeeded         = "qr_needed"          // scan the QR or enter the pairing code
	LinkLoggedOut        = "logged_out"         // the phone unlinked us; the session was deleted
	LinkStreamReplaced   = "stream_replaced"    // another client took the number; we stepped back
	LinkTemporaryBan     = "temporary_ban"      // until Until
	LinkClientOutdated   = "client_outdated"    // 405: upgrade Quita
	LinkReachOutTimelock = "reach_out_timelock" // 463: no first contacts until Until
	LinkPhoneOffline     = "phone_offline"      // the phone has not been seen for days
	LinkDisconnected     = "disconnected"       // no network; retrying with backoff
	LinkStandby          = "standby"            // another instance holds the number's connection
)

// LinkState is the health of one transport connection.
type LinkState struct {
	Transport string    `json:"transport"`
	Number    string    `json:"number,omitempty"` // E.164, when known
	State     string    `json:"state"`
	Detail    string    `json:"detail"` // what it means and what to do, for the operator
	Since     time.Time `json:"since"`
	Until     time.Time `json:"until,omitzero"`      // a ban's or timelock's expiry
	QR        string    `json:"-"`                   // the pairing QR payload while qr_needed
	PairCode  string    `json:"pair_code,omitempty"` // a phone pairing code while one is pending
}

// Healthy reports whether the link can deliver messages now.
func (l LinkState) Healthy() bool {
	return l.State == LinkConnected || l.State == LinkReachOutTimelock || l.State == LinkStandby
}

// Sink is where a receiving transport hands over what it hears. The engine
// implements it.
type Sink interface {
	// Receive stores msg durably and schedules it for processing; it
	// returns only after the message is stored, so the transport may then
	// acknowledge it. A message seen before (same transport and external
	// id) is a no-op that returns nil.
	Receive(ctx context.Context, msg InboundMessage) error
	// Report records a delivery status for a message sent earlier.
	Report(ctx context.Context, r DeliveryReport) error
	// Link records a change in a connection's health. It must not block.
	Link(state LinkState)
}
