package devidp

// App role values, as they appear in the `roles` claim.
const (
	// RoleTechnician lets a person search devices and request assistance.
	RoleTechnician = "Assistdesk.Technician"
	// RoleAuditor lets a person read the audit trail.
	RoleAuditor = "Assistdesk.Auditor"
)

// Person is someone who can sign in at the provider's picker page.
type Person struct {
	ObjectID    string   // GUID; sent as the `oid` claim and used as `sub`
	Username    string   // UPN, sent as `preferred_username`
	Name        string   // `name`
	Email       string   // `email`
	Roles       []string // `roles` claim (app roles)
	Groups      []string // `groups` claim (group object ids)
	Description string   // one line shown on the picker, e.g. "Helpdesk technician"
}

// DemoTenantID returns the fixed directory (tenant) id of the demo people,
// sent as the `tid` claim.
func DemoTenantID() string {
	return "5f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b"
}

// DemoPeople returns the fixed people of the demo tenant, one per kind of
// access the portal distinguishes. Their ids never change, so audit entries
// written in one demo run still name the same person in the next.
func DemoPeople() []Person {
	return []Person{
		{
			ObjectID:    "0c6a1f52-7d3e-4b8a-9f21-3e5d7a9b1c01",
			Username:    "harper@contoso.example",
			Name:        "Harper Helpdesk",
			Email:       "harper@contoso.example",
			Roles:       []string{RoleTechnician},
			Description: "Helpdesk technician: can search and request assistance",
		},
		{
			ObjectID:    "1d7b2a63-8e4f-4c9b-8a32-4f6e8b0c2d02",
			Username:    "lee@contoso.example",
			Name:        "Lee Lead",
			Email:       "lee@contoso.example",
			Roles:       []string{RoleTechnician, RoleAuditor},
			Description: "Helpdesk lead: technician and auditor",
		},
		{
			ObjectID:    "2e8c3b74-9f5a-4dac-9b43-5a7f9c1d3e03",
			Username:    "avery@contoso.example",
			Name:        "Avery Auditor",
			Email:       "avery@contoso.example",
			Roles:       []string{RoleAuditor},
			Description: "Auditor: reads the audit trail, no assistance",
		},
		{
			ObjectID:    "3f9d4c85-a06b-4ebd-8c54-6b8a0d2e4f04",
			Username:    "sam@contoso.example",
			Name:        "Sam Sales",
			Email:       "sam@contoso.example",
			Groups:      []string{"7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
			Description: "Not allowed to use the portal (no app role)",
		},
	}
}
