package auth

import "testing"

func TestSafeReturnTo(t *testing.T) {
	keep := []string{"/", "/?q=adele&ticket=INC-1", "/users/adele@contoso.example?ticket=INC-1", "/devices/x#frag"}
	for _, in := range keep {
		if got := SafeReturnTo(in); got != in {
			t.Errorf("SafeReturnTo(%q) = %q, want it kept", in, got)
		}
	}
	refuse := []string{
		"", "//evil.example", "/\\evil.example", "https://evil.example/", "http:/evil", "javascript:alert(1)",
		"evil.example", "/\t/evil.example", "/\n/evil.example", "/%0a", "\\\\evil", "/login?return_to=/",
		"/auth/callback?code=x", " /x", "/%2F%2Fevil.example", "/%5Cevil.example", "/.//evil.example", "/a/../..//evil.example",
	}
	for _, in := range refuse {
		if got := SafeReturnTo(in); got != "/" {
			t.Errorf("SafeReturnTo(%q) = %q, want /", in, got)
		}
	}
}
