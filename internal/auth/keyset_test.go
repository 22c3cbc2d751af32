package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/testissuer"
	"github.com/go-jose/go-jose/v4"
)

func TestKeyRotationRefetchesOnceThenAccepts(t *testing.T) {
	e := newRPEnv(t, false)
	if _, _, err := e.redeem(e.sign(t, nil), testNonce); err != nil {
		t.Fatal(err)
	}
	e.iss.Rotate(t, "key-2")
	for range 3 {
		if _, _, err := e.redeem(e.sign(t, nil), testNonce); err != nil {
			t.Fatalf("token under the new kid refused: %v", err)
		}
	}
	if n := e.iss.Fetches(); n != 2 {
		t.Fatalf("JWKS fetched %d times for one rotation, want 2", n)
	}
}

func TestBogusKidCannotHammerTheProvider(t *testing.T) {
	e := newRPEnv(t, false)
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		_, _, err := e.redeem(testissuer.Sign(t, stranger, "key-bogus", e.claims(), nil), testNonce)
		wantError(t, err, `has no key "key-bogus"`)
	}
	if n := e.iss.Fetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times for one bogus kid, want 1", n)
	}
}

// keySetEnv is a key set on a clock the test moves.
type keySetEnv struct {
	iss      *testissuer.Issuer
	ks       *keySet
	now      time.Time
	stranger *rsa.PrivateKey
}

func newKeySetEnv(t *testing.T, client *http.Client) *keySetEnv {
	t.Helper()
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := &keySetEnv{iss: testissuer.New(t), now: time.Unix(1_700_000_000, 0), stranger: stranger}
	e.ks = newKeySet(e.iss.JWKSURL(), client)
	e.ks.now = func() time.Time { return e.now }
	return e
}

// bogus verifies a token under a kid the provider never published and
// returns how many JWKS fetches that took.
func (e *keySetEnv) bogus(t *testing.T, kid string) int {
	t.Helper()
	before := e.iss.Fetches()
	raw := testissuer.Sign(t, e.stranger, kid, e.iss.Claims(), nil)
	if _, err := e.ks.VerifySignature(context.Background(), raw); err == nil {
		t.Fatalf("kid %q accepted", kid)
	}
	return e.iss.Fetches() - before
}

func TestUnknownKidRefetchesAtMostEvery30s(t *testing.T) {
	e := newKeySetEnv(t, &http.Client{Timeout: 5 * time.Second})
	steps := []struct {
		advance time.Duration
		kid     string
		fetches int
	}{
		{0, "bogus-1", 1},
		{0, "bogus-1", 0},
		{29 * time.Second, "bogus-1", 0},
		{time.Second, "bogus-1", 1},
		{0, "bogus-2", 1}, // the limit is per kid
		{0, "bogus-2", 0},
	}
	for i, s := range steps {
		e.now = e.now.Add(s.advance)
		if got := e.bogus(t, s.kid); got != s.fetches {
			t.Fatalf("step %d (%s after +%s): %d fetches, want %d", i, s.kid, s.advance, got, s.fetches)
		}
	}
}

func TestEverNewBogusKidsAreCapped(t *testing.T) {
	e := newKeySetEnv(t, &http.Client{Timeout: 5 * time.Second})
	for i := range maxUnknownKids {
		e.bogus(t, fmt.Sprintf("bogus-%d", i))
	}
	if got := e.bogus(t, "one-too-many"); got != 0 {
		t.Fatalf("kid beyond the cap fetched %d times, want 0", got)
	}
	e.now = e.now.Add(refetchEvery)
	if got := e.bogus(t, "one-too-many"); got != 1 {
		t.Fatalf("once the window passed: %d fetches, want 1", got)
	}
}

// slowTransport holds every request long enough for concurrent sign-ins
// to pile up behind the first fetch.
type slowTransport struct{}

func (slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(100 * time.Millisecond)
	return http.DefaultTransport.RoundTrip(r)
}

func TestConcurrentSignInsShareOneFetch(t *testing.T) {
	e := newKeySetEnv(t, &http.Client{Timeout: 5 * time.Second, Transport: slowTransport{}})
	raw := e.iss.Token(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := e.ks.VerifySignature(context.Background(), raw); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := e.iss.Fetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
}

func TestTokenWithoutKidNeedsASingleKey(t *testing.T) {
	e := newKeySetEnv(t, &http.Client{Timeout: 5 * time.Second})
	e.iss.PublishKey("key-next", &e.stranger.PublicKey)
	key, _ := e.iss.SigningKey()
	raw := testissuer.SignAs(t, jose.RS256, key, "", e.iss.Claims())
	_, err := e.ks.VerifySignature(context.Background(), raw)
	if err == nil || err.Error() != "the id token names no kid and the provider publishes 2 keys" {
		t.Fatalf("error = %v", err)
	}
}

// An encryption key, or a key of another type, is never a signing key,
// whatever kid a token names.
func TestKeySetUsesOnlyRSASigningKeys(t *testing.T) {
	sig, _ := rsa.GenerateKey(rand.Reader, 2048)
	enc, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &sig.PublicKey, KeyID: "sig", Use: "sig"},
		{Key: &enc.PublicKey, KeyID: "enc", Use: "enc"},
		{Key: &ec.PublicKey, KeyID: "ec", Algorithm: "ES256"},
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	ks := newKeySet(srv.URL, &http.Client{Timeout: 5 * time.Second})
	claims := map[string]any{"sub": "x"}
	if _, err := ks.VerifySignature(context.Background(), testissuer.Sign(t, sig, "sig", claims, nil)); err != nil {
		t.Fatalf("signing key refused: %v", err)
	}
	_, err := ks.VerifySignature(context.Background(), testissuer.Sign(t, enc, "enc", claims, nil))
	if err == nil || err.Error() != `the provider's key set has no key "enc"` {
		t.Fatalf("encryption key: error = %v", err)
	}
}

// The key set refuses other algorithms itself rather than relying on the
// verifier's configuration: it is the layer that holds the keys.
func TestKeySetAcceptsRS256Only(t *testing.T) {
	e := newKeySetEnv(t, &http.Client{Timeout: 5 * time.Second})
	key, kid := e.iss.SigningKey()
	for name, raw := range map[string]string{
		"none":  testissuer.Unsigned(t, e.iss.Claims()),
		"HS256": testissuer.SignAs(t, jose.HS256, publicKeyPEM(t, &key.PublicKey), kid, e.iss.Claims()),
	} {
		_, err := e.ks.VerifySignature(context.Background(), raw)
		if err == nil || !strings.HasPrefix(err.Error(), "the id token is not an RS256 JWS") {
			t.Errorf("%s: error = %v", name, err)
		}
	}
	if n := e.iss.Fetches(); n != 0 {
		t.Errorf("a token refused on its header fetched the JWKS %d times", n)
	}
}
