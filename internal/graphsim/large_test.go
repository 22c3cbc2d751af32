package graphsim

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	largeOnce  sync.Once
	largeIndex *index
)

// largeTenantIndex builds the large tenant and its index once for the
// tests and benchmarks here, logging what that costs.
func largeTenantIndex(tb testing.TB) *index {
	largeOnce.Do(func() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		t := LargeTenant(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
		built := time.Since(start)
		x, err := newIndex(t)
		if err != nil {
			tb.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		tb.Logf("LargeTenant: %s, index: %s, live heap %d MB", built.Round(time.Millisecond),
			(time.Since(start) - built).Round(time.Millisecond), (after.HeapAlloc-before.HeapAlloc)>>20)
		largeIndex = x
	})
	if largeIndex == nil {
		tb.Fatal("the large tenant could not be indexed")
	}
	return largeIndex
}

func TestLargeTenant(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 350,000 objects")
	}
	x := largeTenantIndex(t)
	if len(x.t.Users) != LargeUsers || len(x.t.Devices) != LargeDevices {
		t.Fatalf("%d users and %d devices, want %d and %d", len(x.t.Users), len(x.t.Devices), LargeUsers, LargeDevices)
	}
	upns := map[string]bool{}
	for _, u := range x.t.Users {
		if upns[strings.ToLower(u.UserPrincipalName)] {
			t.Fatalf("UPN %s twice", u.UserPrincipalName)
		}
		upns[strings.ToLower(u.UserPrincipalName)] = true
	}
	if len(x.devices) != LargeDevices {
		t.Errorf("%d distinct device ids, want %d", len(x.devices), LargeDevices)
	}
	for _, d := range x.t.Devices {
		if x.user(d.UserID) == nil {
			t.Fatalf("device %s belongs to unknown user %s", d.ID, d.UserID)
		}
	}
	for n := 1; n <= LargeSharedAccounts; n++ {
		u := x.user(LargeSharedUPN(n))
		if u == nil || len(x.devicesOf(u.ID)) != LargeSharedDevices {
			t.Errorf("shared account %s: missing or without its %d devices", LargeSharedUPN(n), LargeSharedDevices)
		}
	}
	if u := x.user(DemoAdeleUPN); u == nil || len(x.devicesOf(u.ID)) != 4 {
		t.Errorf("the demo's Adele Vance is missing or lost her devices")
	}
}

// TestSearchIndexAgreesWithScan checks that the index, which only narrows,
// finds exactly what scanning every user with the matcher finds.
func TestSearchIndexAgreesWithScan(t *testing.T) {
	x, err := newIndex(DemoTenant(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`"displayName:maria"`, `"displayName:MAR" OR "mail:lee"`, `"userPrincipalName:adele.vance@contoso.example"`,
		`"mail:contoso"`, `"displayName:王"`, `"displayName:zoë"`, `"displayName:o'b"`, `"displayName:\"bobby\""`,
		`"displayName:kiosk" AND "mail:kiosk.lab"`, `"displayName:a" AND "displayName:b"`, `"mail:pat@fab"`, `"displayName:nobody"`,
	} {
		expr, apiErr := parseSearch(q)
		if apiErr != nil {
			t.Fatalf("%s: %v", q, apiErr)
		}
		var want []*User
		for i := range x.t.Users {
			if expr.matches(&x.t.Users[i]) {
				want = append(want, &x.t.Users[i])
			}
		}
		if got := x.searchUsers(expr); !slices.Equal(got, want) {
			t.Errorf("%s: index found %d users, a scan %d", q, len(got), len(want))
		}
	}
}

// BenchmarkLargeSearch is the $search a portal sends for a common first
// name, through the index, on the large tenant.
func BenchmarkLargeSearch(b *testing.B) {
	x := largeTenantIndex(b)
	expr, _ := parseSearch(`"displayName:maria" OR "mail:maria" OR "userPrincipalName:maria"`)
	for b.Loop() {
		if len(x.searchUsers(expr)) == 0 {
			b.Fatal("no Maria")
		}
	}
}

// BenchmarkLargeSearchScan is the same search as a scan of every user,
// which the index replaces.
func BenchmarkLargeSearchScan(b *testing.B) {
	x := largeTenantIndex(b)
	expr, _ := parseSearch(`"displayName:maria" OR "mail:maria" OR "userPrincipalName:maria"`)
	for b.Loop() {
		n := 0
		for i := range x.t.Users {
			if expr.matches(&x.t.Users[i]) {
				n++
			}
		}
		if n == 0 {
			b.Fatal("no Maria")
		}
	}
}

func TestRecordsAreBounded(t *testing.T) {
	records := make([]int, keepRecords+keepRecords/10)
	for i := range records {
		records[i] = i
	}
	kept := keepLast(records)
	if len(kept) != keepRecords || kept[len(kept)-1] != len(records)-1 || kept[0] != len(records)-keepRecords {
		t.Fatalf("kept %d records from %d to %d", len(kept), kept[0], kept[len(kept)-1])
	}
	if short := keepLast(records[:10]); len(short) != 10 {
		t.Fatalf("a short log was cut to %d", len(short))
	}
}

// TestDeviceNameIndexAgreesWithScan checks that narrowing startswith on
// deviceName by its runs finds exactly what filtering every device finds.
func TestDeviceNameIndexAgreesWithScan(t *testing.T) {
	x, err := newIndex(DemoTenant(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"adele-lt-", "ADELE", "'s i", "desktop-", "lt-0", "iphone", "zzz", "kiosk-lab-00", "Zoë"} {
		e, ok := parseFilter("startswith(deviceName,'" + strings.ReplaceAll(q, "'", "''") + "')")
		if !ok {
			t.Fatalf("%s: does not parse", q)
		}
		keep := deviceFilter(e)
		var want, got []*ManagedDevice
		for i := range x.t.Devices {
			if keep(&x.t.Devices[i]) {
				want = append(want, &x.t.Devices[i])
			}
		}
		candidates, indexed := x.deviceCandidates(e)
		if !indexed {
			t.Fatalf("%s: not narrowed by the index", q)
		}
		for _, d := range candidates {
			if keep(d) {
				got = append(got, d)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: index found %d devices, a scan %d", q, len(got), len(want))
		}
	}
}

// BenchmarkLargeDeviceNamePrefix is the device lookup the portal's search
// sends as a technician types a name's first letters, on the large tenant.
func BenchmarkLargeDeviceNamePrefix(b *testing.B) {
	x := largeTenantIndex(b)
	e, _ := parseFilter("startswith(deviceName,'mar')")
	keep := deviceFilter(e)
	for b.Loop() {
		candidates, _ := x.deviceCandidates(e)
		n := 0
		for _, d := range candidates {
			if keep(d) {
				n++
			}
		}
		if n == 0 {
			b.Fatal("no device named mar…")
		}
	}
}
