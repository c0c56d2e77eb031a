package bot

import "time"

// Direction of a transcript entry.
const (
	DirectionIn     = "in"
	DirectionOut    = "out"
	DirectionSystem = "system"
)

// Authors of transcript entries; agents are "agent:<name>".
const (
	AuthorDebtor = "debtor"
	AuthorBot    = "bot"
	AuthorSystem = "system"
)

// Delivery statuses of outbound entries. Status lives outside the hash
// chain because it changes after the entry is written.
const (
	DeliveryQueued    = "queued"
	DeliverySent      = "sent"
	DeliveryDelivered = "delivered"
	DeliveryRead      = "read"
	DeliveryFailed    = "failed"
)

// TranscriptEntry is one link of a conversation's tamper-evident record:
// an inbound or outbound message, a state change, an agent action or a
// billing event. Hash covers every field but Status and Hash itself, and
// PrevHash chains it to the entry before.
type TranscriptEntry struct {
	ConversationID string    `json:"-"`
	Seq            int64     `json:"seq"`
	At             time.Time `json:"at"`
	Direction      string    `json:"direction"`
	Author         string    `json:"author"`
	Text           string    `json:"text"`
	Media          *Media    `json:"media"`
	Intent         string    `json:"intent"`
	StateFrom      string    `json:"state_from"`
	StateTo        string    `json:"state_to"`
	Status         string    `json:"status"`
	OutboxID       string    `json:"-"`
	PrevHash       string    `json:"prev_hash"`
	Hash           string    `json:"hash"`
	// ContentHash is the leaf hash of Text and Media (chain scheme 2; empty
	// for entries sealed under scheme 1). Hash covers it instead of the
	// content, so erasing the content keeps the chain checkable.
	ContentHash string `json:"content_hash,omitempty"`
	// Erased reports that Text and Media were removed (LGPD erasure).
	Erased bool `json:"erased,omitempty"`
}
