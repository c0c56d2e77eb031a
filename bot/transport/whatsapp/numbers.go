package whatsapp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// numberRecord is what the transport must remember about a linked number
// across restarts: when it was linked (warm-up), when its phone was last
// seen, the 463 pause, and today's proactive send count. whatsmeow's device
// table has no room for these, so the package keeps one small table of its
// own next to whatsmeow's (a store migration creates it).
type numberRecord struct {
	LinkedAt      time.Time
	PhoneSeen     time.Time
	TimelockUntil time.Time
	SentDay       string // YYYY-MM-DD in Config.Location
	SentCount     int
}

// numberStore reads and writes quita_whatsapp_numbers. Only the instance
// holding a number's lease writes its row, so plain upserts suffice.
type numberStore struct{ db *sql.DB }

func (s numberStore) ensure(ctx context.Context) error {
	// The table comes from the store's migrations (0010_whatsapp_numbers).
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM quita_whatsapp_numbers WHERE jid = ''").Scan(&n); err != nil {
		return fmt.Errorf("whatsapp: table quita_whatsapp_numbers is missing (run quita migrate): %w", err)
	}
	return nil
}

// load returns jid's record, creating it as linked at now when missing: a
// number first seen by this version is treated as new, which only makes
// its warm-up more careful.
func (s numberStore) load(ctx context.Context, jid string, now time.Time) (numberRecord, error) {
	var linked, seen, lock int64
	var r numberRecord
	err := s.db.QueryRowContext(ctx, `SELECT linked_at, phone_seen_at, timelock_until, sent_day, sent_count
		FROM quita_whatsapp_numbers WHERE jid = $1`, jid).Scan(&linked, &seen, &lock, &r.SentDay, &r.SentCount)
	if errors.Is(err, sql.ErrNoRows) {
		r = numberRecord{LinkedAt: now, PhoneSeen: now}
		return r, s.save(ctx, jid, r)
	}
	if err != nil {
		return r, fmt.Errorf("whatsapp: load number: %w", err)
	}
	r.LinkedAt, r.PhoneSeen, r.TimelockUntil = fromUnix(linked), fromUnix(seen), fromUnix(lock)
	return r, nil
}

func (s numberStore) save(ctx context.Context, jid string, r numberRecord) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO quita_whatsapp_numbers
		(jid, linked_at, phone_seen_at, timelock_until, sent_day, sent_count) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (jid) DO UPDATE SET linked_at = excluded.linked_at, phone_seen_at = excluded.phone_seen_at,
		timelock_until = excluded.timelock_until, sent_day = excluded.sent_day, sent_count = excluded.sent_count`,
		jid, toUnix(r.LinkedAt), toUnix(r.PhoneSeen), toUnix(r.TimelockUntil), r.SentDay, r.SentCount)
	if err != nil {
		return fmt.Errorf("whatsapp: save number: %w", err)
	}
	return nil
}

func toUnix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
