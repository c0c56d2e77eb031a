package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"gorm.io/gorm"

	"github.com/quitabot/quita/bot"
)

// Agent roles: admins manage agents and settings; agents handle
// conversations.
const (
	RoleAgent = "agent"
	RoleAdmin = "admin"
)

// Agent is a console account. Name is the login and the name transcripts
// show ("agent:<name>").
type Agent struct {
	ID        string
	Name      string
	Role      string
	Disabled  bool
	CreatedAt time.Time
}

// ConsoleSession is one signed-in console browser. IDHash is the SHA-256
// (hex) of the cookie value, which is never stored; CSRF is the token its
// forms must echo. A session ends at ExpiresAt, which the web layer
// slides forward on use up to an absolute limit.
type ConsoleSession struct {
	IDHash     string
	AgentID    string
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

type agentRow struct {
	ID           string `gorm:"primaryKey"`
	Name         string
	Role         string
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (agentRow) TableName() string { return "agents" }

func (r agentRow) toDomain() Agent {
	return Agent{ID: r.ID, Name: r.Name, Role: r.Role, Disabled: r.Disabled, CreatedAt: r.CreatedAt}
}

type consoleSessionRow struct {
	IDHash     string `gorm:"primaryKey"`
	AgentID    string
	CSRF       string `gorm:"column:csrf"`
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

func (consoleSessionRow) TableName() string { return "console_sessions" }

func (r consoleSessionRow) toDomain() ConsoleSession {
	return ConsoleSession{IDHash: r.IDHash, AgentID: r.AgentID, CSRF: r.CSRF, CreatedAt: r.CreatedAt,
		LastSeenAt: r.LastSeenAt, ExpiresAt: r.ExpiresAt}
}

// agentName is what an agent may be called: it ends up inside transcript
// authors and URLs, so plain lower-case letters, digits, '.', '_' and '-'.
var agentName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// APIPrincipal is the name actions taken with the admin bearer token are
// recorded under ("agent:api"). It is reserved, so no console account can
// pass for the token or the token for an account.
const APIPrincipal = "api"

// ValidateAgentName reports whether name can be an agent's name.
func ValidateAgentName(name string) error {
	if !agentName.MatchString(name) {
		return bot.Invalid("name", "must be 1 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if name == APIPrincipal {
		return bot.Invalid("name", "%q is reserved for the API token", name)
	}
	return nil
}

// ValidateRole reports whether role is agent or admin.
func ValidateRole(role string) error {
	if role != RoleAgent && role != RoleAdmin {
		return bot.Invalid("role", "must be agent or admin")
	}
	return nil
}

// CreateAgent stores a new agent with a password hash (bcrypt); a taken
// name is a conflict.
func (s *Store) CreateAgent(ctx context.Context, a Agent, passwordHash string) error {
	if err := ValidateAgentName(a.Name); err != nil {
		return err
	}
	if err := ValidateRole(a.Role); err != nil {
		return err
	}
	if passwordHash == "" {
		return bot.Invalid("password", "is required")
	}
	row := agentRow{ID: a.ID, Name: a.Name, Role: a.Role, PasswordHash: passwordHash, Disabled: a.Disabled,
		CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.CreatedAt.UTC()}
	if err := s.Gorm.WithContext(ctx).Create(&row).Error; err != nil {
		if isUniqueViolation(err) {
			return bot.Errorf(bot.CodeConflict, "an agent named %s already exists", a.Name)
		}
		return fmt.Errorf("store: create agent: %w", err)
	}
	return nil
}

// AgentCredentials returns the agent called name and its password hash.
func (s *Store) AgentCredentials(ctx context.Context, name string) (Agent, string, error) {
	var row agentRow
	if err := s.Gorm.WithContext(ctx).Where("name = ?", name).Take(&row).Error; err != nil {
		return Agent{}, "", notFound(err, "agent %s", name)
	}
	return row.toDomain(), row.PasswordHash, nil
}

// Agents lists every agent by name.
func (s *Store) Agents(ctx context.Context) ([]Agent, error) {
	var rows []agentRow
	if err := s.Gorm.WithContext(ctx).Order("name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list agents: %w", err)
	}
	return fromRows[Agent](rows), nil
}

// SetAgentDisabled disables or re-enables an agent. Disabling ends every
// session of the agent at once, console and simulator alike.
func (s *Store) SetAgentDisabled(ctx context.Context, name string, disabled bool, now time.Time) error {
	return s.updateAgent(ctx, name, map[string]any{"disabled": disabled, "updated_at": now.UTC()}, disabled)
}

// SetAgentPassword replaces an agent's password hash and ends its sessions.
func (s *Store) SetAgentPassword(ctx context.Context, name, passwordHash string, now time.Time) error {
	if passwordHash == "" {
		return bot.Invalid("password", "is required")
	}
	return s.updateAgent(ctx, name, map[string]any{"password_hash": passwordHash, "updated_at": now.UTC()}, true)
}

func (s *Store) updateAgent(ctx context.Context, name string, set map[string]any, endSessions bool) error {
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row agentRow
		if err := tx.Where("name = ?", name).Take(&row).Error; err != nil {
			return notFound(err, "agent %s", name)
		}
		if err := tx.Model(&agentRow{}).Where("id = ?", row.ID).Updates(set).Error; err != nil {
			return fmt.Errorf("store: update agent %s: %w", name, err)
		}
		if endSessions {
			if err := tx.Where("agent_id = ?", row.ID).Delete(&consoleSessionRow{}).Error; err != nil {
				return fmt.Errorf("store: end sessions of %s: %w", name, err)
			}
			if err := tx.Where("agent_id = ?", row.ID).Delete(&simSessionRow{}).Error; err != nil {
				return fmt.Errorf("store: end simulator sessions of %s: %w", name, err)
			}
		}
		return nil
	})
}

// CreateConsoleSession stores a new session.
func (s *Store) CreateConsoleSession(ctx context.Context, sess ConsoleSession) error {
	row := consoleSessionRow{IDHash: sess.IDHash, AgentID: sess.AgentID, CSRF: sess.CSRF, CreatedAt: sess.CreatedAt.UTC(),
		LastSeenAt: sess.LastSeenAt.UTC(), ExpiresAt: sess.ExpiresAt.UTC()}
	if err := s.Gorm.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("store: create console session: %w", err)
	}
	return nil
}

// ErrNoSession is returned by ConsoleSession for a session that does not
// exist, has expired, or whose agent is disabled.
var ErrNoSession = errors.New("store: no such console session")

// ConsoleSession returns the live session with idHash and its agent.
func (s *Store) ConsoleSession(ctx context.Context, idHash string, now time.Time) (ConsoleSession, Agent, error) {
	var sess consoleSessionRow
	err := s.Gorm.WithContext(ctx).Where("id_hash = ? AND expires_at > ?", idHash, now.UTC()).Take(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ConsoleSession{}, Agent{}, ErrNoSession
	}
	if err != nil {
		return ConsoleSession{}, Agent{}, fmt.Errorf("store: console session: %w", err)
	}
	var agent agentRow
	err = s.Gorm.WithContext(ctx).Where("id = ? AND disabled = ?", sess.AgentID, false).Take(&agent).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ConsoleSession{}, Agent{}, ErrNoSession
	}
	if err != nil {
		return ConsoleSession{}, Agent{}, fmt.Errorf("store: console session agent: %w", err)
	}
	return sess.toDomain(), agent.toDomain(), nil
}

// TouchConsoleSession records use of a session and moves its expiry.
func (s *Store) TouchConsoleSession(ctx context.Context, idHash string, seen, expires time.Time) error {
	err := s.Gorm.WithContext(ctx).Model(&consoleSessionRow{}).Where("id_hash = ?", idHash).
		Updates(map[string]any{"last_seen_at": seen.UTC(), "expires_at": expires.UTC()}).Error
	if err != nil {
		return fmt.Errorf("store: touch console session: %w", err)
	}
	return nil
}

// DeleteConsoleSession ends a session, and the simulator sessions opened
// from it; ending an unknown one is not an error.
func (s *Store) DeleteConsoleSession(ctx context.Context, idHash string) error {
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id_hash = ?", idHash).Delete(&consoleSessionRow{}).Error; err != nil {
			return fmt.Errorf("store: delete console session: %w", err)
		}
		if err := tx.Where("console_session = ?", idHash).Delete(&simSessionRow{}).Error; err != nil {
			return fmt.Errorf("store: delete simulator sessions of a console session: %w", err)
		}
		return nil
	})
}

// DeleteExpiredConsoleSessions removes sessions that ended before now and
// returns how many.
func (s *Store) DeleteExpiredConsoleSessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.Gorm.WithContext(ctx).Where("expires_at <= ?", now.UTC()).Delete(&consoleSessionRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete expired console sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}
