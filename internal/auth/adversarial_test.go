package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/testissuer"
	"github.com/go-jose/go-jose/v4"
)

// The cases follow the OpenID Foundation's Basic and Config RP conformance
// tests: the provider answers the code with a bad ID token, and the sign-in
// must be refused with an error that says why.
func TestRedeemRefusesBadIDTokens(t *testing.T) {
	e := newRPEnv(t, false)
	key, kid := e.iss.SigningKey()
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edited := func(edit map[string]any) func(*testing.T) string {
		return func(t *testing.T) string { return e.sign(t, edit) }
	}
	tests := []struct {
		name  string
		token func(t *testing.T) string
		want  string
	}{
		{"payload changed after signing", func(t *testing.T) string { return tamper(t, e.sign(t, nil)) }, "does not verify"},
		{"signed with another key under the provider's kid", func(t *testing.T) string {
			return testissuer.Sign(t, otherKey, kid, e.claims(), nil)
		}, "does not verify"},
		{"alg none", func(t *testing.T) string { return testissuer.Unsigned(t, e.claims()) }, `unexpected signature algorithm "none"`},
		// The classic key confusion: a verifier that lets the token pick the
		// algorithm would check this HMAC with the public key as the secret.
		{"HS256 keyed with the provider's public key", func(t *testing.T) string {
			return testissuer.SignAs(t, jose.HS256, publicKeyPEM(t, &key.PublicKey), kid, e.claims())
		}, `unexpected signature algorithm "HS256"`},
		{"signed with an unknown key", func(t *testing.T) string {
			return testissuer.Sign(t, otherKey, "key-unknown", e.claims(), nil)
		}, `has no key "key-unknown"`},

		{"wrong iss", edited(map[string]any{"iss": "https://login.example/other"}), "issued by a different provider"},
		{"missing iss", edited(map[string]any{"iss": nil}), "issued by a different provider"},
		{"wrong aud", edited(map[string]any{"aud": "client-2"}), "expected audience"},
		{"missing aud", edited(map[string]any{"aud": nil}), "expected audience"},
		{"several audiences, no azp", edited(map[string]any{"aud": []string{testClientID, graphAud}}), "several audiences but no azp"},
		{"several audiences, azp another client", edited(map[string]any{
			"aud": []string{testClientID, "client-2"}, "azp": "client-2",
		}), `azp "client-2" is not this client`},
		{"one audience, azp another client", edited(map[string]any{"azp": "client-2"}), `azp "client-2" is not this client`},

		{"missing sub", edited(map[string]any{"sub": nil}), "no sub"},
		{"missing iat", edited(map[string]any{"iat": nil}), "iat is missing or in the future"},
		{"iat beyond the clock skew", edited(map[string]any{"iat": time.Now().Add(6 * time.Minute).Unix()}), "iat is missing or in the future"},
		{"expired", edited(map[string]any{"exp": time.Now().Add(-time.Minute).Unix()}), "token is expired"},
		{"missing exp", edited(map[string]any{"exp": nil}), "token is expired"},

		{"missing nonce", edited(map[string]any{"nonce": nil}), "nonce does not match"},
		{"wrong nonce", edited(map[string]any{"nonce": "someone-elses"}), "nonce does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.redeem(tt.token(t), testNonce)
			wantError(t, err, tt.want)
		})
	}
}

// An ID token is good for the sign-in whose nonce it carries: replayed into
// a later sign-in it must be refused.
func TestRedeemRefusesAReplayedIDToken(t *testing.T) {
	e := newRPEnv(t, false)
	idToken := e.sign(t, nil)
	if _, _, err := e.redeem(idToken, testNonce); err != nil {
		t.Fatalf("first use refused: %v", err)
	}
	_, _, err := e.redeem(idToken, "nonce-2")
	wantError(t, err, "nonce does not match")
}

// tamper swaps the payload of a signed JWT for one naming another subject,
// keeping header and signature.
func tamper(t *testing.T, raw string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["sub"] = "someone-else"
	if payload, err = json.Marshal(claims); err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// publicKeyPEM is the public key as an attacker downloads it from the JWKS
// and feeds it to a naive HMAC verifier.
func publicKeyPEM(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
