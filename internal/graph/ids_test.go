package graph

import "testing"

func TestIDValidators(t *testing.T) {
	tests := []struct {
		f    func(string) bool
		name string
		good []string
		bad  []string
	}{
		{IsGUID, "GUID", []string{"6e2b1c3a-1f2d-4a5b-8c9d-0e1f2a3b4c5d"},
			[]string{"", "6e2b1c3a1f2d4a5b8c9d0e1f2a3b4c5d", "6e2b1c3a-1f2d-4a5b-8c9d-0e1f2a3b4c5dX", "../../x"}},
		{IsDetectedAppID, "detected app", []string{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
			[]string{"0123", "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}},
		{IsRunStateID, "run state", []string{"a1b2:c3d4", "6e2b1c3a-1f2d-4a5b-8c9d-0e1f2a3b4c5d"},
			[]string{"", "a/b", "a b", "x%2F"}},
		{IsUPN, "UPN", []string{"adele.vance@contoso.example", "sean.o'brien@contoso.example",
			"pat_fabrikam.example#EXT#@contoso.example", "a+b!c^d~e@contoso.example"},
			[]string{"", "adele", "@contoso.example", "a@b", "a/b@contoso.example", "a@contoso..example",
				".a@contoso.example", "a b@contoso.example", "a@contoso.example/../x"}},
	}
	for _, tt := range tests {
		for _, s := range tt.good {
			if !tt.f(s) {
				t.Errorf("%s: %q refused", tt.name, s)
			}
		}
		for _, s := range tt.bad {
			if tt.f(s) {
				t.Errorf("%s: %q accepted", tt.name, s)
			}
		}
	}
}

func TestCouldBeSerial(t *testing.T) {
	for q, want := range map[string]bool{
		"C02XK1JHJG5J": true, // Apple
		"5CG1234XYZ":   true, // HP
		"JX4B2C3":      true, // Dell service tag
		"VMware-56 4d 9c 4b 1a 2b 3c 4d-5e 6f 7a 8b 9c 0d 1e 2f": true,
		"mar":          false, // a name's first keystrokes
		"adel":         false,
		"Maria Garcia": false, // a person, not one word
		"a@b.example":  false,
		"":             false,
	} {
		if got := CouldBeSerial(q); got != want {
			t.Errorf("CouldBeSerial(%q) = %v, want %v", q, got, want)
		}
	}
}
