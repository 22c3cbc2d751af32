package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Sessions keeps scs sessions in the sessions table, so any instance
// serves any technician and a restart signs nobody out. It implements
// scs.Store and scs.CtxStore; its queries go through the statement cache,
// since finding the session is part of every signed-in request.
type Sessions struct {
	db                          *DB
	find, commit, remove, prune string
}

// Sessions returns the session store of this database.
func (db *DB) Sessions() *Sessions {
	s := &Sessions{db: db, remove: db.Rebind("DELETE FROM sessions WHERE token = ?")}
	if db.Dialect == Postgres {
		s.find = "SELECT data FROM sessions WHERE token = $1 AND current_timestamp < expiry"
		s.commit = "INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3) " +
			"ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry"
		s.prune = "DELETE FROM sessions WHERE expiry < current_timestamp"
		return s
	}
	// SQLite keeps the expiry as a Julian day number (REAL), so that
	// julianday('now') compares with it directly.
	s.find = "SELECT data FROM sessions WHERE token = ? AND julianday('now') < expiry"
	s.commit = "REPLACE INTO sessions (token, data, expiry) VALUES (?, ?, julianday(?))"
	s.prune = "DELETE FROM sessions WHERE expiry < julianday('now')"
	return s
}

// FindCtx returns the data of an unexpired session.
func (s *Sessions) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, s.find, token).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: find session: %w", err)
	}
	return data, true, nil
}

// CommitCtx stores a session's data until expiry.
func (s *Sessions) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	var at any = expiry
	if s.db.Dialect == SQLite {
		at = expiry.UTC().Format("2006-01-02T15:04:05.999")
	}
	if _, err := s.db.ExecContext(ctx, s.commit, token, data, at); err != nil {
		return fmt.Errorf("store: commit session: %w", err)
	}
	return nil
}

// DeleteCtx removes a session.
func (s *Sessions) DeleteCtx(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, s.remove, token); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// Prune deletes expired sessions and returns how many there were.
func (s *Sessions) Prune(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.prune)
	if err != nil {
		return 0, fmt.Errorf("store: prune sessions: %w", err)
	}
	return res.RowsAffected()
}

// Find, Commit and Delete are the scs.Store methods without a context;
// scs calls the Ctx variants, these are for its interface only.
func (s *Sessions) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context.
func (s *Sessions) Commit(token string, data []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, data, expiry)
}

// Delete is DeleteCtx without a context.
func (s *Sessions) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}
