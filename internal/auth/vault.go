package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/assistdesk/assistdesk/internal/store"
)

// TokenKeySize is the length of the AES-256 key that seals Graph tokens.
const TokenKeySize = 32

// errTokensChanged means another request refreshed the tokens first.
var errTokensChanged = errors.New("auth: the Graph tokens changed meanwhile")

// Vault keeps each session's Graph tokens in their own table, sealed with
// AES-GCM, so a copy of the database (a backup, a replica) holds nothing a
// thief can call Graph with. Each row carries a version: an update names
// the version it read, so a slow request cannot overwrite a token that a
// parallel request has just refreshed.
type Vault struct {
	db   *store.DB
	aead cipher.AEAD
	now  func() time.Time
}

// NewVault seals with key, which must be TokenKeySize bytes.
func NewVault(db *store.DB, key []byte) (*Vault, error) {
	if len(key) != TokenKeySize {
		return nil, fmt.Errorf("auth: the token key must be %d bytes, got %d", TokenKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("auth: token key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("auth: token key: %w", err)
	}
	return &Vault{db: db, aead: aead, now: time.Now}, nil
}

// sealed binds the ciphertext to its row id, so rows cannot be swapped.
func (v *Vault) seal(id string, t Tokens) ([]byte, error) {
	plain, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, v.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return v.aead.Seal(nonce, nonce, plain, []byte(id)), nil
}

func (v *Vault) open(id string, sealed []byte) (Tokens, error) {
	n := v.aead.NonceSize()
	if len(sealed) < n {
		return Tokens{}, errors.New("auth: sealed tokens too short")
	}
	plain, err := v.aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: the Graph tokens do not open with this key: %w", err)
	}
	var t Tokens
	return t, json.Unmarshal(plain, &t)
}

// Create stores a new token set and returns its id.
func (v *Vault) Create(ctx context.Context, t Tokens) (string, error) {
	id, err := randomString()
	if err != nil {
		return "", err
	}
	sealed, err := v.seal(id, t)
	if err != nil {
		return "", err
	}
	_, err = v.db.ExecContext(ctx, v.db.Rebind(
		"INSERT INTO graph_tokens (id, sealed, version, updated_at) VALUES (?, ?, 1, ?)"),
		id, sealed, v.now().UnixMilli())
	if err != nil {
		return "", fmt.Errorf("auth: store Graph tokens: %w", err)
	}
	return id, nil
}

// Get reads a token set and the version it is at.
func (v *Vault) Get(ctx context.Context, id string) (Tokens, int64, error) {
	var sealed []byte
	var version int64
	err := v.db.QueryRowContext(ctx, v.db.Rebind("SELECT sealed, version FROM graph_tokens WHERE id = ?"), id).Scan(&sealed, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return Tokens{}, 0, ErrReauthenticate
	}
	if err != nil {
		return Tokens{}, 0, fmt.Errorf("auth: read Graph tokens: %w", err)
	}
	t, err := v.open(id, sealed)
	return t, version, err
}

// Update replaces the tokens if they are still at version; otherwise it
// returns errTokensChanged and changes nothing.
func (v *Vault) Update(ctx context.Context, id string, version int64, t Tokens) error {
	sealed, err := v.seal(id, t)
	if err != nil {
		return err
	}
	res, err := v.db.ExecContext(ctx, v.db.Rebind(
		"UPDATE graph_tokens SET sealed = ?, version = version + 1, updated_at = ?, refreshing_until = 0 WHERE id = ? AND version = ?"),
		sealed, v.now().UnixMilli(), id, version)
	if err != nil {
		return fmt.Errorf("auth: update Graph tokens: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errTokensChanged
	}
	return nil
}

// Lease claims the right to refresh the token set at version until the
// given time. Only one request on any instance holds it; false means
// another is refreshing right now.
func (v *Vault) Lease(ctx context.Context, id string, version int64, until time.Time) (bool, error) {
	res, err := v.db.ExecContext(ctx, v.db.Rebind(
		"UPDATE graph_tokens SET refreshing_until = ? WHERE id = ? AND version = ? AND refreshing_until < ?"),
		until.UnixMilli(), id, version, v.now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("auth: lease Graph tokens: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Release gives up a lease after a refresh that did not succeed.
func (v *Vault) Release(ctx context.Context, id string) {
	_, _ = v.db.ExecContext(ctx, v.db.Rebind("UPDATE graph_tokens SET refreshing_until = 0 WHERE id = ?"), id)
}

// Prune deletes token sets untouched for longer than maxAge: their
// sessions have ended, whether or not anyone signed out.
func (v *Vault) Prune(ctx context.Context, maxAge time.Duration) (int64, error) {
	res, err := v.db.ExecContext(ctx, v.db.Rebind("DELETE FROM graph_tokens WHERE updated_at < ?"), v.now().Add(-maxAge).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("auth: prune Graph tokens: %w", err)
	}
	return res.RowsAffected()
}

// Delete forgets a token set (at sign-out).
func (v *Vault) Delete(ctx context.Context, id string) error {
	_, err := v.db.ExecContext(ctx, v.db.Rebind("DELETE FROM graph_tokens WHERE id = ?"), id)
	if err != nil {
		return fmt.Errorf("auth: delete Graph tokens: %w", err)
	}
	return nil
}
