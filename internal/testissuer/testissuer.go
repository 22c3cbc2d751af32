// Package testissuer is a minimal OpenID issuer for tests: a discovery
// document, a JWKS and a signing key, so a test can mint tokens with
// exactly the claims it needs (including wrong ones). A test can also make
// it answer a token endpoint and a userinfo endpoint, to play the provider
// of a relying party.
package testissuer

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is a running test issuer.
type Issuer struct {
	srv *httptest.Server

	mu        sync.Mutex
	key       *rsa.PrivateKey
	kid       string
	published []jose.JSONWebKey // verification keys besides the signing key
	jwks      int               // JWKS fetches, to see that keys are cached

	idToken  func(form url.Values) string
	issued   map[string]bool // access tokens handed out, the only ones userinfo honours
	userinfo *userinfoAnswer
}

type userinfoAnswer struct {
	status int
	claims map[string]any
}

// New starts an issuer that stops with the test.
func New(t *testing.T) *Issuer {
	t.Helper()
	iss := &Issuer{issued: map[string]bool{}}
	iss.Rotate(t, "key-1")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", iss.discovery)
	mux.HandleFunc("GET /keys", iss.keys)
	mux.HandleFunc("POST /token", iss.token)
	mux.HandleFunc("GET /userinfo", iss.userInfo)
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	return iss
}

// discovery advertises an endpoint only once the test has said how it
// answers, so a relying party can be tested with and without userinfo.
func (iss *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	doc := map[string]any{
		"issuer":                                iss.srv.URL,
		"jwks_uri":                              iss.JWKSURL(),
		"id_token_signing_alg_values_supported": []string{"RS256"},
	}
	if iss.idToken != nil {
		doc["token_endpoint"] = iss.srv.URL + "/token"
	}
	if iss.userinfo != nil {
		doc["userinfo_endpoint"] = iss.srv.URL + "/userinfo"
	}
	writeJSON(w, http.StatusOK, doc)
}

func (iss *Issuer) keys(w http.ResponseWriter, _ *http.Request) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.jwks++
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &iss.key.PublicKey, KeyID: iss.kid, Algorithm: "RS256", Use: "sig"},
	}}
	set.Keys = append(set.Keys, iss.published...)
	writeJSON(w, http.StatusOK, set)
}

func (iss *Issuer) token(w http.ResponseWriter, r *http.Request) {
	iss.mu.Lock()
	answer, key, kid := iss.idToken, iss.key, iss.kid
	iss.mu.Unlock()
	if answer == nil || r.ParseForm() != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	access, err := signAs(jose.RS256, key, kid, iss.Claims())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp := map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": 3600,
		"refresh_token": "refresh-" + rand.Text(),
	}
	if raw := answer(r.PostForm); raw != "" {
		resp["id_token"] = raw
	}
	iss.mu.Lock()
	iss.issued[access] = true
	iss.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

func (iss *Issuer) userInfo(w http.ResponseWriter, r *http.Request) {
	iss.mu.Lock()
	answer := iss.userinfo
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	known := iss.issued[token]
	iss.mu.Unlock()
	switch {
	case answer == nil:
		http.NotFound(w, r)
	case !known:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "unknown access token", http.StatusUnauthorized)
	case answer.status != http.StatusOK:
		http.Error(w, http.StatusText(answer.status), answer.status)
	default:
		writeJSON(w, http.StatusOK, answer.claims)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeTokens makes the issuer advertise and answer a token endpoint: every
// grant gets a fresh access token (Claims, signed), a refresh token, and the
// ID token idToken returns for the request's form ("" sends none).
func (iss *Issuer) ServeTokens(idToken func(form url.Values) string) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.idToken = idToken
}

// ServeUserInfo makes the issuer advertise and answer a userinfo endpoint:
// an access token from the token endpoint gets status, with claims as the
// body when status is 200; any other bearer gets 401.
func (iss *Issuer) ServeUserInfo(status int, claims map[string]any) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.userinfo = &userinfoAnswer{status: status, claims: claims}
}

// PublishKey adds a verification key to the JWKS beside the signing key, as
// a provider does before and after a rotation.
func (iss *Issuer) PublishKey(kid string, key *rsa.PublicKey) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.published = append(iss.published, jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: "RS256", Use: "sig"})
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

// SigningKey is the current signing key and its kid, for forging tokens
// the issuer itself would never sign.
func (iss *Issuer) SigningKey() (*rsa.PrivateKey, string) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return iss.key, iss.kid
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
	key, kid := iss.SigningKey()
	return Sign(t, key, kid, iss.Claims(), edit)
}

// Sign signs claims, changed by edit (a nil value removes a claim), with
// key under kid.
func Sign(t *testing.T, key *rsa.PrivateKey, kid string, claims, edit map[string]any) string {
	t.Helper()
	for k, v := range edit {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	return SignAs(t, jose.RS256, key, kid, claims)
}

// SignAs signs claims with any algorithm and key go-jose knows, with no kid
// header when kid is "": forgeries such as HS256 keyed with an RSA public key.
func SignAs(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	raw, err := signAs(alg, key, kid, claims)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// signAs returns its error rather than failing a test, because the token
// endpoint calls it outside the test's goroutine.
func signAs(alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) (string, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// Unsigned is claims as an `alg: none` JWT, which go-jose refuses to make.
func Unsigned(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
}

// JWKSURL is where the issuer publishes its keys.
func (iss *Issuer) JWKSURL() string { return iss.srv.URL + "/keys" }

// URL is the issuer identifier and base URL.
func (iss *Issuer) URL() string { return iss.srv.URL }
