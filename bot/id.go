package bot

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// IDs generates identifiers. Production uses NewIDs; tests inject a
// sequence so golden files stay stable.
type IDs interface {
	// New returns a fresh id with the given short prefix ("cnv", "out"…).
	New(prefix string) string
}

// crockford is the ULID alphabet: sortable, no ambiguous letters.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// MonotonicIDs produces ULID-like ids: a millisecond timestamp followed by
// randomness, strictly increasing within the process so ids sort in the
// order they were made.
type MonotonicIDs struct {
	mu     sync.Mutex
	lastMS uint64
	seq    uint64
}

// NewIDs returns the production id generator.
func NewIDs() *MonotonicIDs { return &MonotonicIDs{} }

// New returns prefix + "_" + 26 sortable characters.
func (g *MonotonicIDs) New(prefix string) string {
	g.mu.Lock()
	ms := uint64(time.Now().UnixMilli())
	if ms <= g.lastMS {
		ms = g.lastMS
		g.seq++
	} else {
		g.lastMS = ms
		var b [8]byte
		_, _ = rand.Read(b[:])
		// Start each millisecond at a random point in the lower half so
		// the counter cannot overflow into the next timestamp.
		g.seq = binary.BigEndian.Uint64(b[:]) >> 2
	}
	seq := g.seq
	g.mu.Unlock()

	var out [26]byte
	for i := 9; i >= 0; i-- { // 48-bit time in 10 chars
		out[i] = crockford[ms&31]
		ms >>= 5
	}
	var tail [8]byte
	_, _ = rand.Read(tail[:])
	r := binary.BigEndian.Uint64(tail[:])
	for i := 25; i >= 23; i-- { // 15 random bits
		out[i] = crockford[r&31]
		r >>= 5
	}
	for i := 22; i >= 10; i-- { // 62-bit counter in 13 chars
		out[i] = crockford[seq&31]
		seq >>= 5
	}
	return prefix + "_" + string(out[:])
}

// SequenceIDs yields prefix_000001, prefix_000002… for deterministic tests.
type SequenceIDs struct {
	mu sync.Mutex
	n  int
}

// New returns the next id in the sequence.
func (s *SequenceIDs) New(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return prefix + "_" + pad6(s.n)
}

func pad6(n int) string {
	b := []byte("000000")
	for i := 5; i >= 0 && n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}
