package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SimSession is one browser signed in to the simulator page. IDHash is the
// SHA-256 (hex) of the cookie value, which is never stored. AgentID is the
// admin who opened the page from the console, or "" for the holder of the
// API token; ConsoleSession is the id hash of the console session it came
// from ("" for none), and the simulator session ends with it. TokenTag is
// a fingerprint of the API token a token holder signed in with, so
// rotating the token ends the session.
type SimSession struct {
	IDHash         string
	AgentID        string
	ConsoleSession string
	TokenTag       string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

type simSessionRow struct {
	IDHash         string `gorm:"primaryKey"`
	AgentID        *string
	ConsoleSession string
	TokenTag       string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

func (simSessionRow) TableName() string { return "sim_sessions" }

// CreateSimSession stores a new simulator session.
func (s *Store) CreateSimSession(ctx context.Context, sess SimSession) error {
	row := simSessionRow{IDHash: sess.IDHash, ConsoleSession: sess.ConsoleSession, TokenTag: sess.TokenTag,
		CreatedAt: sess.CreatedAt.UTC(), ExpiresAt: sess.ExpiresAt.UTC()}
	if sess.AgentID != "" {
		// NULL, not "", for the token holder: the column references agents.
		row.AgentID = &sess.AgentID
	}
	if err := s.Gorm.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("store: create simulator session: %w", err)
	}
	return nil
}

// SimSession returns the live simulator session with idHash and, when an
// agent opened it, that agent. It is ErrNoSession when the session is
// unknown or expired, its agent is disabled or no longer an admin, or the
// console session it came from has ended.
func (s *Store) SimSession(ctx context.Context, idHash string, now time.Time) (SimSession, Agent, error) {
	db := s.Gorm.WithContext(ctx)
	var row simSessionRow
	err := db.Where("id_hash = ? AND expires_at > ?", idHash, now.UTC()).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return SimSession{}, Agent{}, ErrNoSession
	}
	if err != nil {
		return SimSession{}, Agent{}, fmt.Errorf("store: simulator session: %w", err)
	}
	sess := SimSession{IDHash: row.IDHash, ConsoleSession: row.ConsoleSession, TokenTag: row.TokenTag,
		CreatedAt: row.CreatedAt, ExpiresAt: row.ExpiresAt}
	if row.ConsoleSession != "" {
		var n int64
		if err := db.Model(&consoleSessionRow{}).Where("id_hash = ? AND expires_at > ?", row.ConsoleSession, now.UTC()).
			Count(&n).Error; err != nil {
			return SimSession{}, Agent{}, fmt.Errorf("store: simulator session's console session: %w", err)
		}
		if n == 0 {
			return SimSession{}, Agent{}, ErrNoSession
		}
	}
	if row.AgentID == nil {
		return sess, Agent{}, nil
	}
	sess.AgentID = *row.AgentID
	var agent agentRow
	err = db.Where("id = ? AND disabled = ? AND role = ?", sess.AgentID, false, RoleAdmin).Take(&agent).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return SimSession{}, Agent{}, ErrNoSession
	}
	if err != nil {
		return SimSession{}, Agent{}, fmt.Errorf("store: simulator session agent: %w", err)
	}
	return sess, agent.toDomain(), nil
}

// DeleteSimSession ends a simulator session; ending an unknown one is not
// an error.
func (s *Store) DeleteSimSession(ctx context.Context, idHash string) error {
	if err := s.Gorm.WithContext(ctx).Where("id_hash = ?", idHash).Delete(&simSessionRow{}).Error; err != nil {
		return fmt.Errorf("store: delete simulator session: %w", err)
	}
	return nil
}

// DeleteExpiredSimSessions removes simulator sessions and sign-in codes
// that ended before now, and returns how many sessions.
func (s *Store) DeleteExpiredSimSessions(ctx context.Context, now time.Time) (int64, error) {
	db := s.Gorm.WithContext(ctx)
	res := db.Where("expires_at <= ?", now.UTC()).Delete(&simSessionRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete expired simulator sessions: %w", res.Error)
	}
	if err := db.Where("expires_at <= ?", now.UTC()).Delete(&signInCodeRow{}).Error; err != nil {
		return 0, fmt.Errorf("store: delete expired sign-in codes: %w", err)
	}
	return res.RowsAffected, nil
}

type signInCodeRow struct {
	CodeHash  string `gorm:"primaryKey"`
	TokenTag  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

func (signInCodeRow) TableName() string { return "sign_in_codes" }

// CreateSignInCode stores a sign-in code (its SHA-256 only) valid until
// expires, for the holder of the API token whose fingerprint is tokenTag.
func (s *Store) CreateSignInCode(ctx context.Context, codeHash, tokenTag string, created, expires time.Time) error {
	row := signInCodeRow{CodeHash: codeHash, TokenTag: tokenTag, CreatedAt: created.UTC(), ExpiresAt: expires.UTC()}
	if err := s.Gorm.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("store: create sign-in code: %w", err)
	}
	return nil
}

// ErrNoCode is returned by RedeemSignInCode for a code that is unknown,
// expired or already used.
var ErrNoCode = errors.New("store: no such sign-in code")

// RedeemSignInCode uses up a live code and returns the token fingerprint
// it was made for. The delete is the redemption, so two browsers racing
// with one code cannot both win.
func (s *Store) RedeemSignInCode(ctx context.Context, codeHash string, now time.Time) (string, error) {
	var tag string
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row signInCodeRow
		err := tx.Where("code_hash = ? AND expires_at > ?", codeHash, now.UTC()).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNoCode
		}
		if err != nil {
			return fmt.Errorf("store: sign-in code: %w", err)
		}
		res := tx.Where("code_hash = ?", codeHash).Delete(&signInCodeRow{})
		if res.Error != nil {
			return fmt.Errorf("store: use sign-in code: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return ErrNoCode
		}
		tag = row.TokenTag
		return nil
	})
	return tag, err
}

type loginFailureRow struct {
	KeyHash      string `gorm:"primaryKey"`
	Failures     int
	LastAt       time.Time
	BlockedUntil time.Time
}

func (loginFailureRow) TableName() string { return "login_failures" }

// LoginBlockedUntil returns when the sign-in backoff of key (a hash of a
// name and address pair) ends; a zero time or one before now means the
// pair may try.
func (s *Store) LoginBlockedUntil(ctx context.Context, key string) (time.Time, error) {
	var row loginFailureRow
	err := s.Gorm.WithContext(ctx).Where("key_hash = ?", key).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: login failures: %w", err)
	}
	return row.BlockedUntil, nil
}

// RecordLoginFailure counts one more failed sign-in for key at now, and
// blocks the pair until now + backoff(failures). Failures older than
// window are forgotten first, so the count starts again at 1. It returns
// the count and the end of the block.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration,
	backoff func(failures int) time.Duration) (int, time.Time, error) {
	now = now.UTC()
	var failures int
	// One upsert, so concurrent failures on PostgreSQL neither collide on
	// the insert nor lose a count.
	err := s.Gorm.WithContext(ctx).Raw(`INSERT INTO login_failures (key_hash, failures, last_at, blocked_until)
		VALUES (?, 1, ?, ?)
		ON CONFLICT (key_hash) DO UPDATE SET
			failures = CASE WHEN login_failures.last_at <= ? THEN 1 ELSE login_failures.failures + 1 END,
			last_at = excluded.last_at
		RETURNING failures`, key, now, now, now.Add(-window)).Scan(&failures).Error
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: record login failure: %w", err)
	}
	until := now.Add(backoff(failures))
	if err := s.Gorm.WithContext(ctx).Model(&loginFailureRow{}).Where("key_hash = ?", key).
		Update("blocked_until", until).Error; err != nil {
		return 0, time.Time{}, fmt.Errorf("store: record login backoff: %w", err)
	}
	return failures, until, nil
}

// ClearLoginFailures forgets key's failures (after a successful sign-in).
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	if err := s.Gorm.WithContext(ctx).Where("key_hash = ?", key).Delete(&loginFailureRow{}).Error; err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}

// DeleteStaleLoginFailures removes failure counts last touched before
// before whose block has ended, and returns how many.
func (s *Store) DeleteStaleLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	res := s.Gorm.WithContext(ctx).Where("last_at < ? AND blocked_until < ?", before.UTC(), before.UTC()).
		Delete(&loginFailureRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete stale login failures: %w", res.Error)
	}
	return res.RowsAffected, nil
}
