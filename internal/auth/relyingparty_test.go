package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/testissuer"
	"github.com/go-jose/go-jose/v4"
)

const (
	testClientID = "client-1"
	testSubject  = "subject-1"
	testNonce    = "nonce-1"
	graphAud     = "https://graph.microsoft.com"
)

// rpEnv is a relying party whose provider is a test issuer; the token
// endpoint answers with whatever ID token the test set last.
type rpEnv struct {
	iss *testissuer.Issuer
	rp  *RelyingParty

	mu       sync.Mutex
	idToken  string
	lastForm url.Values
}

// newRPEnv starts the issuer and the relying party. With userinfo, the
// discovery document advertises a userinfo endpoint that names testSubject.
func newRPEnv(t *testing.T, userinfo bool) *rpEnv {
	t.Helper()
	e := &rpEnv{iss: testissuer.New(t)}
	e.iss.ServeTokens(func(form url.Values) string {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.lastForm = form
		return e.idToken
	})
	if userinfo {
		e.iss.ServeUserInfo(http.StatusOK, map[string]any{"sub": testSubject})
	}
	rp, err := NewRelyingParty(context.Background(), RelyingPartyConfig{
		Issuer: e.iss.URL(), ClientID: testClientID, ClientSecret: "s",
		RedirectURL: "http://127.0.0.1/auth/callback", Scopes: []string{"openid"},
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.rp = rp
	return e
}

// claims are a well-formed ID token for testClientID and testNonce.
func (e *rpEnv) claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": e.iss.URL(), "aud": testClientID, "sub": testSubject, "nonce": testNonce,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"oid": "00000000-0000-0000-0000-0000000000aa", "tid": "00000000-0000-0000-0000-0000000000bb",
		"name": "Tess Tech", "preferred_username": "tess@example.test", "roles": []string{"Assistdesk.Technician"},
	}
}

// sign is claims changed by edit (nil removes), signed as the provider does.
func (e *rpEnv) sign(t *testing.T, edit map[string]any) string {
	t.Helper()
	key, kid := e.iss.SigningKey()
	return testissuer.Sign(t, key, kid, e.claims(), edit)
}

// answer sets the ID token of the token endpoint's next answers.
func (e *rpEnv) answer(idToken string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.idToken = idToken
}

func (e *rpEnv) redeem(idToken, nonce string) (Technician, Tokens, error) {
	e.answer(idToken)
	return e.rp.Redeem(context.Background(), "code", "verifier", nonce)
}

func wantError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "auth: ") {
		t.Fatalf("error = %v, want an auth: error about %q", err, want)
	}
}

func TestRedeemAcceptsWellFormedIDTokens(t *testing.T) {
	e := newRPEnv(t, false)
	key, _ := e.iss.SigningKey()
	tests := []struct {
		name  string
		token func(t *testing.T) string
	}{
		{"as the provider signs it", func(t *testing.T) string { return e.sign(t, nil) }},
		// The JWKS has exactly one key, so there is no doubt which one signed.
		{"no kid", func(t *testing.T) string { return testissuer.SignAs(t, jose.RS256, key, "", e.claims()) }},
		// devidp and Entra name Graph as a second audience, with azp.
		{"two audiences and azp", func(t *testing.T) string {
			return e.sign(t, map[string]any{"aud": []string{testClientID, graphAud}, "azp": testClientID})
		}},
		{"iat within the clock skew", func(t *testing.T) string {
			return e.sign(t, map[string]any{"iat": time.Now().Add(4 * time.Minute).Unix()})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tech, tokens, err := e.redeem(tt.token(t), testNonce)
			if err != nil {
				t.Fatalf("refused a good token: %v", err)
			}
			if tech.Key() != "entra:00000000-0000-0000-0000-0000000000bb/00000000-0000-0000-0000-0000000000aa" ||
				tech.Issuer != e.iss.URL() || tech.Subject != testSubject || tech.Name != "Tess Tech" ||
				tokens.AccessToken == "" || tokens.RefreshToken == "" {
				t.Fatalf("got %+v %+v", tech, tokens)
			}
		})
	}
}

func TestUserInfoMustDescribeTheIDTokensSubject(t *testing.T) {
	tests := []struct {
		name     string
		userinfo bool
		status   int
		sub      string
		want     string // substring of the error; "" means accepted
	}{
		{"not advertised: no check", false, 0, "", ""},
		{"same sub", true, http.StatusOK, testSubject, ""},
		{"another sub", true, http.StatusOK, "subject-2", "userinfo names another sub"},
		{"no sub", true, http.StatusOK, "", "userinfo names another sub"},
		{"endpoint fails", true, http.StatusInternalServerError, testSubject, "auth: userinfo: 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newRPEnv(t, tt.userinfo)
			if tt.userinfo {
				// The issuer answers 401 to any access token but the one it
				// just issued, so success also proves which token was sent.
				e.iss.ServeUserInfo(tt.status, map[string]any{"sub": tt.sub})
			}
			_, _, err := e.redeem(e.sign(t, nil), testNonce)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantError(t, err, tt.want)
		})
	}
}

func TestRefreshKeepsTheSamePerson(t *testing.T) {
	e := newRPEnv(t, false)
	signedIn := Technician{Issuer: e.iss.URL(), Subject: testSubject}
	tests := []struct {
		name    string
		idToken func(t *testing.T) string
		who     Technician
		want    string // substring of the error; "" means accepted
	}{
		{"same person", func(t *testing.T) string { return e.sign(t, map[string]any{"nonce": nil}) }, signedIn, ""},
		{"no new id token", func(*testing.T) string { return "" }, signedIn, ""},
		{"another sub", func(t *testing.T) string { return e.sign(t, map[string]any{"sub": "subject-2"}) }, signedIn, errIdentityChanged.Error()},
		// A session from before the portal was pointed at another issuer.
		{"another issuer", func(t *testing.T) string { return e.sign(t, nil) },
			Technician{Issuer: "https://old-issuer.example", Subject: testSubject}, errIdentityChanged.Error()},
		{"unsigned", func(t *testing.T) string { return testissuer.Unsigned(t, e.claims()) }, signedIn, "verify id token"},
		{"expired", func(t *testing.T) string {
			return e.sign(t, map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})
		}, signedIn, "expired"},
		{"no sub", func(t *testing.T) string { return e.sign(t, map[string]any{"sub": nil}) }, signedIn, "no sub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.answer(tt.idToken(t))
			tokens, err := e.rp.Refresh(context.Background(), "refresh-0", tt.who)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				e.mu.Lock()
				form := e.lastForm
				e.mu.Unlock()
				if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != "refresh-0" ||
					tokens.AccessToken == "" || !strings.HasPrefix(tokens.RefreshToken, "refresh-") || tokens.RefreshToken == "refresh-0" {
					t.Fatalf("form %v gave %+v", form, tokens)
				}
				return
			}
			wantError(t, err, tt.want)
			// Every refused ID token ends the session (GraphToken checks this).
			if !errors.Is(err, errIdentityChanged) {
				t.Fatalf("errors.Is(%v, errIdentityChanged) = false", err)
			}
		})
	}
}

func TestDiscoveryProblemsStopTheStart(t *testing.T) {
	iss := testissuer.New(t)
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Issuer and key set of another tenant, served from our URL.
		w.Write([]byte(`{"issuer":"` + iss.URL() + `","jwks_uri":"` + iss.JWKSURL() + `"}`))
	}))
	t.Cleanup(foreign.Close)
	noKeys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"http://` + r.Host + `"}`))
	}))
	t.Cleanup(noKeys.Close)
	client := &http.Client{Timeout: 5 * time.Second}
	tests := []struct {
		name   string
		issuer string
		client *http.Client
		want   string
	}{
		{"trailing slash", iss.URL() + "/", client, "did not match the issuer"},
		{"document names another issuer", foreign.URL, client, "did not match the issuer"},
		{"no jwks_uri", noKeys.URL, client, "names no jwks_uri"},
		{"no discovery document", iss.URL() + "/nowhere", client, "404"},
		{"no HTTP client", iss.URL(), nil, "needs an HTTP client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRelyingParty(context.Background(), RelyingPartyConfig{
				Issuer: tt.issuer, ClientID: testClientID, HTTPClient: tt.client,
			})
			wantError(t, err, tt.want)
		})
	}
}
