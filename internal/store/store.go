// Package store opens the portal's database, SQLite by default or
// PostgreSQL to run several instances, and brings its schema up to date.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite", pure Go
)

// Dialect names the SQL spoken by the database.
type Dialect string

// The two databases the portal runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open, migrated database.
type DB struct {
	*sql.DB
	Dialect Dialect

	// statements holds SQLite statements prepared once per query text
	// (see statement); its size is bounded by maxStatements.
	mu         sync.Mutex
	statements map[string]*sql.Stmt
}

// Open connects to databaseURL (sqlite:PATH or postgres://…), checks the
// connection, and applies pending migrations.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	dialect, driver, dsn, err := parseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	db := &DB{DB: sqlDB, Dialect: dialect}
	// Keep connections for concurrent requests: database/sql keeps two by
	// default, and under load the rest were opened and closed again and
	// again (for SQLite: open the files, read the schema, prepare anew).
	sqlDB.SetMaxIdleConns(16)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if dialect == Postgres {
		sqlDB.SetMaxOpenConns(32)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: connect to the %s database: %w", dialect, err)
	}
	if err := db.migrate(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// parseURL turns ASSISTDESK_DATABASE_URL into a driver and its DSN.
func parseURL(raw string) (Dialect, string, string, error) {
	switch {
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(raw, "sqlite:")
		if path == "" {
			return "", "", "", errors.New("store: sqlite: needs a file path, e.g. sqlite:/data/assistdesk.db")
		}
		// WAL lets readers work beside the one writer; IMMEDIATE transactions
		// take the write lock up front, so two writers wait for each other
		// (busy_timeout) instead of failing half way.
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		return SQLite, "sqlite", "file:" + path + "?" + q.Encode(), nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return "", "", "", fmt.Errorf("store: the PostgreSQL URL does not parse: %w", err)
		}
		return Postgres, "pgx", raw, nil
	}
	return "", "", "", fmt.Errorf("store: database URL must start with sqlite: or postgres://")
}

// Rebind turns the ? placeholders of a query into $1, $2… for PostgreSQL.
// Queries here never hold a literal question mark.
func (db *DB) Rebind(query string) string {
	if db.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
