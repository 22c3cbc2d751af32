package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// clockSkew is the tolerance for an `iat` slightly in the future.
const clockSkew = 5 * time.Minute

// RelyingParty is the OpenID Connect client: it builds authorization
// requests and turns a returned code into verified claims and Graph tokens.
type RelyingParty struct {
	oauth      oauth2.Config
	provider   *oidc.Provider
	verifier   *oidc.IDTokenVerifier
	endSession string
	httpClient *http.Client
	now        func() time.Time
}

// RelyingPartyConfig is what NewRelyingParty needs.
type RelyingPartyConfig struct {
	Issuer, ClientID, ClientSecret, RedirectURL string
	Scopes                                      []string
	// HTTPClient talks to the provider, key set downloads included; it is
	// required and must have a timeout.
	HTTPClient *http.Client
}

// NewRelyingParty fetches the provider's discovery document. An issuer in the
// document that differs from the configured one is an error (go-oidc refuses
// it), which makes a mistyped or multi-tenant Entra issuer a start-up failure;
// so is a document without jwks_uri, since no ID token could ever verify.
func NewRelyingParty(ctx context.Context, cfg RelyingPartyConfig) (*RelyingParty, error) {
	if cfg.HTTPClient == nil {
		return nil, errors.New("auth: the relying party needs an HTTP client")
	}
	ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: discover %s: %w", cfg.Issuer, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
		JWKSURI    string `json:"jwks_uri"`
	}
	if err := provider.Claims(&extra); err != nil {
		return nil, fmt.Errorf("auth: read discovery document: %w", err)
	}
	if extra.JWKSURI == "" {
		return nil, fmt.Errorf("auth: the discovery document of %s names no jwks_uri", cfg.Issuer)
	}
	return &RelyingParty{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       cfg.Scopes,
		},
		provider: provider,
		// RS256 only, whatever the discovery document offers: the keys are
		// RSA, and any other algorithm is a downgrade or key-confusion attempt.
		verifier: oidc.NewVerifier(cfg.Issuer, newKeySet(extra.JWKSURI, cfg.HTTPClient), &oidc.Config{
			ClientID: cfg.ClientID, SupportedSigningAlgs: []string{oidc.RS256},
		}),
		endSession: extra.EndSession,
		httpClient: cfg.HTTPClient,
		now:        time.Now,
	}, nil
}

// AuthCodeURL is the provider URL that starts one sign-in. claims, when
// set, is the JSON a claims challenge asked for (Conditional Access).
func (rp *RelyingParty) AuthCodeURL(state, nonce, verifier, claims string) string {
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if claims != "" {
		opts = append(opts, oauth2.SetAuthURLParam("claims", claims))
	}
	return rp.oauth.AuthCodeURL(state, opts...)
}

// Tokens are the Graph tokens obtained with the sign-in.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
}

// Redeem exchanges the code, verifies the ID token and its nonce, checks
// that userinfo describes the same subject, and returns the technician and
// the Graph tokens.
func (rp *RelyingParty) Redeem(ctx context.Context, code, verifier, nonce string) (Technician, Tokens, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, rp.httpClient)
	tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	var refused *oauth2.RetrieveError
	if errors.As(err, &refused) && refused.Response != nil && refused.Response.StatusCode < 500 {
		return Technician{}, Tokens{}, fmt.Errorf("%w (%s): %w", ErrCodeRefused, refused.ErrorCode, err)
	}
	if err != nil {
		return Technician{}, Tokens{}, fmt.Errorf("auth: redeem code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Technician{}, Tokens{}, errors.New("auth: the token response holds no id_token")
	}
	idToken, err := rp.verify(ctx, raw)
	if err != nil {
		return Technician{}, Tokens{}, fmt.Errorf("auth: %w", err)
	}
	if idToken.Nonce != nonce {
		return Technician{}, Tokens{}, errors.New("auth: the id token's nonce does not match this sign-in")
	}
	if err := rp.checkUserInfo(ctx, tok, idToken.Subject); err != nil {
		return Technician{}, Tokens{}, err
	}
	var claims struct {
		OID               string   `json:"oid"`
		TID               string   `json:"tid"`
		Name              string   `json:"name"`
		PreferredUsername string   `json:"preferred_username"`
		Email             string   `json:"email"`
		Roles             []string `json:"roles"`
		Groups            []string `json:"groups"`
	}
	if err := idToken.Claims(&claims); err != nil {
		return Technician{}, Tokens{}, fmt.Errorf("auth: read id token claims: %w", err)
	}
	t := Technician{
		Issuer:   idToken.Issuer,
		Subject:  idToken.Subject,
		ObjectID: claims.OID,
		TenantID: claims.TID,
		Name:     claims.Name,
		Username: claims.PreferredUsername,
		Email:    claims.Email,
		Roles:    claims.Roles,
		Groups:   claims.Groups,
	}
	return t, Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}, nil
}

// verify checks an ID token from the token endpoint: signature, issuer,
// audience and expiry through go-oidc; azp, sub and iat here, since go-oidc
// leaves them to the caller. Its errors leave the "auth:" prefix to the
// caller, which says whether this was a sign-in or a refresh.
func (rp *RelyingParty) verify(ctx context.Context, raw string) (*oidc.IDToken, error) {
	idToken, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verify id token: %w", err)
	}
	var claims struct {
		AZP string `json:"azp"`
	}
	if err := idToken.Claims(&claims); err != nil {
		return nil, fmt.Errorf("read id token claims: %w", err)
	}
	// With several audiences, azp is what says the token was issued to us
	// rather than to another audience that passed it on (OIDC Core 3.1.3.7).
	if len(idToken.Audience) > 1 && claims.AZP == "" {
		return nil, errors.New("the id token has several audiences but no azp")
	}
	if claims.AZP != "" && claims.AZP != rp.oauth.ClientID {
		return nil, fmt.Errorf("the id token's azp %q is not this client", claims.AZP)
	}
	if idToken.Subject == "" {
		return nil, errors.New("the id token has no sub")
	}
	if idToken.IssuedAt.IsZero() || idToken.IssuedAt.After(rp.now().Add(clockSkew)) {
		return nil, errors.New("the id token's iat is missing or in the future")
	}
	return idToken, nil
}

// checkUserInfo refuses a sign-in whose userinfo names another subject
// (OIDC Core 5.3.2): the access token and the ID token must be about the
// same person. A failing endpoint refuses too, since skipping the check
// whenever it fails would make the check worthless.
func (rp *RelyingParty) checkUserInfo(ctx context.Context, tok *oauth2.Token, sub string) error {
	if rp.provider.UserInfoEndpoint() == "" {
		return nil
	}
	info, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("auth: userinfo: %w", err)
	}
	if info.Subject != sub {
		return errors.New("auth: userinfo names another sub than the id token")
	}
	return nil
}

// EndSessionURL is the provider's RP-initiated logout URL, or "" when the
// provider offers none. It names the client and hints the user; it never
// carries the ID token, which would leak into logs and history.
func (rp *RelyingParty) EndSessionURL(logoutHint, postLogoutRedirect string) string {
	if rp.endSession == "" {
		return ""
	}
	u, err := url.Parse(rp.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", rp.oauth.ClientID)
	q.Set("post_logout_redirect_uri", postLogoutRedirect)
	if logoutHint != "" {
		q.Set("logout_hint", logoutHint)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
