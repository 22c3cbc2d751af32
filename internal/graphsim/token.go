package graphsim

import (
	"cmp"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// clockLeeway forgives small clock differences between issuer and simulator,
// as Graph does.
const clockLeeway = time.Minute

// token is what a verified bearer token grants.
type token struct {
	id, oid string
	app     string // the client application; Intune's limits are per app
	scopes  []string
}

func (t token) has(anyOf ...string) bool {
	return slices.ContainsFunc(anyOf, func(s string) bool { return slices.Contains(t.scopes, s) })
}

type accessClaims struct {
	jwt.Claims
	Scope string `json:"scp"`
	OID   string `json:"oid"`
	AppID string `json:"appid"` // v1.0 access tokens
	AZP   string `json:"azp"`   // v2.0 access tokens
}

func invalidToken(message string) *apiError {
	return &apiError{http.StatusUnauthorized, codeInvalidToken, message}
}

// authenticate verifies the bearer token the way Graph does before it even
// looks at the path.
func (s *Server) authenticate(r *http.Request) (token, *apiError) {
	scheme, raw, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	raw = strings.TrimSpace(raw)
	if !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return token{}, invalidToken("Access token is empty.")
	}
	parsed, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return token{}, invalidToken("Invalid JWT token. The token is not in JWS format.")
	}
	key, err := s.keys.key(r.Context(), parsed.Headers[0].KeyID)
	if err != nil {
		return token{}, invalidToken("Access token validation failure.")
	}
	var claims accessClaims
	if err := parsed.Claims(key, &claims); err != nil {
		return token{}, invalidToken("Access token validation failure. Invalid signature.")
	}
	err = claims.ValidateWithLeeway(jwt.Expected{Time: time.Now()}, clockLeeway)
	if err != nil || claims.Expiry == nil {
		return token{}, invalidToken("Access token has expired or is not yet valid.")
	}
	if !claims.Audience.Contains(s.audience) {
		return token{}, invalidToken("Invalid audience.")
	}
	if claims.Issuer != s.issuer {
		return token{}, invalidToken("Access token validation failure. Invalid issuer.")
	}
	// An ID token carries the right audience in the demo but grants nothing:
	// only an access token has scp.
	scopes := strings.Fields(claims.Scope)
	if len(scopes) == 0 {
		return token{}, invalidToken("Access token validation failure.")
	}
	return token{id: claims.ID, oid: claims.OID, app: cmp.Or(claims.AppID, claims.AZP), scopes: scopes}, nil
}

// keySource finds the issuer's signing keys. Discovery happens on first use
// so the simulator can start before the issuer; an unknown kid causes one
// re-fetch, which is how a key rotation is picked up.
type keySource struct {
	issuer string
	client *http.Client

	mu      sync.Mutex
	jwksURI string
	keys    jose.JSONWebKeySet
}

func (k *keySource) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key := k.lookup(kid); key != nil {
		return key, nil
	}
	if err := k.refresh(ctx); err != nil {
		return nil, err
	}
	if key := k.lookup(kid); key != nil {
		return key, nil
	}
	return nil, fmt.Errorf("graphsim: no signing key %q", kid)
}

func (k *keySource) lookup(kid string) *rsa.PublicKey {
	for _, jwk := range k.keys.Keys {
		pub, ok := jwk.Key.(*rsa.PublicKey)
		if ok && jwk.KeyID == kid && (jwk.Use == "" || jwk.Use == "sig") {
			return pub
		}
	}
	return nil
}

func (k *keySource) refresh(ctx context.Context) error {
	if k.jwksURI == "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := k.get(ctx, k.issuer+"/.well-known/openid-configuration", &doc); err != nil {
			return err
		}
		if doc.Issuer != k.issuer || doc.JWKSURI == "" {
			return fmt.Errorf("graphsim: discovery document of %s names issuer %q and jwks_uri %q", k.issuer, doc.Issuer, doc.JWKSURI)
		}
		k.jwksURI = doc.JWKSURI
	}
	var set jose.JSONWebKeySet
	if err := k.get(ctx, k.jwksURI, &set); err != nil {
		return err
	}
	k.keys = set
	return nil
}

func (k *keySource) get(ctx context.Context, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("graphsim: fetch %s: %w", url, err)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("graphsim: fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("graphsim: fetch %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("graphsim: fetch %s: %w", url, err)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("graphsim: decode %s: %w", url, err)
	}
	return nil
}
