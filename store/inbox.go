package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/quitabot/quita/bot"
)

// RecordInbound stores an inbound message unless its (transport, external
// id) is already known, in which case the stored record is returned with
// duplicate = true. Only after this returns may a transport acknowledge.
func (s *Store) RecordInbound(ctx context.Context, rec bot.InboxRecord) (bot.InboxRecord, bool, error) {
	row := inboxToRow(rec)
	res := s.Gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return bot.InboxRecord{}, false, fmt.Errorf("store: record inbound: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return row.toDomain(), false, nil
	}
	var existing inboxRow
	err := s.Gorm.WithContext(ctx).Where("transport = ? AND external_id = ?", rec.Message.Transport, rec.Message.ExternalID).
		Take(&existing).Error
	if err != nil {
		return bot.InboxRecord{}, false, fmt.Errorf("store: load duplicate inbound: %w", err)
	}
	return existing.toDomain(), true, nil
}

// UnprocessedInbound lists stored inbound messages received before a time
// and not yet handled, oldest first; the engine replays them after a crash
// and retries them periodically.
func (s *Store) UnprocessedInbound(ctx context.Context, receivedBefore time.Time, limit int) ([]bot.InboxRecord, error) {
	var rows []inboxRow
	err := s.Gorm.WithContext(ctx).Where("processed_at IS NULL AND received_at < ?", receivedBefore.UTC()).
		Order("received_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: unprocessed inbound: %w", err)
	}
	return fromRows[bot.InboxRecord](rows), nil
}

// InboxRecord returns one stored inbound message.
func (s *Store) InboxRecord(ctx context.Context, id string) (bot.InboxRecord, error) {
	var row inboxRow
	if err := s.Gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return bot.InboxRecord{}, notFound(err, "inbound message %s", id)
	}
	return row.toDomain(), nil
}

// SaveMedia stores an attachment and returns it with its URL, size and
// hash; the bytes are dropped from the returned value.
func (s *Store) SaveMedia(ctx context.Context, m bot.Media) (bot.Media, error) {
	sum := sha256.Sum256(m.Data)
	row := mediaRow{ID: "med_" + hex.EncodeToString(sum[:12]), SHA256: hex.EncodeToString(sum[:]), MIME: m.MIME,
		Filename: m.Filename, Size: int64(len(m.Data)), Data: m.Data, CreatedAt: time.Now().UTC()}
	// Content-addressed: the same receipt sent twice is stored once.
	if err := s.Gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return bot.Media{}, fmt.Errorf("store: save media: %w", err)
	}
	m.URL, m.Size, m.SHA256, m.Data = "/v1/media/"+row.ID, row.Size, row.SHA256, nil
	return m, nil
}

// MediaFile returns a stored attachment's bytes.
func (s *Store) MediaFile(ctx context.Context, id string) (bot.Media, error) {
	var row mediaRow
	if err := s.Gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return bot.Media{}, notFound(err, "media %s", id)
	}
	return bot.Media{MIME: row.MIME, Filename: row.Filename, Size: row.Size, SHA256: row.SHA256, Data: row.Data,
		URL: "/v1/media/" + row.ID}, nil
}

// notFound turns gorm's not-found into a bot not_found error.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return bot.Errorf(bot.CodeNotFound, format+" not found", args...)
	}
	return fmt.Errorf("store: "+format+": %w", append(args, err)...)
}
