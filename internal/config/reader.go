package config

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// reader collects problems instead of stopping at the first, so that an
// operator fixes the whole environment in one go.
type reader struct {
	getenv   func(string) string
	problems []string
}

func (r *reader) fail(name, format string, args ...any) {
	r.problems = append(r.problems, name+": "+fmt.Sprintf(format, args...))
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) required(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		r.fail(name, "is required")
	}
	return v
}

// secret reads a required secret: NAME, or the file named by NAME_FILE.
func (r *reader) secret(name string) string {
	v, set := r.optionalSecret(name)
	if !set {
		r.fail(name, "is required (or %s_FILE naming a file that holds it)", name)
	}
	return v
}

// optionalSecret reads NAME, or the file named by NAME_FILE (for container
// secrets); set says whether either was given. Setting both is refused: one
// of them would be silently ignored. So is an empty file: an operator who
// names a file means a secret, and running without one would quietly
// disable what it guards.
func (r *reader) optionalSecret(name string) (value string, set bool) {
	direct, file := r.getenv(name), strings.TrimSpace(r.getenv(name+"_FILE"))
	switch {
	case direct != "" && file != "":
		r.fail(name, "set either %s or %s_FILE, not both", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			r.fail(name+"_FILE", "cannot read the secret file: %v", err)
			return "", true
		}
		if v := strings.TrimSpace(string(b)); v != "" {
			return v, true
		}
		r.fail(name+"_FILE", "the file %s is empty", file)
	case direct != "":
		return direct, true
	default:
		return "", false
	}
	return "", true
}

// metricsToken is optional: without it /metrics is open, as the design's
// public routes say. A set token must be long enough not to be guessed,
// since the scraper sends it on every request.
func (r *reader) metricsToken(name string) string {
	v, _ := r.optionalSecret(name)
	if v != "" && len(v) < 16 {
		r.fail(name, "must be at least 16 characters (e.g. the output of: openssl rand -base64 24)")
		return ""
	}
	return v
}

func (r *reader) absoluteURL(name string) *url.URL {
	raw := r.required(name)
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		r.fail(name, "must be an absolute http(s) URL without credentials, query or fragment, got %q", raw)
		return nil
	}
	return u
}

func (r *reader) publicURL(name string) *url.URL {
	u := r.absoluteURL(name)
	if u == nil {
		return nil
	}
	if strings.Trim(u.Path, "/") != "" {
		r.fail(name, "must be the site root (no path), got %q", u.String())
		return nil
	}
	u.Path = ""
	return u
}

func (r *reader) issuer(name string) string {
	u := r.absoluteURL(name)
	if u == nil {
		return ""
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		r.fail(name, "must use https (plain http is accepted on loopback only), got %q", u.String())
	}
	return u.String()
}

// graphURL is the Graph root; the client adds /v1.0 or /beta per call.
func (r *reader) graphURL(name string) string {
	raw := r.str(name, "https://graph.microsoft.com")
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || strings.Trim(u.Path, "/") != "" ||
		!(u.Scheme == "https" || (u.Scheme == "http" && isLoopback(u.Hostname()))) {
		r.fail(name, "must be an https URL with no path, such as https://graph.microsoft.com (http on loopback only), got %q", raw)
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r *reader) list(name string) []string {
	var out []string
	for _, v := range strings.Split(r.getenv(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (r *reader) fields(name string, def []string) []string {
	if v := strings.Fields(r.getenv(name)); len(v) > 0 {
		return v
	}
	return def
}

func (r *reader) boolean(name string) bool {
	raw := strings.TrimSpace(r.getenv(name))
	if raw == "" {
		return false
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		r.fail(name, "must be true or false, got %q", raw)
	}
	return v
}

// prefixes reads a comma list of CIDRs; a bare address counts as one host.
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range r.list(name) {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				r.fail(name, "%q is not a CIDR such as 10.0.0.0/8 or an IP address", v)
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

func (r *reader) databaseURL(name string) string {
	v := r.str(name, "sqlite:assistdesk.db")
	if !strings.HasPrefix(v, "sqlite:") && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") ||
		v == "sqlite:" {
		r.fail(name, "must be sqlite:PATH or postgres://…, got %q", redactURL(v))
	}
	return v
}

// redactURL hides a password in a database URL before it is shown.
func redactURL(v string) string {
	if u, err := url.Parse(v); err == nil && u.User != nil {
		return u.Redacted()
	}
	return v
}

// key reads a base64 AES-256 key from NAME or the file NAME_FILE.
func (r *reader) key(name string) []byte {
	raw := r.secret(name)
	if raw == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(b) != 32 {
		r.fail(name, "must be 32 random bytes in base64 (e.g. the output of: openssl rand -base64 32)")
		return nil
	}
	return b
}

// days is a duration that also accepts whole days, e.g. 400d.
func (r *reader) days(name string, def time.Duration) time.Duration {
	raw := strings.TrimSpace(r.getenv(name))
	if n, ok := strings.CutSuffix(raw, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d > 0 {
			return time.Duration(d) * 24 * time.Hour
		}
		r.fail(name, "must be a positive number of days such as 400d, or a duration such as 720h, got %q", raw)
		return def
	}
	return r.duration(name, def)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "assistdesk"
	}
	return h
}

func (r *reader) positive(name string, def int) int {
	raw := strings.TrimSpace(r.getenv(name))
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		r.fail(name, "must be a whole number of at least 1, got %q", raw)
		return def
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	raw := strings.TrimSpace(r.getenv(name))
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		r.fail(name, "must be a positive duration such as 30m or 12h, got %q", raw)
		return def
	}
	return d
}

// durationOrOff is a duration where 0 turns the thing off.
func (r *reader) durationOrOff(name string, def time.Duration) time.Duration {
	raw := strings.TrimSpace(r.getenv(name))
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 {
		r.fail(name, "must be a duration such as 30s or 1m, or 0 for off, got %q", raw)
		return def
	}
	return d
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := r.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	return def
}

func (r *reader) level(name string) slog.Level {
	var l slog.Level
	raw := r.str(name, "info")
	if err := l.UnmarshalText([]byte(raw)); err != nil {
		r.fail(name, "must be debug, info, warn or error, got %q", raw)
	}
	return l
}
