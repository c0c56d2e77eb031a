package store

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/quitabot/quita/bot"
)

// InboxFilter narrows the agent console's inbox; empty fields match all.
type InboxFilter struct {
	Status string // open, needs_agent or resolved
	// Query matches, case-insensitively, part of the debtor's name, of the
	// phone (by its digits, so "(11) 98888-7777" finds +5511988887777) or
	// of an invoice id of the debtor.
	Query string
	Limit int
}

// InboxItem is one conversation as the inbox lists it.
type InboxItem struct {
	Conversation bot.Conversation
	CustomerName string
	// Claimed and Disputed count the debtor's open invoices whose receipt
	// awaits an agent's check, or whose amount is disputed.
	Claimed, Disputed int
	// LastText is the newest message's text (from or to the debtor);
	// LastIntent the intent of the newest message from the debtor.
	LastText, LastIntent string
}

type consoleInboxRow struct {
	Conv         conversationRow `gorm:"embedded"`
	CustomerName string
	Claimed      int64
	Disputed     int64
	LastText     string
	LastIntent   string
}

// likePattern escapes LIKE's wildcards in s and wraps it in %…%.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// Inbox lists conversations for the console, most recently updated first,
// with the debtor's name and what waits for an agent.
func (s *Store) Inbox(ctx context.Context, f InboxFilter) ([]InboxItem, error) {
	var (
		where []string
		args  []any
	)
	if f.Status != "" {
		where = append(where, "c.status = ?")
		args = append(args, f.Status)
	}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		like := likePattern(q)
		terms := []string{`LOWER(COALESCE(cu.name, '')) LIKE ? ESCAPE '\'`,
			`EXISTS (SELECT 1 FROM invoices qi WHERE qi.customer_id = c.customer_id AND LOWER(qi.id) LIKE ? ESCAPE '\')`}
		args = append(args, like, like)
		digits := strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return r
			}
			return -1
		}, q)
		if len(digits) >= 4 {
			terms = append(terms, `c.phone LIKE ?`)
			args = append(args, "%"+digits+"%")
		}
		where = append(where, "("+strings.Join(terms, " OR ")+")")
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	sql := `SELECT c.*, COALESCE(cu.name, '') AS customer_name,
	  (SELECT COUNT(*) FROM collections col JOIN invoices ci ON ci.id = col.invoice_id
	    WHERE ci.customer_id = c.customer_id AND ci.status = 'open' AND col.status = 'claimed') AS claimed,
	  (SELECT COUNT(*) FROM collections col JOIN invoices ci ON ci.id = col.invoice_id
	    WHERE ci.customer_id = c.customer_id AND ci.status = 'open' AND col.status = 'disputed') AS disputed,
	  COALESCE((SELECT t.text FROM transcript_entries t WHERE t.conversation_id = c.id AND t.direction IN ('in', 'out')
	    ORDER BY t.seq DESC LIMIT 1), '') AS last_text,
	  COALESCE((SELECT t.intent FROM transcript_entries t WHERE t.conversation_id = c.id AND t.direction = 'in'
	    ORDER BY t.seq DESC LIMIT 1), '') AS last_intent
	FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY c.updated_at DESC, c.id DESC LIMIT ?"
	args = append(args, limit)
	var rows []consoleInboxRow
	if err := s.Gorm.WithContext(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: inbox: %w", err)
	}
	out := make([]InboxItem, len(rows))
	for i, r := range rows {
		out[i] = InboxItem{Conversation: r.Conv.toDomain(), CustomerName: r.CustomerName,
			Claimed: int(r.Claimed), Disputed: int(r.Disputed), LastText: r.LastText, LastIntent: r.LastIntent}
	}
	return out, nil
}

// InboxCounts returns how many conversations have each status.
func (s *Store) InboxCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int64
	}
	if err := s.Gorm.WithContext(ctx).Raw("SELECT status, COUNT(*) AS n FROM conversations GROUP BY status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: inbox counts: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = int(r.N)
	}
	return out, nil
}

// TranscriptAfter returns a conversation's entries after seq, in order, at
// most limit of them (500 when limit is not positive): what a live page
// that already shows seq still lacks.
func (s *Store) TranscriptAfter(ctx context.Context, conversationID string, seq int64, limit int) ([]bot.TranscriptEntry, error) {
	if limit <= 0 {
		limit = 500
	}
	var rows []transcriptRow
	err := s.Gorm.WithContext(ctx).Where("conversation_id = ? AND seq > ?", conversationID, seq).Order("seq").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: transcript after %d: %w", seq, err)
	}
	return fromRows[bot.TranscriptEntry](rows), nil
}
