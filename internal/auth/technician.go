// Package auth signs technicians in through OpenID Connect, keeps their
// server-side session, and decides what they may do.
package auth

import (
	"slices"
	"strings"
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

// TechnicianRequirement names, for a "not authorised" page, what a person
// needs to be a technician.
func (p Policy) TechnicianRequirement() string {
	return requirement(p.TechnicianRoles, p.TechnicianGroups)
}

// AuditorRequirement names what a person needs to read the audit trail.
func (p Policy) AuditorRequirement() string {
	if len(p.AuditorRoles) == 0 && len(p.AuditorGroups) == 0 {
		return "an auditor role, and none is configured (ASSISTDESK_AUDITOR_ROLES)"
	}
	return requirement(p.AuditorRoles, p.AuditorGroups)
}

func requirement(roles, groups []string) string {
	var parts []string
	if len(roles) > 0 {
		parts = append(parts, plural("the app role", "one of the app roles", roles))
	}
	if len(groups) > 0 {
		parts = append(parts, plural("membership of group", "membership of one of the groups", groups))
	}
	return strings.Join(parts, ", or ")
}

func plural(one, many string, values []string) string {
	if len(values) == 1 {
		return one + " " + values[0]
	}
	return many + " " + strings.Join(values, ", ")
}

func overlaps(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}
