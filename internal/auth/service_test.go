package auth

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/assistdesk/assistdesk/internal/store"
)

// serviceEnv is a Service over a test issuer with a clock the test moves,
// and one browser's session loaded into ctx.
type serviceEnv struct {
	*rpEnv
	svc   *Service
	vault *Vault
	ctx   context.Context
	now   time.Time
}

func newServiceEnv(t *testing.T) *serviceEnv {
	t.Helper()
	e := &serviceEnv{rpEnv: newRPEnv(t, false), now: time.Now()}
	sessions := scs.New()
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	vault, err := NewVault(db, make([]byte, TokenKeySize))
	if err != nil {
		t.Fatal(err)
	}
	e.vault = vault
	e.svc = NewService(e.rp, sessions, vault, Policy{TechnicianRoles: []string{"Assistdesk.Technician"}}, 2*time.Hour)
	e.svc.now = func() time.Time { return e.now }
	ctx, err := sessions.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	e.ctx = ctx
	return e
}

// begin starts a sign-in and returns its state and nonce.
func (e *serviceEnv) begin(t *testing.T) (state, nonce string) {
	t.Helper()
	target, err := e.svc.Begin(e.ctx, "/?q=x", "")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(target)
	return u.Query().Get("state"), u.Query().Get("nonce")
}

func TestSignInStateExpiresAfterTenMinutes(t *testing.T) {
	e := newServiceEnv(t)
	state, nonce := e.begin(t)
	e.answer(e.sign(t, map[string]any{"nonce": nonce}))
	e.now = e.now.Add(10*time.Minute + time.Second)
	if _, err := e.svc.Complete(e.ctx, url.Values{"state": {state}, "code": {"c"}}); !errors.Is(err, ErrSignInExpired) {
		t.Fatalf("err = %v, want ErrSignInExpired", err)
	}

	state, nonce = e.begin(t)
	e.answer(e.sign(t, map[string]any{"nonce": nonce}))
	e.now = e.now.Add(9 * time.Minute)
	returnTo, err := e.svc.Complete(e.ctx, url.Values{"state": {state}, "code": {"c"}})
	if err != nil || returnTo != "/?q=x" {
		t.Fatalf("a sign-in within 10 minutes: %q, %v", returnTo, err)
	}
	if e.svc.CSRFToken(e.ctx) == "" {
		t.Fatal("sign-in made no anti-forgery token")
	}
}

func TestSessionKeepsOnlyTheGroupsThePolicyNames(t *testing.T) {
	e := newServiceEnv(t)
	e.svc.policy = Policy{TechnicianGroups: []string{"g-tech"}, AuditorGroups: []string{"g-audit"}}
	groups := []string{"g-audit", "g-other"}
	for i := range 150 {
		groups = append(groups, "g-"+strconv.Itoa(i))
	}
	groups = append(groups, "g-tech")
	state, nonce := e.begin(t)
	e.answer(e.sign(t, map[string]any{"nonce": nonce, "groups": groups}))
	if _, err := e.svc.Complete(e.ctx, url.Values{"state": {state}, "code": {"c"}}); err != nil {
		t.Fatal(err)
	}
	who, ok := e.svc.Current(e.ctx)
	if !ok || !slices.Equal(who.Groups, []string{"g-audit", "g-tech"}) {
		t.Fatalf("signed in %v with groups %v; want only the policy's g-audit and g-tech", ok, who.Groups)
	}
	if !e.svc.policy.IsTechnician(who) || !e.svc.policy.IsAuditor(who) {
		t.Fatal("the kept groups no longer make a technician and an auditor")
	}
}

func TestGraphTokenRefreshOutcomes(t *testing.T) {
	signIn := func(t *testing.T) *serviceEnv {
		e := newServiceEnv(t)
		state, nonce := e.begin(t)
		e.answer(e.sign(t, map[string]any{"nonce": nonce}))
		if _, err := e.svc.Complete(e.ctx, url.Values{"state": {state}, "code": {"c"}}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	t.Run("fresh token is used as it is", func(t *testing.T) {
		e := signIn(t)
		before := e.grant()
		if tok, err := e.svc.GraphToken(e.ctx); err != nil || tok == "" {
			t.Fatalf("%q, %v", tok, err)
		}
		if e.grant() != before {
			t.Fatal("a fresh token was refreshed")
		}
	})
	t.Run("near expiry it is refreshed", func(t *testing.T) {
		e := signIn(t)
		first, _ := e.svc.GraphToken(e.ctx)
		e.now = e.now.Add(59 * time.Minute)
		e.answer(e.sign(t, map[string]any{"nonce": nil}))
		second, err := e.svc.GraphToken(e.ctx)
		if err != nil || second == first || e.grant() != "refresh_token" {
			t.Fatalf("token %q (was %q), grant %q, err %v", second, first, e.grant(), err)
		}
	})
	t.Run("a token Graph refused is renewed once, and only once", func(t *testing.T) {
		e := signIn(t)
		first, _ := e.svc.GraphToken(e.ctx)
		e.answer(e.sign(t, map[string]any{"nonce": nil}))
		second, err := e.svc.RenewGraphToken(e.ctx, first)
		if err != nil || second == first || e.grant() != "refresh_token" {
			t.Fatalf("renewed %q (was %q), grant %q, %v", second, first, e.grant(), err)
		}
		// A parallel request that also saw the old token refused gets the new one.
		third, err := e.svc.RenewGraphToken(e.ctx, first)
		if err != nil || third != second {
			t.Fatalf("a second renewal of the same refused token gave %q, want %q (%v)", third, second, err)
		}
	})
	t.Run("parallel requests near expiry make one refresh", func(t *testing.T) {
		e := signIn(t)
		e.now = e.now.Add(59 * time.Minute)
		e.answer(e.sign(t, map[string]any{"nonce": nil}))
		var refreshes atomic.Int64
		e.iss.ServeTokens(func(form url.Values) string {
			if form.Get("grant_type") == "refresh_token" {
				refreshes.Add(1)
				time.Sleep(100 * time.Millisecond) // a slow provider widens the race
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			return e.idToken
		})
		var wg sync.WaitGroup
		tokens := make([]string, 10)
		for i := range tokens {
			wg.Go(func() {
				tok, err := e.svc.GraphToken(e.ctx)
				if err != nil {
					t.Error(err)
				}
				tokens[i] = tok
			})
		}
		wg.Wait()
		if n := refreshes.Load(); n != 1 {
			t.Fatalf("%d refresh grants for 10 parallel requests, want 1", n)
		}
		for _, tok := range tokens[1:] {
			if tok != tokens[0] {
				t.Fatal("parallel requests got different tokens")
			}
		}
	})
	t.Run("a provider out of reach keeps the session and says so", func(t *testing.T) {
		e := signIn(t)
		e.now = e.now.Add(59 * time.Minute)
		e.rp.httpClient = &http.Client{Transport: failingTransport{}}
		_, err := e.svc.GraphToken(e.ctx)
		if err == nil || errors.Is(err, ErrReauthenticate) {
			t.Fatalf("err = %v, want an outage that is not a sign-out", err)
		}
		if _, ok := e.svc.Current(e.ctx); !ok {
			t.Fatal("an unreachable provider ended the session")
		}
	})
	t.Run("a stale writer never overwrites a fresher token", func(t *testing.T) {
		e := signIn(t)
		id := e.svc.sessions.GetString(e.ctx, keyTokenID)
		tok, version, err := e.vault.Get(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		fresher := Tokens{AccessToken: "fresher", RefreshToken: "r2", Expiry: e.now.Add(time.Hour)}
		if err := e.vault.Update(e.ctx, id, version, fresher); err != nil {
			t.Fatal(err)
		}
		stale := tok
		stale.AccessToken = "stale"
		if err := e.vault.Update(e.ctx, id, version, stale); !errors.Is(err, errTokensChanged) {
			t.Fatalf("a write at an old version: %v, want errTokensChanged", err)
		}
		if got, _, _ := e.vault.Get(e.ctx, id); got.AccessToken != "fresher" {
			t.Fatalf("token is %q after a stale write", got.AccessToken)
		}
	})
	t.Run("tokens are sealed at rest", func(t *testing.T) {
		e := signIn(t)
		id := e.svc.sessions.GetString(e.ctx, keyTokenID)
		tok, _, _ := e.vault.Get(e.ctx, id)
		var sealed []byte
		if err := e.vault.db.QueryRowContext(e.ctx, "SELECT sealed FROM graph_tokens WHERE id = ?", id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken == "" || strings.Contains(string(sealed), tok.AccessToken) || strings.Contains(string(sealed), tok.RefreshToken) {
			t.Fatal("the stored row holds the tokens in the clear")
		}
		other, _ := NewVault(e.vault.db, bytes.Repeat([]byte{1}, TokenKeySize))
		if _, _, err := other.Get(e.ctx, id); err == nil {
			t.Fatal("tokens opened with another key")
		}
	})
	t.Run("after the first read the token comes from memory, and the vault decides a refusal", func(t *testing.T) {
		e := signIn(t)
		first, err := e.svc.GraphToken(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		id := e.svc.sessions.GetString(e.ctx, keyTokenID)
		if _, err := e.vault.db.ExecContext(e.ctx, "DELETE FROM graph_tokens WHERE id = ?", id); err != nil {
			t.Fatal(err)
		}
		if again, err := e.svc.GraphToken(e.ctx); err != nil || again != first {
			t.Fatalf("second read: %q, %v; want the cached %q", again, err, first)
		}
		if _, err := e.svc.RenewGraphToken(e.ctx, first); !errors.Is(err, ErrReauthenticate) {
			t.Fatalf("renewing a refused token without its vault row: %v, want ErrReauthenticate", err)
		}
		if _, ok := e.svc.tokens.fresh(id, e.now); ok {
			t.Fatal("the ended session's token is still cached")
		}
	})
	t.Run("signing out forgets the cached token", func(t *testing.T) {
		e := signIn(t)
		if _, err := e.svc.GraphToken(e.ctx); err != nil {
			t.Fatal(err)
		}
		id := e.svc.sessions.GetString(e.ctx, keyTokenID)
		if _, err := e.svc.SignOut(e.ctx, "/login"); err != nil {
			t.Fatal(err)
		}
		if _, ok := e.svc.tokens.fresh(id, e.now); ok {
			t.Fatal("a signed-out session's token is still cached")
		}
	})
	t.Run("a refresh naming another person ends the session", func(t *testing.T) {
		e := signIn(t)
		e.now = e.now.Add(59 * time.Minute)
		e.answer(e.sign(t, map[string]any{"nonce": nil, "sub": "someone-else"}))
		if _, err := e.svc.GraphToken(e.ctx); !errors.Is(err, ErrReauthenticate) {
			t.Fatalf("err = %v, want ErrReauthenticate", err)
		}
		if _, ok := e.svc.Current(e.ctx); ok {
			t.Fatal("the session outlived a refresh for another person")
		}
	})
}

// grant is the grant_type of the token endpoint's last request.
func (e *serviceEnv) grant() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastForm.Get("grant_type")
}

// failingTransport is a network that is down.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}

func TestTokenCacheBound(t *testing.T) {
	now := time.Now()
	var c tokenCache
	for i := range maxCachedTokens - 1 {
		c.put(strconv.Itoa(i), Tokens{AccessToken: "old", Expiry: now.Add(-time.Minute)}, now)
	}
	c.put("live", Tokens{AccessToken: "live", Expiry: now.Add(time.Hour)}, now)
	c.put("new", Tokens{AccessToken: "new", Expiry: now.Add(time.Hour)}, now)
	if n := len(c.tokens); n != 2 {
		t.Fatalf("%d cached after a full cache took one more, want the 2 unexpired", n)
	}
	if tok, ok := c.fresh("live", now); !ok || tok != "live" {
		t.Fatalf("an unexpired token was dropped: %q %v", tok, ok)
	}
	if _, ok := c.fresh("live", now.Add(time.Hour)); ok {
		t.Fatal("a token served at its expiry")
	}
	for i := range maxCachedTokens {
		c.put(strconv.Itoa(i), Tokens{AccessToken: "t", Expiry: now.Add(time.Hour)}, now)
	}
	if n := len(c.tokens); n > maxCachedTokens {
		t.Fatalf("%d cached, bound %d", n, maxCachedTokens)
	}
}
