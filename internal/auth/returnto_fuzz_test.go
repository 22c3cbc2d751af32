package auth

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeReturnTo: whatever comes in, what comes out resolves to a page of
// this site and is either "/" or the input unchanged.
func FuzzSafeReturnTo(f *testing.F) {
	for _, s := range []string{"/", "/?q=adele&ticket=INC-1", "//evil.example", "/\\evil", "/%2F%2Fevil",
		"/\t/evil", "https://evil.example", "javascript:alert(1)", "/users/o'brien@contoso.example", "/.//x"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://portal.example/")
	f.Fuzz(func(t *testing.T, in string) {
		out := SafeReturnTo(in)
		if out != "/" && out != in {
			t.Fatalf("SafeReturnTo(%q) = %q: neither / nor the input", in, out)
		}
		u, err := url.Parse(out)
		if err != nil {
			t.Fatalf("SafeReturnTo(%q) = %q does not parse: %v", in, out, err)
		}
		if r := base.ResolveReference(u); r.Host != base.Host || r.Scheme != base.Scheme {
			t.Fatalf("SafeReturnTo(%q) = %q leads to %s", in, out, r)
		}
		if strings.ContainsAny(out, "\\\t\r\n") || strings.HasPrefix(out, "//") {
			t.Fatalf("SafeReturnTo(%q) = %q keeps a character browsers treat specially", in, out)
		}
	})
}
