// Package store is Quita's persistence: gorm over pure-Go SQLite or
// PostgreSQL sharing one *sql.DB (which whatsmeow's sqlstore can reuse),
// forward-only embedded SQL migrations, and repositories implementing the
// ports the engine needs. Rows live here and never leave: callers get bot
// domain types through toDomain/fromDomain converters.
//
// It may import bot, bot/transcript, gorm and its drivers; nothing from web,
// flows or cmd.
package store
