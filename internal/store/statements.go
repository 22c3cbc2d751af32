package store

import (
	"context"
	"database/sql"
)

// maxStatements bounds the statement cache. The portal's queries are a
// fixed set of texts (filters add a bounded number of variants); a query
// beyond the bound still runs, unprepared.
const maxStatements = 256

// statement returns query prepared, or nil when it should run unprepared.
// Only SQLite needs this: it parses and plans every unprepared query, which
// was most of the time of the small lookups each page view makes (its
// session, its Graph token), while pgx caches PostgreSQL statements itself.
func (db *DB) statement(ctx context.Context, query string) *sql.Stmt {
	if db.Dialect != SQLite {
		return nil
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if s, ok := db.statements[query]; ok {
		return s
	}
	if len(db.statements) >= maxStatements {
		return nil
	}
	s, err := db.DB.PrepareContext(ctx, query)
	if err != nil {
		// The unprepared query reports the same error to its caller.
		return nil
	}
	if db.statements == nil {
		db.statements = make(map[string]*sql.Stmt)
	}
	db.statements[query] = s
	return s
}

// QueryRowContext is sql.DB's, through a prepared statement where that helps.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := db.statement(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.DB.QueryRowContext(ctx, query, args...)
}

// QueryContext is sql.DB's, through a prepared statement where that helps.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := db.statement(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return db.DB.QueryContext(ctx, query, args...)
}

// ExecContext is sql.DB's, through a prepared statement where that helps.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := db.statement(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return db.DB.ExecContext(ctx, query, args...)
}
