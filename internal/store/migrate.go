package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// migrate applies pending migrations. On PostgreSQL, instances starting
// together take goose's session lock (an advisory lock), so one migrates
// and the others wait. A database migrated by a newer binary is refused
// rather than run against a schema this binary does not know.
func (db *DB) migrate(ctx context.Context) error {
	dir, err := fs.Sub(migrations, "migrations/"+string(db.Dialect))
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	gooseDialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		gooseDialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gooseDialect, db.DB, dir, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	known := p.ListSources()
	latest := known[len(known)-1].Version
	if current, err := db.SchemaVersion(ctx); err != nil {
		return err
	} else if current > latest {
		return fmt.Errorf("store: the database schema is at version %d, newer than this assistdesk (which knows up to %d): "+
			"run the newer assistdesk, or restore a backup taken before the upgrade", current, latest)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// SchemaVersion is the highest migration applied, 0 for a new database.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&v)
	if err != nil && !isMissingTable(err) {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// isMissingTable: a new database has no goose_db_version table yet.
func isMissingTable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "does not exist")
}
