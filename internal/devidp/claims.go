package devidp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

var _ op.CanSetUserinfoFromRequest = (*storage)(nil)

// SetUserinfoFromScopes is left empty as op asks: the ID token claims are set
// in SetUserinfoFromRequest, which op calls right after it.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token. Besides the standard claims it
// adds the Entra ID claims the portal authorizes on (oid, tid, roles,
// groups); op merges userinfo.Claims into the ID token.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	p, ok := s.people[req.GetSubject()]
	if !ok {
		return errors.New("devidp: unknown subject")
	}
	s.setStandardClaims(info, p, scopes)
	for k, v := range s.directoryClaims(p) {
		info.AppendClaims(k, v)
	}
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint for an access token we
// issued and have not revoked.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	at, ok := s.accessTokens[tokenID]
	s.mu.Unlock()
	if !ok || at.subject != subject || time.Now().After(at.expires) {
		return errors.New("devidp: access token unknown, revoked or expired")
	}
	p, ok := s.people[subject]
	if !ok {
		return errors.New("devidp: unknown subject")
	}
	s.setStandardClaims(info, p, at.scopes)
	info.AppendClaims("oid", p.ObjectID)
	info.AppendClaims("tid", s.tenantID)
	return nil
}

// SetIntrospectionFromToken refuses, which op reports as an inactive token:
// the portal validates the JWT access tokens itself.
func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("devidp: token introspection is not supported")
}

// GetPrivateClaimsFromScopes adds the claims of a JWT access token. op has
// already removed the profile and email scopes here, so name and
// preferred_username are added regardless, as Entra ID does in Graph tokens.
func (s *storage) GetPrivateClaimsFromScopes(_ context.Context, userID, _ string, scopes []string) (map[string]any, error) {
	p, ok := s.people[userID]
	if !ok {
		return nil, errors.New("devidp: unknown subject")
	}
	claims := s.directoryClaims(p)
	claims["name"] = p.Name
	claims["preferred_username"] = p.Username
	var perms []string
	for _, scope := range scopes {
		if isGraphScope(scope, s.graphPrefix) {
			perms = append(perms, strings.TrimPrefix(scope, s.graphPrefix))
		}
	}
	if len(perms) > 0 {
		claims["scp"] = strings.Join(perms, " ")
	}
	return claims, nil
}

func (s *storage) setStandardClaims(info *oidc.UserInfo, p Person, scopes []string) {
	info.Subject = p.ObjectID
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = p.Name
		info.PreferredUsername = p.Username
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = p.Email
	}
}

// directoryClaims are the claims Entra ID puts in both ID and access tokens.
// Empty lists are left out, as Entra ID does.
func (s *storage) directoryClaims(p Person) map[string]any {
	claims := map[string]any{
		"oid": p.ObjectID,
		"tid": s.tenantID,
	}
	if len(p.Roles) > 0 {
		claims["roles"] = slices.Clone(p.Roles)
	}
	if len(p.Groups) > 0 {
		claims["groups"] = slices.Clone(p.Groups)
	}
	return claims
}
