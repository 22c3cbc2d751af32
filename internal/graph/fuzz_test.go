package graph

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzUserRef: anything accepted as a user reference stays one path
// segment once escaped, so it can never address another Graph resource.
func FuzzUserRef(f *testing.F) {
	for _, s := range []string{"adele.vance@contoso.example", "sean.o'brien@contoso.example",
		"pat_fabrikam.example#EXT#@contoso.example", "6e2b1c3a-1f2d-4a5b-8c9d-0e1f2a3b4c5d",
		"../managedDevices", "a/b@c.example", "a%2Fb@c.example", "a?b@c.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !IsUserRef(s) {
			return
		}
		path := "/v1.0/users/" + url.PathEscape(s) + "/managedDevices"
		u, err := url.Parse("https://graph.microsoft.com" + path)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		segments := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
		if len(segments) != 4 || segments[3] != "managedDevices" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("%q escapes its path segment: %s", s, u)
		}
		if got, _ := url.PathUnescape(segments[2]); got != s || s == "." || s == ".." {
			t.Fatalf("%q does not round-trip: %q", s, got)
		}
	})
}

// FuzzSearchExpression: each clause of the $search value holds exactly the
// query, whatever quotes or backslashes it contains.
func FuzzSearchExpression(f *testing.F) {
	for _, s := range []string{"adele", `o"neil`, `back\slash`, `"\`, `a" OR "displayName:b`, "zoë"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		clauses := parseSearch(t, SearchExpression(q))
		if len(clauses) != 3 {
			t.Fatalf("%q: %d clauses, want 3", q, len(clauses))
		}
		for i, prop := range []string{"displayName", "mail", "userPrincipalName"} {
			if clauses[i] != prop+":"+q {
				t.Fatalf("%q: clause %d is %q", q, i, clauses[i])
			}
		}
	})
}

// parseSearch reads a $search value as Graph does: quoted clauses with \"
// and \\ escapes, joined by OR outside the quotes.
func parseSearch(t *testing.T, expr string) []string {
	t.Helper()
	var clauses []string
	for i := 0; i < len(expr); {
		if expr[i] != '"' {
			t.Fatalf("expected a quote at %d in %s", i, expr)
		}
		var b strings.Builder
		i++
		for ; i < len(expr) && expr[i] != '"'; i++ {
			if expr[i] == '\\' && i+1 < len(expr) {
				i++
			}
			b.WriteByte(expr[i])
		}
		if i >= len(expr) {
			t.Fatalf("unterminated clause in %s", expr)
		}
		clauses = append(clauses, b.String())
		i++
		if rest := expr[i:]; rest != "" {
			if !strings.HasPrefix(rest, " OR ") {
				t.Fatalf("expected OR at %d in %s", i, expr)
			}
			i += len(" OR ")
		}
	}
	return clauses
}
