// Package devidp is an embedded OpenID Connect provider for the demo and the
// tests. It imitates the parts of Microsoft Entra ID the portal relies on:
// the oid, tid, roles and groups claims, Graph permission scopes and JWT
// access tokens for Graph, so the portal runs end to end without a tenant.
// Nobody authenticates: a picker page lets the user choose who to be.
package devidp

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

const (
	defaultGraphAudience       = "https://graph.microsoft.com"
	defaultAccessTokenLifetime = time.Hour
	pickerPath                 = "/picker"
	signedOutPath              = "/signed-out"
)

// Config describes a provider.
type Config struct {
	Issuer              string        // e.g. http://127.0.0.1:41234 (no trailing slash)
	TenantID            string        // GUID sent as `tid`
	GraphAudience       string        // extra audience on ID and access tokens; "https://graph.microsoft.com" when empty
	Clients             []Client      // at least one
	People              []Person      // at least one; shown on the picker in this order
	AccessTokenLifetime time.Duration // default 1h when zero; ID tokens live as long
}

// Provider is a configured demo OpenID provider. Serve its Handler at the
// issuer URL.
type Provider struct {
	issuer  string
	storage *storage
	op      *op.Provider
	people  []Person
	handler http.Handler
}

// New validates cfg and builds a provider with a fresh RSA-2048 signing key,
// so tokens from an earlier run never verify against a new one.
func New(cfg Config) (*Provider, error) {
	insecure, err := checkIssuer(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	if cfg.TenantID == "" {
		return nil, errors.New("devidp: tenant id is required")
	}
	if cfg.GraphAudience == "" {
		cfg.GraphAudience = defaultGraphAudience
	}
	if strings.HasSuffix(cfg.GraphAudience, "/") {
		return nil, errors.New("devidp: graph audience must not end in a slash")
	}
	switch {
	case cfg.AccessTokenLifetime < 0:
		return nil, errors.New("devidp: access token lifetime must not be negative")
	case cfg.AccessTokenLifetime == 0:
		cfg.AccessTokenLifetime = defaultAccessTokenLifetime
	}
	people, err := checkPeople(cfg.People)
	if err != nil {
		return nil, err
	}
	key, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	st := &storage{
		tenantID:        cfg.TenantID,
		graphAudience:   cfg.GraphAudience,
		graphPrefix:     cfg.GraphAudience + "/",
		accessTokenLife: cfg.AccessTokenLifetime,
		key:             key,
		people:          people,
		authRequests:    map[string]*authRequest{},
		codes:           map[string]string{},
		accessTokens:    map[string]*accessToken{},
		refreshTokens:   map[string]*refreshToken{},
		lastAccessToken: map[string]string{},
	}
	if st.clients, err = checkClients(cfg, st.graphPrefix); err != nil {
		return nil, err
	}

	opCfg := &op.Config{
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		DefaultLogoutRedirectURI: cfg.Issuer + signedOutPath,
		SupportedScopes:          []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess},
		SupportedClaims: []string{
			"iss", "sub", "aud", "exp", "iat", "nonce", "auth_time", "at_hash", "c_hash", "azp",
			"name", "preferred_username", "email", "oid", "tid", "roles", "groups", "scp",
		},
	}
	// Codes are this key's encryption of the auth request id; a per-provider
	// key keeps codes from one run or instance meaningless to another.
	rand.Read(opCfg.CryptoKey[:])
	var opts []op.Option
	if insecure {
		opts = append(opts, op.WithAllowInsecure())
	}
	provider, err := op.NewProvider(opCfg, st, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("devidp: %w", err)
	}

	p := &Provider{issuer: cfg.Issuer, storage: st, op: provider, people: slices.Clone(cfg.People)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pickerPath, p.showPicker)
	mux.HandleFunc("POST "+pickerPath, p.pick)
	mux.HandleFunc("GET "+signedOutPath, p.signedOut)
	mux.HandleFunc(provider.EndSessionEndpoint().Relative(), p.endSession)
	mux.Handle("/", provider)
	p.handler = mux
	return p, nil
}

// Handler serves discovery, JWKS, authorize, the picker page, token,
// userinfo, revocation and end_session.
func (p *Provider) Handler() http.Handler { return p.handler }

// LastAccessTokenID is the `jti` of the newest access token issued to the
// person with this object id, or "" if none.
func (p *Provider) LastAccessTokenID(objectID string) string {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	return p.storage.lastAccessToken[objectID]
}

// checkIssuer reports whether the issuer is plain http, which op only
// accepts when told to.
func checkIssuer(issuer string) (insecure bool, err error) {
	bad := fmt.Errorf("devidp: issuer must be http://127.0.0.1:PORT or https URL without path, got %q", issuer)
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return false, bad
	}
	switch {
	case u.Scheme == "https":
		return false, nil
	case u.Scheme == "http" && u.Hostname() == "127.0.0.1" && u.Port() != "":
		return true, nil
	}
	return false, bad
}

func checkClients(cfg Config, graphPrefix string) (map[string]*opClient, error) {
	if len(cfg.Clients) == 0 {
		return nil, errors.New("devidp: at least one client is required")
	}
	clients := make(map[string]*opClient, len(cfg.Clients))
	for _, c := range cfg.Clients {
		switch {
		case c.ID == "" || c.Secret == "":
			return nil, errors.New("devidp: every client needs an id and a secret")
		case clients[c.ID] != nil:
			return nil, fmt.Errorf("devidp: client %q registered twice", c.ID)
		case len(c.RedirectURIs) == 0:
			return nil, fmt.Errorf("devidp: client %q needs a redirect URI", c.ID)
		}
		for _, uri := range slices.Concat(c.RedirectURIs, c.PostLogoutRedirectURIs) {
			if u, err := url.Parse(uri); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("devidp: client %q: %q is not an absolute http(s) URL", c.ID, uri)
			}
		}
		c.RedirectURIs = slices.Clone(c.RedirectURIs)
		c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
		clients[c.ID] = &opClient{
			Client:      c,
			loginURL:    cfg.Issuer + pickerPath,
			graphPrefix: graphPrefix,
			idTokenLife: cfg.AccessTokenLifetime,
		}
	}
	return clients, nil
}

func checkPeople(people []Person) (map[string]Person, error) {
	if len(people) == 0 {
		return nil, errors.New("devidp: at least one person is required")
	}
	byID := make(map[string]Person, len(people))
	usernames := map[string]bool{}
	for _, p := range people {
		lower := strings.ToLower(p.Username)
		switch {
		case p.ObjectID == "" || p.Username == "" || p.Name == "":
			return nil, errors.New("devidp: every person needs an object id, a username and a name")
		case !strings.Contains(p.Username, "@"):
			return nil, fmt.Errorf("devidp: username %q is not a UPN", p.Username)
		case usernames[lower]:
			return nil, fmt.Errorf("devidp: username %q used twice", p.Username)
		}
		if _, dup := byID[p.ObjectID]; dup {
			return nil, fmt.Errorf("devidp: object id %q used twice", p.ObjectID)
		}
		usernames[lower] = true
		p.Roles, p.Groups = slices.Clone(p.Roles), slices.Clone(p.Groups)
		byID[p.ObjectID] = p
	}
	return byID, nil
}
