package graphsim

import (
	"slices"
	"strings"
)

// The lookups in this file narrow a query to candidates so that $search and
// eq filters stay fast on a large tenant (100,000 users, 250,000 devices),
// where a scan with the matcher costs tens of milliseconds per request.
// They only narrow: the handlers still apply the matcher or the filter to
// every candidate, so an index can never change what a query finds.

// searchEntry is one token of one user's searchable property.
type searchEntry struct {
	token string // lower case
	user  int32  // index in Tenant.Users
}

// searchIndex holds, per searchable property, every user's tokens sorted:
// the whole lower-cased property and each of its words, the units a
// $search value is a prefix of.
type searchIndex map[string][]searchEntry

func newSearchIndex(users []User) searchIndex {
	x := searchIndex{}
	for _, prop := range searchable {
		entries := make([]searchEntry, 0, 4*len(users))
		for i := range users {
			whole := strings.ToLower(userProperty(&users[i], prop))
			if whole == "" {
				continue
			}
			entries = append(entries, searchEntry{whole, int32(i)})
			for _, word := range strings.FieldsFunc(whole, isWordBreak) {
				if word != whole {
					entries = append(entries, searchEntry{word, int32(i)})
				}
			}
		}
		slices.SortFunc(entries, func(a, b searchEntry) int { return strings.Compare(a.token, b.token) })
		x[prop] = entries
	}
	return x
}

// bitset is a set of user indexes.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) add(i int32)    { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// clause is the set of users with a token of property that starts with
// value, lower-cased as the matcher does.
func (x searchIndex) clause(c searchClause, n int) bitset {
	set := newBitset(n)
	entries := x[c.property]
	value := strings.ToLower(c.value)
	i, _ := slices.BinarySearchFunc(entries, value, func(e searchEntry, v string) int { return strings.Compare(e.token, v) })
	for ; i < len(entries) && strings.HasPrefix(entries[i].token, value); i++ {
		set.add(entries[i].user)
	}
	return set
}

// searchUsers returns the users that match expr, in tenant order.
func (x *index) searchUsers(expr searchExpr) []*User {
	n := len(x.t.Users)
	found := newBitset(n)
	for _, group := range expr {
		all := x.search.clause(group[0], n)
		for _, c := range group[1:] {
			all.and(x.search.clause(c, n))
		}
		found.or(all)
	}
	var out []*User
	for i := range n {
		if found.has(i) && expr.matches(&x.t.Users[i]) {
			out = append(out, &x.t.Users[i])
		}
	}
	return out
}

// foldKey is a key under which strings equal under strings.EqualFold
// collide: upper then lower case joins the case-folding orbits that lower
// case alone keeps apart (ſ and s, ς and σ).
func foldKey(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// indexedDeviceProps are the device properties with an eq index: the ones
// the portal's search filters on.
var indexedDeviceProps = []string{"deviceName", "serialNumber"}

func newDeviceEq(devices []ManagedDevice) map[string]map[string][]*ManagedDevice {
	eq := map[string]map[string][]*ManagedDevice{}
	for _, prop := range indexedDeviceProps {
		get, byValue := deviceFilterProps[prop], make(map[string][]*ManagedDevice, len(devices))
		for i := range devices {
			k := foldKey(get(&devices[i]))
			byValue[k] = append(byValue[k], &devices[i])
		}
		eq[prop] = byValue
	}
	return eq
}

// gram is the length of the runs of a device name deviceNameGrams lists.
const gram = 3

// newDeviceNameGrams lists, by each lower-case run of gram bytes in a
// device name, the devices whose name has it. startswith on deviceName,
// which Intune matches anywhere in the name, then narrows to the devices
// with the rarest run of the query instead of scanning every name.
func newDeviceNameGrams(devices []ManagedDevice) map[string][]*ManagedDevice {
	grams := map[string][]*ManagedDevice{}
	for i := range devices {
		d := &devices[i]
		name := strings.ToLower(d.DeviceName)
		for j := 0; j+gram <= len(name); j++ {
			g := name[j : j+gram]
			// A name with a run twice is listed once.
			if list := grams[g]; len(list) == 0 || list[len(list)-1] != d {
				grams[g] = append(list, d)
			}
		}
	}
	return grams
}

// deviceCandidates narrows a device filter through an index when the
// filter is such a clause (eq on an indexed property, startswith on
// deviceName of at least gram bytes), or an and with one; ok is false when
// no index applies and every device is a candidate.
func (x *index) deviceCandidates(e *filterExpr) (candidates []*ManagedDevice, ok bool) {
	switch e.op {
	case "and":
		if c, ok := x.deviceCandidates(e.args[0]); ok {
			return c, true
		}
		return x.deviceCandidates(e.args[1])
	case "eq":
		prop, lit := e.args[0], e.args[1]
		byValue := x.deviceEq[prop.name]
		if prop.op != "prop" || lit.op != "lit" || byValue == nil {
			return nil, false
		}
		return byValue[foldKey(lit.value)], true
	case "call":
		if e.name != "startswith" || len(e.args) != 2 {
			return nil, false
		}
		prop, lit := e.args[0], e.args[1]
		part := strings.ToLower(lit.value)
		if prop.op != "prop" || prop.name != "deviceName" || lit.op != "lit" || len(part) < gram {
			return nil, false
		}
		var rarest []*ManagedDevice
		for j := 0; j+gram <= len(part); j++ {
			list := x.deviceNameGrams[part[j:j+gram]]
			if j == 0 || len(list) < len(rarest) {
				rarest = list
			}
		}
		return rarest, true
	}
	return nil, false
}
