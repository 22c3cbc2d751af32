package graphsim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Sizes of the large tenant, as the performance targets name them.
const (
	LargeUsers   = 100_000
	LargeDevices = 250_000
)

// Large-tenant shared accounts: a few accounts that enrolled thousands of
// devices, so a user's device list spans many Graph pages.
const (
	LargeSharedAccounts = 5
	LargeSharedDevices  = 2_000
)

// LargeSharedUPN is the n-th (1-based) shared account of the large tenant.
func LargeSharedUPN(n int) string { return fmt.Sprintf("kiosk.store%02d@%s", n, demoDomain) }

// LargeTenant builds a tenant of LargeUsers users and LargeDevices managed
// devices for load tests: the demo's named people and Kiosk Lab, the
// shared accounts, and generated people who hold the remaining devices.
// It has no scripts or detected apps, which no large-tenant measurement
// reads. It is deterministic for a given now.
func LargeTenant(now time.Time) *Tenant {
	g := &demoGen{
		rng:     rand.New(rand.NewPCG(20261128, 100_000)),
		now:     now.UTC().Truncate(time.Second),
		serials: make(map[string]bool, LargeDevices),
	}
	t := &Tenant{
		Users:   make([]User, 0, LargeUsers),
		Devices: make([]ManagedDevice, 0, LargeDevices),
	}
	var plans [][]string
	for _, p := range demoPeople {
		t.Users = append(t.Users, g.user(p))
		plans = append(plans, p.devices)
	}
	for n := 1; n <= LargeSharedAccounts; n++ {
		p := demoPerson{given: "Kiosk", surname: fmt.Sprintf("Store %02d", n), upn: LargeSharedUPN(n)}
		t.Users = append(t.Users, g.user(p))
		plans = append(plans, nil)
	}
	named := len(t.Users)
	g.largePeople(t)

	for i, plan := range plans {
		for n, os := range plan {
			t.Devices = append(t.Devices, g.device(&t.Users[i], os, n+1))
		}
	}
	g.kioskDevices(t)
	for n := 1; n <= LargeSharedAccounts; n++ {
		g.sharedDevices(t, &t.Users[len(demoPeople)+n-1], n)
	}
	// Deal the remaining devices to generated people at random, except
	// every tenth, who has none (as in the demo); a count per person keeps
	// the plan small, and the devices are then made person by person so
	// that each person's devices are numbered in order.
	counts := make([]uint8, len(t.Users))
	for range LargeDevices - len(t.Devices) {
		i := named + g.rng.IntN(len(t.Users)-named)
		for (i-named)%10 == 7 || counts[i] == 255 {
			i = named + g.rng.IntN(len(t.Users)-named)
		}
		counts[i]++
	}
	for i := named; i < len(t.Users); i++ {
		for n := range int(counts[i]) {
			t.Devices = append(t.Devices, g.device(&t.Users[i], g.pickOS(), n+1))
		}
	}
	g.serials = nil
	return t
}

// largePeople adds generated people until the tenant has LargeUsers. A
// counter per name gives the next free UPN at once, where the demo's probe
// of taken names would be quadratic at this size.
func (g *demoGen) largePeople(t *Tenant) {
	next := map[string]int{}
	for _, u := range t.Users {
		local, _, _ := strings.Cut(u.UserPrincipalName, "@")
		next[local] = 2
	}
	for len(t.Users) < LargeUsers {
		p := demoPerson{given: g.pick(demoGivenNames), surname: g.pick(demoSurnames)}
		local := strings.ToLower(p.given + "." + p.surname)
		p.upn = local + "@" + demoDomain
		if n := next[local]; n > 0 {
			p.upn = fmt.Sprintf("%s%d@%s", local, n, demoDomain)
		}
		next[local] = max(next[local], 1) + 1
		t.Users = append(t.Users, g.user(p))
	}
}

// sharedDevices gives the n-th shared account its point-of-sale devices.
func (g *demoGen) sharedDevices(t *Tenant, u *User, n int) {
	for i := range LargeSharedDevices {
		d := g.device(u, osWindows, i+1)
		d.DeviceName = fmt.Sprintf("STORE%02d-POS-%04d", n, i+1)
		d.Manufacturer, d.Model = "HP", "HP EliteDesk 800 G6 Desktop Mini PC"
		d.DeviceEnrollmentType, d.JoinType, d.ManagementAgent = "windowsAzureADJoin", "azureADJoined", "mdm"
		t.Devices = append(t.Devices, d)
	}
}

// TenantByName builds the tenant a simulator command names: "demo" or
// "large".
func TenantByName(name string, now time.Time) (*Tenant, error) {
	switch name {
	case "demo":
		return DemoTenant(now), nil
	case "large":
		return LargeTenant(now), nil
	}
	return nil, fmt.Errorf("graphsim: unknown tenant %q (demo or large)", name)
}
