package devidp

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// refreshTokenLifetime keeps a forgotten demo session from refreshing forever.
const refreshTokenLifetime = 24 * time.Hour

// accessToken is remembered so userinfo and revocation can refuse a JWT
// that is still validly signed but was revoked.
type accessToken struct {
	clientID string
	subject  string
	scopes   []string
	expires  time.Time
}

// refreshToken is the grant behind a refresh token. It doubles as the
// op.RefreshTokenRequest the refresh grant works on.
type refreshToken struct {
	clientID string
	subject  string
	audience []string
	scopes   []string // as granted; a rotated token keeps them
	current  []string // narrowed by the refresh request, if it asked for less
	authTime time.Time
	expires  time.Time
}

var _ op.RefreshTokenRequest = (*refreshToken)(nil)

func (r *refreshToken) GetAMR() []string       { return nil }
func (r *refreshToken) GetAudience() []string  { return r.audience }
func (r *refreshToken) GetAuthTime() time.Time { return r.authTime }
func (r *refreshToken) GetClientID() string    { return r.clientID }
func (r *refreshToken) GetSubject() string     { return r.subject }
func (r *refreshToken) GetScopes() []string {
	if r.current != nil {
		return r.current
	}
	return r.scopes
}
func (r *refreshToken) SetCurrentScopes(scopes []string) { r.current = scopes }

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	// Only our auth and refresh token requests reach here, and both carry
	// the client and sign-in details that op.TokenRequest leaves out.
	g, ok := req.(op.IDTokenRequest)
	if !ok {
		return "", time.Time{}, errors.New("devidp: unsupported token request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, exp := s.newAccessTokenLocked(g)
	return id, exp, nil
}

func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	g, ok := req.(op.IDTokenRequest)
	if !ok {
		return "", "", time.Time{}, errors.New("devidp: unsupported token request")
	}
	token := rand.Text()
	next := &refreshToken{
		clientID: g.GetClientID(),
		subject:  g.GetSubject(),
		audience: g.GetAudience(),
		scopes:   g.GetScopes(),
		authTime: g.GetAuthTime(),
		expires:  time.Now().Add(refreshTokenLifetime),
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if current != "" {
		// Rotation: the presented token must still be live, and it is spent
		// here, so a concurrent second use of it fails.
		old, ok := s.refreshTokens[current]
		if !ok || old.clientID != next.clientID || old.subject != next.subject {
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token already used or revoked")
		}
		delete(s.refreshTokens, current)
		next.scopes = old.scopes
	}
	id, exp := s.newAccessTokenLocked(g)
	s.refreshTokens[token] = next
	return id, token, exp, nil
}

func (s *storage) newAccessTokenLocked(g op.IDTokenRequest) (string, time.Time) {
	id := rand.Text()
	now := time.Now()
	exp := now.Add(s.accessTokenLife)
	// Forget expired tokens as new ones are made, so a long demo stays small.
	for old, t := range s.accessTokens {
		if now.After(t.expires) {
			delete(s.accessTokens, old)
		}
	}
	s.lastAccessToken[g.GetSubject()] = id
	s.accessTokens[id] = &accessToken{
		clientID: g.GetClientID(),
		subject:  g.GetSubject(),
		scopes:   g.GetScopes(),
		expires:  exp,
	}
	return id, exp
}

func (s *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refreshTokens[token]
	if !ok || time.Now().After(rt.expires) {
		return nil, errors.New("devidp: unknown or expired refresh token")
	}
	c := *rt
	return &c, nil
}

func (s *storage) GetRefreshTokenInfo(_ context.Context, clientID, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refreshTokens[token]
	if !ok || rt.clientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rt.subject, token, nil
}

// RevokeToken gets a refresh token itself or an access token's id. Unknown
// tokens are not an error (RFC 7009, section 2.2).
func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.refreshTokens[tokenOrID]; ok {
		if rt.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.refreshTokens, tokenOrID)
	}
	if at, ok := s.accessTokens[tokenOrID]; ok {
		if at.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.accessTokens, tokenOrID)
	}
	return nil
}

// sweepLocked drops expired entries; it runs whenever an auth request is
// created, which keeps the maps bounded without a background goroutine.
func (s *storage) sweepLocked() {
	now := time.Now()
	for id, ar := range s.authRequests {
		if now.After(ar.expires) {
			delete(s.codes, ar.code)
			delete(s.authRequests, id)
		}
	}
	for id, at := range s.accessTokens {
		if now.After(at.expires) {
			delete(s.accessTokens, id)
		}
	}
	for token, rt := range s.refreshTokens {
		if now.After(rt.expires) {
			delete(s.refreshTokens, token)
		}
	}
}
