package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// refreshBefore is how long before expiry a Graph token is renewed, so a
// call never starts with a token that expires on the way.
const refreshBefore = 2 * time.Minute

// ErrReauthenticate means the session can no longer obtain a Graph token
// (no refresh token, the refresh was refused, or the identity changed):
// the technician must sign in again.
var ErrReauthenticate = errors.New("auth: sign in again to get a new Microsoft Graph token")

// GraphToken returns the session's Graph access token, refreshing it first
// when it is about to expire. When no token can be had any more the session
// ends, so that signing in again starts from a clean slate.
func (s *Service) GraphToken(ctx context.Context) (string, error) {
	tok, ok := s.sessions.Get(ctx, keyTokens).(Tokens)
	if !ok || tok.AccessToken == "" {
		return "", s.endSession(ctx, ErrReauthenticate)
	}
	if tok.Expiry.IsZero() || s.now().Add(refreshBefore).Before(tok.Expiry) {
		return tok.AccessToken, nil
	}
	if tok.RefreshToken == "" {
		return "", s.endSession(ctx, ErrReauthenticate)
	}
	current, _ := s.Current(ctx)
	refreshed, err := s.rp.Refresh(ctx, tok.RefreshToken, current)
	var refused *oauth2.RetrieveError
	switch {
	case errors.Is(err, errIdentityChanged):
		// Someone else's tokens must never continue this session.
		return "", s.endSession(ctx, ErrReauthenticate)
	case errors.As(err, &refused):
		return "", s.endSession(ctx, fmt.Errorf("%w: %v", ErrReauthenticate, err))
	case err != nil:
		// The provider could not be reached: keep the session, report the outage.
		return "", err
	}
	s.sessions.Put(ctx, keyTokens, refreshed)
	return refreshed.AccessToken, nil
}

func (s *Service) endSession(ctx context.Context, reason error) error {
	if err := s.sessions.Destroy(ctx); err != nil {
		return errors.Join(reason, err)
	}
	return reason
}

// errIdentityChanged means a refresh answered with an ID token that does
// not verify or names another person: the session cannot go on.
var errIdentityChanged = errors.New("auth: the refreshed id token does not verify or names another person")

// Refresh redeems a refresh token. When the provider sends a new ID token,
// it must pass the sign-in's checks (but nonce, which a refresh does not
// repeat) and name the same issuer and subject as the sign-in (OIDC Core 12.2).
func (rp *RelyingParty) Refresh(ctx context.Context, refreshToken string, who Technician) (Tokens, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, rp.httpClient)
	tok, err := rp.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return Tokens{}, fmt.Errorf("auth: refresh: %w", err)
	}
	if raw, ok := tok.Extra("id_token").(string); ok && raw != "" {
		idToken, err := rp.verify(ctx, raw)
		if err != nil {
			return Tokens{}, fmt.Errorf("%w: %v", errIdentityChanged, err)
		}
		if idToken.Issuer != who.Issuer || idToken.Subject != who.Subject {
			return Tokens{}, errIdentityChanged
		}
	}
	next := Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}
	if next.RefreshToken == "" {
		next.RefreshToken = refreshToken
	}
	return next, nil
}
