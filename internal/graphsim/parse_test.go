package graphsim

import (
	"reflect"
	"testing"
)

func TestParseSearch(t *testing.T) {
	cases := []struct {
		in   string
		want searchExpr // nil when the input must be refused
	}{
		{`"displayName:ada"`, searchExpr{{{"displayName", "ada"}}}},
		{`"displayName:a" OR "mail:b" AND "userPrincipalName:c"`, searchExpr{{{"displayName", "a"}}, {{"mail", "b"}, {"userPrincipalName", "c"}}}},
		{`  "displayName:a"OR"mail:b"  `, searchExpr{{{"displayName", "a"}}, {{"mail", "b"}}}},
		{`"displayName:say \"hi\" \\o/"`, searchExpr{{{"displayName", `say "hi" \o/`}}}},
		{`"displayName:a:b"`, searchExpr{{{"displayName", "a:b"}}}},
		{`"displayName:O'Brien"`, searchExpr{{{"displayName", "O'Brien"}}}},
		{``, nil},
		{`"displayName:a" or "mail:b"`, nil},
		{`"displayName:a" OR OR "mail:b"`, nil},
		{`"displayName:a\"`, nil},
		{`"displayName:a\n"`, nil},
		{`"DisplayName:a"`, nil},
	}
	for _, tc := range cases {
		got, err := parseSearch(tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("parseSearch(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseSearch(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestPrefixMatch(t *testing.T) {
	cases := []struct {
		property, value string
		want            bool
	}{
		{"Adele Vance", "adele", true},
		{"Adele Vance", "vance", true},
		{"Adele Vance", "adele v", true},
		{"Adele Vance", "dele", false},
		{"adele.vance@contoso.example", "vance", true},
		{"adele.vance@contoso.example", "contoso", true},
		{"pat_fabrikam.example#EXT#@contoso.example", "fabrikam", true},
		{"Jean-Luc Picard", "luc", true},
		{"Zoë Brontë", "ZOË", true},
		{"Zoë Brontë", "zoe", false},
	}
	for _, tc := range cases {
		if got := prefixMatch(tc.property, tc.value); got != tc.want {
			t.Errorf("prefixMatch(%q, %q) = %v", tc.property, tc.value, got)
		}
	}
}

func TestDeviceFilterCompiles(t *testing.T) {
	d := &ManagedDevice{DeviceName: "O'Neil-PC", SerialNumber: "S1"}
	cases := []struct {
		filter    string
		supported bool
		matches   bool
	}{
		{"deviceName eq 'O''Neil-PC'", true, true},
		{"(deviceName eq 'o''neil-pc') and serialNumber eq 'S1'", true, true},
		{"deviceName eq 'O''Neil-PC' and serialNumber eq 'S2'", true, false},
		{"deviceName eq ''", false, false},
		{"isEncrypted eq true", false, false},
		// Intune answers `or` with its first clause alone.
		{"deviceName eq 'a' or deviceName eq 'O''Neil-PC'", true, false},
		{"deviceName eq 'O''Neil-PC' or deviceName eq 'b'", true, true},
		{"contains(deviceName,'Neil')", false, false},
		// startswith on deviceName has been seen to match as contains.
		{"startswith(deviceName,'o''neil')", true, true},
		{"startswith(deviceName,'Neil')", true, true},
		{"startswith(deviceName,'PC-')", true, false},
		{"startswith(serialNumber,'S')", false, false},
		{"startswith(deviceName,'')", false, false},
	}
	for _, tc := range cases {
		e, ok := parseFilter(tc.filter)
		if !ok {
			t.Fatalf("parseFilter(%q) failed", tc.filter)
		}
		keep := deviceFilter(e)
		if (keep != nil) != tc.supported || keep != nil && keep(d) != tc.matches {
			t.Errorf("%q: supported %v", tc.filter, keep != nil)
		}
	}
	for _, bad := range []string{"", "deviceName eq 'x", "deviceName eq 'x')", "f(a,", "deviceName eq 'x' and"} {
		if _, ok := parseFilter(bad); ok {
			t.Errorf("parseFilter(%q) accepted", bad)
		}
	}
}
