// Package auth signs technicians in through OpenID Connect, keeps their
// server-side session, and decides what they may do.
package auth

import (
	"fmt"
	"slices"
)

// Technician is the signed-in person as the identity provider described them.
type Technician struct {
	Issuer   string
	Subject  string
	ObjectID string // Entra `oid`; empty for providers that do not send it
	TenantID string // Entra `tid`
	Name     string
	Username string // UPN (`preferred_username`)
	Email    string
	Roles    []string
	Groups   []string
}

// Key identifies the person across sign-ins: Entra's `sub` is pairwise per
// application, so `oid`+`tid` is preferred when the provider sends them.
func (t Technician) Key() string {
	if t.ObjectID != "" && t.TenantID != "" {
		return "entra:" + t.TenantID + "/" + t.ObjectID
	}
	return "oidc:" + t.Issuer + "#" + t.Subject
}

// DisplayName is what the header shows.
func (t Technician) DisplayName() string {
	for _, s := range []string{t.Name, t.Username, t.Email} {
		if s != "" {
			return s
		}
	}
	return t.Subject
}

// Policy says which roles or groups make someone a technician or an auditor.
type Policy struct {
	TechnicianRoles, TechnicianGroups []string
	AuditorRoles, AuditorGroups       []string
	AllowAnyUser                      bool
}

// IsTechnician reports whether t may search and request assistance.
func (p Policy) IsTechnician(t Technician) bool {
	return p.AllowAnyUser || overlaps(t.Roles, p.TechnicianRoles) || overlaps(t.Groups, p.TechnicianGroups)
}

// IsAuditor reports whether t may read the audit trail.
func (p Policy) IsAuditor(t Technician) bool {
	return overlaps(t.Roles, p.AuditorRoles) || overlaps(t.Groups, p.AuditorGroups)
}

// Keep returns t with only the groups this policy names. An Entra ID token
// can list some 200 group ids; the session, read on every request, keeps
// the few that decide anything, and no record of the rest.
func (p Policy) Keep(t Technician) Technician {
	named := func(g string) bool {
		return slices.Contains(p.TechnicianGroups, g) || slices.Contains(p.AuditorGroups, g)
	}
	t.Groups = slices.DeleteFunc(slices.Clone(t.Groups), func(g string) bool { return !named(g) })
	return t
}

// Requirement is what a person needs to be let in: one of Roles, or
// membership of one of Groups. None of either is a role nobody can have.
type Requirement struct {
	Roles, Groups []string
}

// String is the requirement for a log line.
func (r Requirement) String() string {
	return fmt.Sprintf("roles %v or groups %v", r.Roles, r.Groups)
}

// TechnicianRequirement is what a person needs to be a technician.
func (p Policy) TechnicianRequirement() Requirement {
	return Requirement{Roles: p.TechnicianRoles, Groups: p.TechnicianGroups}
}

// AuditorRequirement is what a person needs to read the audit trail.
func (p Policy) AuditorRequirement() Requirement {
	return Requirement{Roles: p.AuditorRoles, Groups: p.AuditorGroups}
}

func overlaps(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}
