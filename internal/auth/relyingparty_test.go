package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// mintingProvider is a minimal OpenID provider whose token endpoint answers
// with whatever ID token claims the test sets, signed with its own key.
type mintingProvider struct {
	*httptest.Server
	key    *rsa.PrivateKey
	claims map[string]any
}

func newMintingProvider(t *testing.T) *mintingProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &mintingProvider{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                p.URL,
			"authorization_endpoint":                p.URL + "/authorize",
			"token_endpoint":                        p.URL + "/token",
			"jwks_uri":                              p.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"},
		}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
			(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		if err != nil {
			t.Error(err)
			return
		}
		idToken, err := jwt.Signed(signer).Claims(p.claims).Serialize()
		if err != nil {
			t.Error(err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"access_token": "graph-access", "refresh_token": "graph-refresh",
			"token_type": "Bearer", "expires_in": 3600, "id_token": idToken,
		})
	})
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

func (p *mintingProvider) goodClaims(nonce string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": p.URL, "aud": "client-1", "sub": "subject-1", "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"oid": "00000000-0000-0000-0000-0000000000aa", "tid": "00000000-0000-0000-0000-0000000000bb",
		"name": "Tess Tech", "preferred_username": "tess@example.test", "roles": []string{"Assistdesk.Technician"},
	}
}

func TestRedeemChecksWhatGoOIDCLeavesToTheCaller(t *testing.T) {
	p := newMintingProvider(t)
	rp, err := NewRelyingParty(context.Background(), RelyingPartyConfig{
		Issuer: p.URL, ClientID: "client-1", ClientSecret: "s", RedirectURL: "http://127.0.0.1/auth/callback",
		Scopes: []string{"openid"}, HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		want   string // substring of the error; "" means accepted
	}{
		{"good", func(map[string]any) {}, ""},
		{"wrong nonce", func(c map[string]any) { c["nonce"] = "someone-elses" }, "nonce"},
		{"missing nonce", func(c map[string]any) { delete(c, "nonce") }, "nonce"},
		{"missing sub", func(c map[string]any) { delete(c, "sub") }, "sub"},
		{"missing iat", func(c map[string]any) { delete(c, "iat") }, "iat"},
		{"future iat", func(c map[string]any) { c["iat"] = time.Now().Add(time.Hour).Unix() }, "iat"},
		{"wrong audience", func(c map[string]any) { c["aud"] = "client-2" }, "audience"},
		{"expired", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.claims = p.goodClaims("nonce-1")
			tt.change(p.claims)
			tech, tokens, err := rp.Redeem(context.Background(), "code", "verifier", "nonce-1")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused a good token: %v", err)
				}
				if tech.Key() != "entra:00000000-0000-0000-0000-0000000000bb/00000000-0000-0000-0000-0000000000aa" ||
					tech.Name != "Tess Tech" || tokens.AccessToken != "graph-access" || tokens.RefreshToken != "graph-refresh" {
					t.Fatalf("got %+v %+v", tech, tokens)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one about %q", err, tt.want)
			}
		})
	}
}

func TestDiscoveryWithForeignIssuerFailsAtStart(t *testing.T) {
	p := newMintingProvider(t)
	_, err := NewRelyingParty(context.Background(), RelyingPartyConfig{
		Issuer: p.URL + "/", ClientID: "client-1", HTTPClient: &http.Client{Timeout: 5 * time.Second},
	})
	if err == nil || !strings.Contains(err.Error(), "issuer") {
		t.Fatalf("error = %v, want an issuer mismatch", err)
	}
}
