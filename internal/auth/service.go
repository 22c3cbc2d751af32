package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"time"

	"github.com/alexedwards/scs/v2"
	"golang.org/x/oauth2"
)

const (
	// signInTimeout is how long a started sign-in may take to come back.
	signInTimeout = 10 * time.Minute
	// maxPendingSignIns bounds the sign-ins one browser can have open at
	// once (several tabs), so an abandoned sign-in cannot grow a session.
	maxPendingSignIns = 5

	keyPending    = "auth.pending"
	keyTechnician = "auth.technician"
	keyTokenID    = "auth.tokens"
	keyCSRF       = "auth.csrf"
	keyLastSeen   = "auth.last_seen"
)

// pendingSignIn is what a started sign-in must find again on the callback.
type pendingSignIn struct {
	State, Nonce, Verifier, ReturnTo string
	Started                          time.Time
}

// Service runs the sign-in flow on top of the server-side session.
type Service struct {
	rp       *RelyingParty
	sessions *scs.SessionManager
	vault    *Vault
	tokens   tokenCache
	policy   Policy
	idle     time.Duration
	now      func() time.Time
}

// NewService ties the relying party, the session manager, the vault that
// keeps Graph tokens, and the policy; a session ends after idle without a
// request (0: never).
func NewService(rp *RelyingParty, sessions *scs.SessionManager, vault *Vault, policy Policy, idle time.Duration) *Service {
	sessions.Codec = newSessionCodec()
	return &Service{rp: rp, sessions: sessions, vault: vault, policy: policy, idle: idle, now: time.Now}
}

// Policy is the authorization policy in force.
func (s *Service) Policy() Policy { return s.policy }

// Begin records a new sign-in in the browser's session and returns the
// provider URL to send the browser to.
func (s *Service) Begin(ctx context.Context, returnTo, claims string) (string, error) {
	state, err := randomString()
	if err != nil {
		return "", err
	}
	nonce, err := randomString()
	if err != nil {
		return "", err
	}
	p := pendingSignIn{
		State:    state,
		Nonce:    nonce,
		Verifier: oauth2.GenerateVerifier(),
		ReturnTo: SafeReturnTo(returnTo),
		Started:  s.now(),
	}
	pending := append(s.livePending(ctx), p)
	if len(pending) > maxPendingSignIns {
		pending = pending[len(pending)-maxPendingSignIns:]
	}
	s.sessions.Put(ctx, keyPending, pending)
	if _, signedIn := s.Current(ctx); !signedIn {
		// A session that only holds sign-ins in progress dies with them, so
		// abandoned sign-ins cannot pile up on the server.
		s.sessions.SetDeadline(ctx, s.now().Add(signInTimeout))
	}
	return s.rp.AuthCodeURL(p.State, p.Nonce, p.Verifier, claims), nil
}

func (s *Service) livePending(ctx context.Context) []pendingSignIn {
	all, _ := s.sessions.Get(ctx, keyPending).([]pendingSignIn)
	var live []pendingSignIn
	for _, p := range all {
		if s.now().Sub(p.Started) < signInTimeout {
			live = append(live, p)
		}
	}
	return live
}

// takePending removes and returns the sign-in with this state: a state
// is good for one callback only.
func (s *Service) takePending(ctx context.Context, state string) (pendingSignIn, bool) {
	all, _ := s.sessions.Get(ctx, keyPending).([]pendingSignIn)
	var found pendingSignIn
	var ok bool
	rest := all[:0:0]
	for _, p := range all {
		if state != "" && p.State == state {
			found, ok = p, true
			continue
		}
		rest = append(rest, p)
	}
	if ok {
		s.sessions.Put(ctx, keyPending, rest)
	}
	return found, ok
}

// Complete handles the provider's callback. The state is checked before
// the code is redeemed, so a forged callback never reaches the token
// endpoint. On success the session gets a new id (a cookie planted before
// sign-in is worthless after it) and holds the technician and Graph tokens.
func (s *Service) Complete(ctx context.Context, query url.Values) (returnTo string, err error) {
	pending, found := s.takePending(ctx, query.Get("state"))
	if code := query.Get("error"); code != "" {
		return "", &ProviderError{Code: code, Description: query.Get("error_description")}
	}
	if !found {
		return "", ErrUnknownState
	}
	if s.now().Sub(pending.Started) >= signInTimeout {
		return "", ErrSignInExpired
	}
	code := query.Get("code")
	if code == "" {
		return "", fmt.Errorf("%w: the callback carries none", ErrCodeRefused)
	}
	t, tokens, err := s.rp.Redeem(ctx, code, pending.Verifier, pending.Nonce)
	if err != nil {
		return "", err
	}
	if !s.policy.IsTechnician(t) && !s.policy.IsAuditor(t) {
		return "", &NotAuthorisedError{Technician: t, Requirement: s.policy.TechnicianRequirement()}
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return "", fmt.Errorf("auth: renew session: %w", err)
	}
	csrf, err := randomString()
	if err != nil {
		return "", err
	}
	tokenID, err := s.vault.Create(ctx, tokens)
	if err != nil {
		return "", err
	}
	s.sessions.Remove(ctx, keyPending)
	s.sessions.Put(ctx, keyTechnician, s.policy.Keep(t))
	s.sessions.Put(ctx, keyTokenID, tokenID)
	s.sessions.Put(ctx, keyCSRF, csrf)
	s.sessions.Put(ctx, keyLastSeen, s.now())
	s.sessions.SetDeadline(ctx, s.now().Add(s.sessions.Lifetime))
	return pending.ReturnTo, nil
}

// Current returns the signed-in technician, if any.
func (s *Service) Current(ctx context.Context) (Technician, bool) {
	t, ok := s.sessions.Get(ctx, keyTechnician).(Technician)
	if !ok {
		return Technician{}, false
	}
	if !s.stillActive(ctx) {
		_ = s.endSession(ctx, nil)
		return Technician{}, false
	}
	return t, true
}

// stillActive enforces the idle timeout on the server. scs could do it,
// but it would then write the session back on every request; here the
// last-seen time moves only when it is a tenth of the timeout old, so a
// page view that changes nothing writes nothing.
func (s *Service) stillActive(ctx context.Context) bool {
	if s.idle <= 0 {
		return true
	}
	now := s.now()
	last := s.sessions.GetTime(ctx, keyLastSeen)
	if now.Sub(last) > s.idle {
		return false
	}
	if now.Sub(last) > s.idle/10 {
		s.sessions.Put(ctx, keyLastSeen, now)
	}
	return true
}

// CSRFToken is the session's anti-forgery token, made at sign-in; "" when
// nobody is signed in.
func (s *Service) CSRFToken(ctx context.Context) string {
	return s.sessions.GetString(ctx, keyCSRF)
}

// SignOut destroys the server-side session and returns where to send the
// browser: the provider's end-session endpoint when it has one, so that
// the provider forgets the sign-in too, else the local sign-in page.
func (s *Service) SignOut(ctx context.Context, signInPage string) (string, error) {
	t, _ := s.Current(ctx)
	if id := s.sessions.GetString(ctx, keyTokenID); id != "" {
		s.tokens.forget(id)
		if err := s.vault.Delete(ctx, id); err != nil {
			return "", err
		}
	}
	if err := s.sessions.Destroy(ctx); err != nil {
		return "", fmt.Errorf("auth: destroy session: %w", err)
	}
	if u := s.rp.EndSessionURL(t.Username, signInPage); u != "" {
		return u, nil
	}
	return signInPage, nil
}

func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
