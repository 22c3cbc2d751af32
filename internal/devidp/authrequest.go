package devidp

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authRequestLifetime bounds the whole interactive part: picking a person and
// redeeming the code must both happen within it.
const authRequestLifetime = 10 * time.Minute

var errAuthRequestNotFound = errors.New("devidp: unknown or expired auth request")

// authRequest is an authorization request between /authorize and the code
// exchange. The storage hands out copies so the op package never reads one
// while the picker is completing it.
type authRequest struct {
	id           string
	clientID     string
	redirectURI  string
	state        string
	nonce        string
	scopes       []string
	audience     []string
	responseType oidc.ResponseType
	responseMode oidc.ResponseMode
	challenge    *oidc.CodeChallenge
	expires      time.Time

	subject  string // set when a person is picked
	authTime time.Time
	code     string // set once; a second callback must not mint another code
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return nil }
func (a *authRequest) GetAudience() []string                 { return a.audience }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.subject != "" }

// CreateAuthRequest runs after op has validated the client, redirect URI and
// response type, and adds the rules op leaves to the storage.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE is required: send a code_challenge with code_challenge_method=S256")
	}
	if !slices.Contains(req.Scopes, oidc.ScopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	}
	// The provider keeps no sign-in session, so it can never answer without
	// showing the picker.
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired()
	}
	id := rand.Text()
	ar := &authRequest{
		id:           id,
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		scopes:       s.allowedScopes(req.Scopes),
		audience:     []string{req.ClientID, s.graphAudience},
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		challenge:    &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod},
		expires:      time.Now().Add(authRequestLifetime),
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	s.authRequests[id] = ar
	return copyOf(ar), nil
}

// allowedScopes drops phone and address, which op admits on its own but
// which this provider has no claims for.
func (s *storage) allowedScopes(scopes []string) []string {
	return slices.DeleteFunc(slices.Clone(scopes), func(scope string) bool {
		switch scope {
		case oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess:
			return false
		}
		return !isGraphScope(scope, s.graphPrefix)
	})
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.liveAuthRequestLocked(id)
	if !ok {
		return nil, errAuthRequestNotFound
	}
	return copyOf(ar), nil
}

// AuthRequestByCode forgets the code as it looks it up, so a code is spent by
// its first use even when that exchange then fails (for example on PKCE).
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.codes[code]
	delete(s.codes, code)
	if !ok {
		return nil, errAuthRequestNotFound
	}
	ar, ok := s.liveAuthRequestLocked(id)
	if !ok || !ar.Done() {
		return nil, errAuthRequestNotFound
	}
	return copyOf(ar), nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.liveAuthRequestLocked(id)
	if !ok || !ar.Done() {
		return errAuthRequestNotFound
	}
	if ar.code != "" {
		return oidc.ErrInvalidRequest().WithDescription("a code was already issued for this request")
	}
	ar.code = code
	s.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ar, ok := s.authRequests[id]; ok {
		delete(s.codes, ar.code)
		delete(s.authRequests, id)
	}
	return nil
}

// completeAuthRequest records who was picked on the picker page.
func (s *storage) completeAuthRequest(id, objectID string) error {
	if _, ok := s.people[objectID]; !ok {
		return errors.New("devidp: unknown person")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.liveAuthRequestLocked(id)
	if !ok || ar.Done() {
		return errAuthRequestNotFound
	}
	ar.subject = objectID
	ar.authTime = time.Now()
	return nil
}

func (s *storage) liveAuthRequestLocked(id string) (*authRequest, bool) {
	ar, ok := s.authRequests[id]
	if !ok || time.Now().After(ar.expires) {
		return nil, false
	}
	return ar, true
}

func copyOf(ar *authRequest) *authRequest {
	c := *ar
	return &c
}
