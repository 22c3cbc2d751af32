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
	verifier   *oidc.IDTokenVerifier
	endSession string
	httpClient *http.Client
	now        func() time.Time
}

// RelyingPartyConfig is what NewRelyingParty needs.
type RelyingPartyConfig struct {
	Issuer, ClientID, ClientSecret, RedirectURL string
	Scopes                                      []string
	// HTTPClient talks to the provider; it must have a timeout.
	HTTPClient *http.Client
}

// NewRelyingParty fetches the provider's discovery document. An issuer in the
// document that differs from the configured one is an error (go-oidc refuses
// it), which makes a mistyped or multi-tenant Entra issuer a start-up failure.
func NewRelyingParty(ctx context.Context, cfg RelyingPartyConfig) (*RelyingParty, error) {
	ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: discover %s: %w", cfg.Issuer, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&extra); err != nil {
		return nil, fmt.Errorf("auth: read discovery document: %w", err)
	}
	return &RelyingParty{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       cfg.Scopes,
		},
		verifier:   provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		endSession: extra.EndSession,
		httpClient: cfg.HTTPClient,
		now:        time.Now,
	}, nil
}

// AuthCodeURL is the provider URL that starts one sign-in.
func (rp *RelyingParty) AuthCodeURL(state, nonce, verifier string) string {
	return rp.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
}

// Tokens are the Graph tokens obtained with the sign-in.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
}

// Redeem exchanges the code, verifies the ID token (signature, issuer,
// audience, expiry via go-oidc; nonce, sub and iat here, since go-oidc leaves
// them to the caller) and returns the technician and the Graph tokens.
func (rp *RelyingParty) Redeem(ctx context.Context, code, verifier, nonce string) (Technician, Tokens, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, rp.httpClient)
	tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Technician{}, Tokens{}, fmt.Errorf("auth: redeem code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Technician{}, Tokens{}, errors.New("auth: the token response holds no id_token")
	}
	idToken, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return Technician{}, Tokens{}, fmt.Errorf("auth: verify id token: %w", err)
	}
	if idToken.Nonce != nonce {
		return Technician{}, Tokens{}, errors.New("auth: the id token's nonce does not match this sign-in")
	}
	if idToken.Subject == "" {
		return Technician{}, Tokens{}, errors.New("auth: the id token has no sub")
	}
	if idToken.IssuedAt.IsZero() || idToken.IssuedAt.After(rp.now().Add(clockSkew)) {
		return Technician{}, Tokens{}, errors.New("auth: the id token's iat is missing or in the future")
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
