package auth

import (
	"net/url"
	"strings"
)

// SafeReturnTo returns raw if it is a path on this site that is safe to
// redirect to after sign-in, and "/" otherwise. Browsers treat "//host",
// "/\host" and paths with tabs or newlines as other sites, so anything that
// is not plainly a local path is refused rather than repaired.
func SafeReturnTo(raw string) string {
	if raw == "" || raw[0] != '/' || len(raw) > 2048 {
		return "/"
	}
	if len(raw) > 1 && (raw[1] == '/' || raw[1] == '\\') {
		return "/"
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	// The same rules once more on the decoded path: a proxy or browser that
	// decodes %2F, %5C or %0A would otherwise see what the raw check missed.
	if strings.ContainsFunc(u.Path, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	// Dot segments and empty segments are never in a link the portal makes,
	// and "/.//host" resolves to "//host" in some parsers.
	if strings.Contains(u.Path, "//") || strings.Contains(u.Path+"/", "/./") || strings.Contains(u.Path+"/", "/../") {
		return "/"
	}
	// Coming back to the sign-in routes themselves would loop.
	if u.Path == "/login" || strings.HasPrefix(u.Path, "/auth/") || u.Path == "/logout" {
		return "/"
	}
	return raw
}
