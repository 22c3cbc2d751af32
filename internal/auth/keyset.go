package auth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	// refetchEvery bounds how often one unknown kid may send us to the
	// provider: go-oidc's RemoteKeySet refetches on every unknown kid, so a
	// flood of tokens naming a bogus kid would hammer the provider.
	refetchEvery = 30 * time.Second
	// maxUnknownKids bounds the kids remembered within refetchEvery, so that
	// ever-new bogus kids can neither grow memory nor multiply the fetches.
	maxUnknownKids = 100
	// maxJWKSBytes is far above any real key set (Entra's is about 10 KiB).
	maxJWKSBytes = 1 << 20
)

// keySet is the provider's signing keys as an oidc.KeySet. It accepts RS256
// only, whatever the token or the key set claims, which shuts out `alg:
// none` and HMAC keyed with the public key; and it refetches the JWKS when
// a token names a kid it does not know, as key rotation requires, but
// rate-limited per kid. Its errors reach the user wrapped by go-oidc and
// then by the relying party, which adds the "auth:" prefix.
type keySet struct {
	jwksURL string
	client  *http.Client
	now     func() time.Time

	mu       sync.Mutex
	keys     []jose.JSONWebKey
	tried    map[string]time.Time // unknown kid → when it last caused a fetch
	inflight *keysFetch
}

// keysFetch lets concurrent sign-ins that meet a new kid share one fetch.
type keysFetch struct {
	done chan struct{}
	err  error
}

func newKeySet(jwksURL string, client *http.Client) *keySet {
	return &keySet{jwksURL: jwksURL, client: client, now: time.Now, tried: map[string]time.Time{}}
}

// VerifySignature implements oidc.KeySet: it returns the payload of a
// compact RS256 JWS signed by one of the provider's keys.
func (ks *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("the id token is not an RS256 JWS: %w", err)
	}
	kid := jws.Signatures[0].Header.KeyID
	key, err := ks.key(ctx, kid)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("the id token's signature does not verify with key %q: %w", kid, err)
	}
	return payload, nil
}

// key finds the key for kid, fetching the JWKS again when the kid is new
// and has not caused a fetch within refetchEvery.
func (ks *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	ks.mu.Lock()
	if key, err := ks.find(kid); err == nil {
		ks.mu.Unlock()
		return key, nil
	}
	f := ks.inflight
	if f == nil {
		if !ks.mayFetch(kid) {
			ks.mu.Unlock()
			return nil, fmt.Errorf("the provider's key set has no key %q (looked again less than %s ago)", kid, refetchEvery)
		}
		f = &keysFetch{done: make(chan struct{})}
		ks.inflight = f
		// Detached, so one caller giving up does not fail the others; the
		// client's timeout bounds it.
		go ks.fetch(context.WithoutCancel(ctx), f)
	}
	ks.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.done:
	}
	if f.err != nil {
		return nil, f.err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.find(kid)
}

// find requires ks.mu. A token without kid is accepted only when the set
// holds a single key: with more, there is no telling which one was meant.
func (ks *keySet) find(kid string) (*rsa.PublicKey, error) {
	if kid == "" {
		if len(ks.keys) == 1 {
			return ks.keys[0].Key.(*rsa.PublicKey), nil
		}
		return nil, fmt.Errorf("the id token names no kid and the provider publishes %d keys", len(ks.keys))
	}
	for _, k := range ks.keys {
		if k.KeyID == kid {
			return k.Key.(*rsa.PublicKey), nil
		}
	}
	return nil, fmt.Errorf("the provider's key set has no key %q", kid)
}

// mayFetch requires ks.mu; when it says yes it records the attempt.
func (ks *keySet) mayFetch(kid string) bool {
	now := ks.now()
	for k, at := range ks.tried {
		if now.Sub(at) >= refetchEvery {
			delete(ks.tried, k)
		}
	}
	if _, recent := ks.tried[kid]; recent || len(ks.tried) >= maxUnknownKids {
		return false
	}
	ks.tried[kid] = now
	return true
}

func (ks *keySet) fetch(ctx context.Context, f *keysFetch) {
	keys, err := ks.download(ctx)
	ks.mu.Lock()
	if err == nil {
		ks.keys = keys
	}
	ks.inflight = nil
	ks.mu.Unlock()
	f.err = err
	close(f.done)
}

// download keeps only RSA signing keys: anything else in the set could
// never verify an RS256 token, and ignoring it (RFC 7517 §5) keeps one
// exotic key from making the whole set unusable.
func (ks *keySet) download(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ks.jwksURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch the provider's key set: %w", err)
	}
	resp, err := ks.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch the provider's key set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch the provider's key set: %s", resp.Status)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSBytes)).Decode(&set); err != nil {
		return nil, fmt.Errorf("read the provider's key set: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if json.Unmarshal(raw, &k) != nil {
			continue
		}
		if _, isRSA := k.Key.(*rsa.PublicKey); !isRSA || (k.Use != "" && k.Use != "sig") ||
			(k.Algorithm != "" && k.Algorithm != string(jose.RS256)) {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("the provider's key set holds no RS256 signing key")
	}
	return keys, nil
}
