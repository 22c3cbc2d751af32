package graphsim

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// demoDomain is the demo tenant's verified domain. The .example TLD is
// reserved, so no demo address can reach a real mailbox.
const demoDomain = "contoso.example"

// Well-known demo people. Tests and the demo's runbook rely on these.
const (
	DemoAdeleUPN = "adele.vance@contoso.example"               // Windows laptop, iPhone, Android phone, more
	DemoSeanUPN  = "sean.o'brien@contoso.example"              // an apostrophe in the UPN
	DemoGuestUPN = "pat_fabrikam.example#EXT#@contoso.example" // a B2B guest; has no devices
	DemoKioskUPN = "kiosk.lab@contoso.example"                 // a shared account with 130 devices
)

// demoKioskDevices is more than one page at the default page size.
const demoKioskDevices = 130

// demoGen draws every random choice of the demo tenant from one seeded
// source, in a fixed order, so the tenant is the same on every run.
type demoGen struct {
	rng     *rand.Rand
	now     time.Time
	serials map[string]bool
}

// DemoTenant builds the demo tenant: a few hundred users, their devices,
// scripts with their run states, and detected apps. It is deterministic for
// a given now; all times are now minus fixed offsets.
func DemoTenant(now time.Time) *Tenant {
	g := &demoGen{
		rng:     rand.New(rand.NewPCG(20261128, 1000)),
		now:     now.UTC().Truncate(time.Second),
		serials: map[string]bool{},
	}
	t := &Tenant{}
	plans := g.users(t)
	for i, plan := range plans {
		for n, os := range plan {
			t.Devices = append(t.Devices, g.device(&t.Users[i], os, n+1))
		}
	}
	g.kioskDevices(t)
	g.apps(t)
	g.scripts(t)
	g.lobbyPCs(t)
	return t
}

func (g *demoGen) guid() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], g.rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], g.rng.Uint64())
	return formatGUID(b)
}

func (g *demoGen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// ago is a time between min and max before now, whole seconds.
func (g *demoGen) ago(minAgo, maxAgo time.Duration) time.Time {
	d := minAgo + time.Duration(g.rng.Int64N(int64(maxAgo-minAgo)))
	return g.now.Add(-d).Truncate(time.Second)
}

// demoPerson is a user the demo names on purpose, with the operating
// systems of their devices.
type demoPerson struct {
	given, surname, display, upn, mail, userType string
	devices                                      []string
}

var demoPeople = []demoPerson{
	{given: "Adele", surname: "Vance", upn: DemoAdeleUPN, devices: []string{osWindows, osIOS, osAndroid, osMacOS}},
	{given: "Seán", surname: "O'Brien", upn: DemoSeanUPN, devices: []string{osWindows, osIOS}},
	{given: "Zoë", surname: "Brontë", upn: "zoe.bronte@contoso.example", devices: []string{osMacOS, osIOS}},
	{given: "Jürgen", surname: "Groß", upn: "juergen.gross@contoso.example", devices: []string{osWindows}},
	{given: "José", surname: "Núñez", upn: "jose.nunez@contoso.example", devices: []string{osWindows, osAndroid}},
	{given: "Åsa", surname: "Lindqvist", upn: "asa.lindqvist@contoso.example", devices: []string{osWindows, osIOS}},
	{given: "Łukasz", surname: "Żółć", upn: "lukasz.zolc@contoso.example", devices: []string{osWindows}},
	{given: "芳", surname: "王", display: "王芳", upn: "wang.fang@contoso.example", devices: []string{osWindows, osIOS}},
	{given: "Robert", surname: "Tables", display: `Robert "Bobby" Tables`, upn: "bobby.tables@contoso.example", devices: []string{osWindows}},
	{given: "Pat", surname: "Kumar", display: "Pat Kumar (Fabrikam)", upn: DemoGuestUPN, mail: "pat@fabrikam.example", userType: "Guest"},
	{given: "Chris", surname: "Green", upn: "chris.green+it@contoso.example", devices: []string{osWindows}},
	{given: "Dev", surname: "Ops", upn: "dev!ops^team~1@contoso.example", devices: []string{osAndroid}},
	{given: "Kiosk", surname: "Lab", upn: DemoKioskUPN},
}

// demoGeneratedUsers brings the tenant to 260 users.
const demoGeneratedUsers = 247

// users adds the named people and then generated ones, and returns the
// operating systems of each user's devices, by user index.
func (g *demoGen) users(t *Tenant) [][]string {
	var plans [][]string
	for _, p := range demoPeople {
		t.Users = append(t.Users, g.user(p))
		plans = append(plans, p.devices)
	}
	taken := map[string]bool{}
	for _, u := range t.Users {
		taken[u.UserPrincipalName] = true
	}
	for i := range demoGeneratedUsers {
		p := demoPerson{given: g.pick(demoGivenNames), surname: g.pick(demoSurnames)}
		local := strings.ToLower(p.given + "." + p.surname)
		p.upn = local + "@" + demoDomain
		for n := 2; taken[p.upn]; n++ {
			p.upn = fmt.Sprintf("%s%d@%s", local, n, demoDomain)
		}
		taken[p.upn] = true
		// Every tenth user has no device at all: a person on the phone may
		// well not, and the portal must say so rather than fail.
		if i%10 != 7 {
			for range 1 + g.rng.IntN(3) + g.rng.IntN(2) {
				p.devices = append(p.devices, g.pickOS())
			}
		}
		t.Users = append(t.Users, g.user(p))
		plans = append(plans, p.devices)
	}
	return plans
}

func (g *demoGen) user(p demoPerson) User {
	u := User{
		ID:                g.guid(),
		DisplayName:       p.display,
		GivenName:         p.given,
		Surname:           p.surname,
		UserPrincipalName: p.upn,
		Mail:              p.mail,
		JobTitle:          g.pick(demoJobTitles),
		Department:        g.pick(demoDepartments),
		OfficeLocation:    g.pick(demoOffices),
		MobilePhone:       fmt.Sprintf("+1 425 555 %04d", g.rng.IntN(10000)),
		BusinessPhones:    []string{fmt.Sprintf("+1 425 555 %04d", g.rng.IntN(10000))},
		PreferredLanguage: "en-US",
		AccountEnabled:    true,
		UserType:          p.userType,
	}
	if u.DisplayName == "" {
		u.DisplayName = p.given + " " + p.surname
	}
	if u.Mail == "" {
		u.Mail = p.upn
	}
	if u.UserType == "" {
		u.UserType = "Member"
	}
	return u
}
