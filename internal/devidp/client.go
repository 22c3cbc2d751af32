package devidp

import (
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Client is a registered relying party.
type Client struct {
	ID, Secret             string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
}

// opClient presents a registered Client to the op package as a confidential
// web application that uses the code flow and gets JWT access tokens.
type opClient struct {
	Client
	loginURL    string // the picker page; the request id is appended
	graphPrefix string // scopes with this prefix are Graph permissions
	idTokenLife time.Duration
}

var _ op.Client = (*opClient)(nil)

func (c *opClient) GetID() string                    { return c.ID }
func (c *opClient) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c *opClient) PostLogoutRedirectURIs() []string { return c.Client.PostLogoutRedirectURIs }
func (c *opClient) ApplicationType() op.ApplicationType {
	return op.ApplicationTypeWeb
}

// AuthMethod names client_secret_basic, but the op package accepts the secret
// in the form body as well because the provider enables AuthMethodPost.
func (c *opClient) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodBasic }

func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *opClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

func (c *opClient) LoginURL(authRequestID string) string {
	return c.loginURL + "?authRequestID=" + url.QueryEscape(authRequestID)
}

// AccessTokenType is JWT because the portal reads `scp` and `roles` from the
// access token the way it would from an Entra ID token for Graph.
func (c *opClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }

func (c *opClient) IDTokenLifetime() time.Duration { return c.idTokenLife }

// DevMode stays off: http redirect URIs are already allowed for confidential
// code-flow clients, and dev mode would also relax other checks.
func (c *opClient) DevMode() bool { return false }

func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

// IsScopeAllowed admits the Graph permission scopes; without it the op
// package silently drops every scope that is not a standard OIDC one.
func (c *opClient) IsScopeAllowed(scope string) bool {
	return isGraphScope(scope, c.graphPrefix)
}

// IDTokenUserinfoClaimsAssertion is true so the ID token carries name,
// preferred_username and email even though an access token is issued too;
// otherwise op strips the profile and email scopes before building it.
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *opClient) ClockSkew() time.Duration { return 0 }

func isGraphScope(scope, prefix string) bool {
	return strings.HasPrefix(scope, prefix) && len(scope) > len(prefix)
}
