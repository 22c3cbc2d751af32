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
	return s.graphToken(ctx, "")
}

// RenewGraphToken refreshes the token Graph has just refused as invalid
// (401 InvalidAuthenticationToken), unless a parallel request already
// replaced it, and returns the new one.
func (s *Service) RenewGraphToken(ctx context.Context, refused string) (string, error) {
	return s.graphToken(ctx, refused)
}

// graphToken returns a token to use; a non-empty refused token is known to
// be bad, so it is refreshed even before its expiry.
func (s *Service) graphToken(ctx context.Context, refused string) (string, error) {
	id := s.sessions.GetString(ctx, keyTokenID)
	if id == "" {
		return "", s.endSession(ctx, ErrReauthenticate)
	}
	if refused == "" {
		if access, ok := s.tokens.fresh(id, s.now().Add(refreshBefore)); ok {
			return access, nil
		}
	}
	tok, version, err := s.vault.Get(ctx, id)
	if errors.Is(err, ErrReauthenticate) {
		return "", s.endSession(ctx, err)
	}
	if err != nil {
		return "", err
	}
	fresh := tok.Expiry.IsZero() || s.now().Add(refreshBefore).Before(tok.Expiry)
	if fresh && (refused == "" || tok.AccessToken != refused) {
		s.tokens.put(id, tok, s.now())
		return tok.AccessToken, nil
	}
	if tok.RefreshToken == "" {
		return "", s.endSession(ctx, ErrReauthenticate)
	}
	// One refresh at a time per session, across instances: the others wait
	// for its result rather than spend the same refresh token.
	leased, err := s.vault.Lease(ctx, id, version, s.now().Add(refreshLease))
	if err != nil {
		return "", err
	}
	if !leased {
		return s.awaitRefresh(ctx, id, version)
	}
	current, _ := s.Current(ctx)
	refreshed, err := s.rp.Refresh(ctx, tok.RefreshToken, current)
	var grantRefused *oauth2.RetrieveError
	switch {
	case errors.Is(err, errIdentityChanged):
		// Someone else's tokens must never continue this session.
		return "", s.endSession(ctx, ErrReauthenticate)
	case errors.As(err, &grantRefused):
		// A parallel request may have spent the refresh token a moment ago.
		if latest, v, getErr := s.vault.Get(ctx, id); getErr == nil && v != version {
			return latest.AccessToken, nil
		}
		return "", s.endSession(ctx, fmt.Errorf("%w: %v", ErrReauthenticate, err))
	case err != nil:
		// The provider could not be reached: keep the session, report the outage.
		s.vault.Release(ctx, id)
		return "", err
	}
	switch err := s.vault.Update(ctx, id, version, refreshed); {
	case errors.Is(err, errTokensChanged):
		// A parallel request refreshed first; its tokens are the current ones.
		latest, _, err := s.vault.Get(ctx, id)
		if err != nil {
			return "", err
		}
		return latest.AccessToken, nil
	case err != nil:
		return "", err
	}
	s.tokens.put(id, refreshed, s.now())
	return refreshed.AccessToken, nil
}

// refreshLease bounds how long one request may hold the refresh: longer
// than a token endpoint call takes, short enough that a crashed holder
// does not stall the session.
const refreshLease = 15 * time.Second

// awaitRefresh waits for the request holding the lease to store new tokens.
func (s *Service) awaitRefresh(ctx context.Context, id string, version int64) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, refreshLease)
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("auth: waiting for another request to refresh the Graph token: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		tok, v, err := s.vault.Get(ctx, id)
		if err != nil {
			return "", err
		}
		if v != version {
			return tok.AccessToken, nil
		}
	}
}

func (s *Service) endSession(ctx context.Context, reason error) error {
	if id := s.sessions.GetString(ctx, keyTokenID); id != "" {
		s.tokens.forget(id)
		_ = s.vault.Delete(ctx, id)
	}
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
