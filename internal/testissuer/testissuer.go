// Package testissuer is a minimal OpenID issuer for tests: a discovery
// document, a JWKS and a signing key, so a test can mint tokens with
// exactly the claims it needs (including wrong ones).
package testissuer

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is a running test issuer.
type Issuer struct {
	srv *httptest.Server

	mu   sync.Mutex
	key  *rsa.PrivateKey
	kid  string
	jwks int // JWKS fetches, to see that keys are cached
}

// New starts an issuer that stops with the test.
func New(t *testing.T) *Issuer {
	t.Helper()
	iss := &Issuer{}
	iss.Rotate(t, "key-1")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]string{"issuer": iss.srv.URL, "jwks_uri": iss.srv.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		iss.mu.Lock()
		defer iss.mu.Unlock()
		iss.jwks++
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &iss.key.PublicKey, KeyID: iss.kid, Algorithm: "RS256", Use: "sig"},
		}})
	})
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	return iss
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Rotate replaces the signing key, as an identity provider does.
func (iss *Issuer) Rotate(t *testing.T, kid string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.key, iss.kid = key, kid
}

// Fetches counts the JWKS downloads, to see that keys are cached.
func (iss *Issuer) Fetches() int {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return iss.jwks
}

// AllScopes is what the portal asks for.
const AllScopes = "User.ReadBasic.All DeviceManagementManagedDevices.ReadWrite.All DeviceManagementConfiguration.Read.All"

// Claims are a technician's Graph access token, valid for an hour.
func (iss *Issuer) Claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": iss.srv.URL, "aud": "https://graph.microsoft.com", "sub": "pairwise-sub",
		"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
		"scp": AllScopes, "oid": "11111111-2222-3333-4444-555555555555", "jti": rand.Text(),
	}
}

// Token mints a token from Claims() changed by edit; a nil value removes a
// claim.
func (iss *Issuer) Token(t *testing.T, edit map[string]any) string {
	t.Helper()
	iss.mu.Lock()
	key, kid := iss.key, iss.kid
	iss.mu.Unlock()
	return Sign(t, key, kid, iss.Claims(), edit)
}

// Sign signs claims, changed by edit, with key under kid.
func Sign(t *testing.T, key *rsa.PrivateKey, kid string, claims, edit map[string]any) string {
	t.Helper()
	for k, v := range edit {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// URL is the issuer identifier and base URL.
func (iss *Issuer) URL() string { return iss.srv.URL }
