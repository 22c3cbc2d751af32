package devidp

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is the provider's op.Storage. Clients, people and the key are fixed
// at construction and read without locking; everything a flow creates is
// guarded by mu.
type storage struct {
	tenantID        string
	graphAudience   string
	graphPrefix     string
	accessTokenLife time.Duration
	key             signingKey
	clients         map[string]*opClient
	people          map[string]Person // by ObjectID

	mu            sync.Mutex
	authRequests  map[string]*authRequest
	codes         map[string]string // code → auth request id
	accessTokens  map[string]*accessToken
	refreshTokens map[string]*refreshToken
	// lastAccessToken is the id (jti) of the newest access token per
	// subject, so a test can tell which sign-in a Graph call came from.
	lastAccessToken map[string]string
}

var _ op.Storage = (*storage)(nil)

func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	c, ok := s.clients[clientID]
	if !ok {
		return nil, fmt.Errorf("devidp: unknown client %q", clientID)
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, clientID, secret string) error {
	c, ok := s.clients[clientID]
	if !ok || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return errors.New("devidp: wrong client id or secret")
	}
	return nil
}

// GetKeyByIDAndClientID refuses: clients authenticate with secrets only, so
// the JWT profile grant op always offers can never succeed.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("devidp: private_key_jwt is not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("devidp: the JWT profile grant is not supported")
}

// TerminateSession has nothing to end: the provider keeps no sign-in session
// (every sign-in goes through the picker), and issued tokens live on until
// they expire or are revoked, as with Entra ID.
func (s *storage) TerminateSession(context.Context, string, string) error {
	return nil
}

func (s *storage) Health(context.Context) error { return nil }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

// signingKey is the provider's RS256 key; its id is the RFC 7638 thumbprint
// so relying parties can pick it from the JWKS.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func newSigningKey() (signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKey{}, fmt.Errorf("devidp: generating signing key: %w", err)
	}
	thumb, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return signingKey{}, fmt.Errorf("devidp: key thumbprint: %w", err)
	}
	return signingKey{id: base64.RawURLEncoding.EncodeToString(thumb), key: key}, nil
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

// publicKey is the JWKS view of signingKey.
type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return oidc.KeyUseSignature }
func (k publicKey) Key() any                           { return &k.key.PublicKey }
