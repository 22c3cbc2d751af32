// Package config reads the portal's configuration from the environment once,
// validates all of it, and reports every problem in one error.
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

// GraphScopes are the delegated Microsoft Graph permissions the portal asks
// for in the same sign-in as the ID token.
var GraphScopes = []string{
	"https://graph.microsoft.com/User.ReadBasic.All",
	"https://graph.microsoft.com/DeviceManagementManagedDevices.ReadWrite.All",
	"https://graph.microsoft.com/DeviceManagementConfiguration.Read.All",
}

// DefaultScopes is the scope list used when ASSISTDESK_OIDC_SCOPES is unset.
var DefaultScopes = append([]string{"openid", "profile", "email", "offline_access"}, GraphScopes...)

// Config is the validated configuration of one portal instance.
type Config struct {
	ListenAddr         string
	PublicURL          *url.URL
	OIDCIssuer         string
	OIDCClientID       string
	OIDCClientSecret   string
	OIDCScopes         []string
	GraphURL           string
	DatabaseURL        string
	TokenKey           []byte // AES-256 key sealing Graph tokens at rest
	InstanceName       string
	AuditRetention     time.Duration
	MaxWait            time.Duration
	AllowedGroups      []string
	AllowedRoles       []string
	AllowAnyUser       bool
	AuditorGroups      []string
	AuditorRoles       []string
	SessionIdleTimeout time.Duration
	SessionMaxAge      time.Duration
	TrustedProxies     []netip.Prefix
	AssistRateLimit    int // assistance requests per technician per minute
	SignInRateLimit    int // sign-in starts per client IP per minute
	ShutdownGrace      time.Duration
	LogFormat          string
	LogLevel           slog.Level
}

// RedirectURL is where the identity provider sends the browser back to.
func (c *Config) RedirectURL() string {
	return c.PublicURL.JoinPath("/auth/callback").String()
}

// Secure reports whether technicians reach the portal over https, which
// decides the cookie's Secure flag and __Host- prefix.
func (c *Config) Secure() bool { return c.PublicURL.Scheme == "https" }

// Load reads and validates every variable. getenv is os.Getenv in production;
// tests pass a map lookup. The returned error lists every problem found.
func Load(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	c := &Config{
		ListenAddr:         r.str("ASSISTDESK_LISTEN_ADDR", ":8080"),
		PublicURL:          r.publicURL("ASSISTDESK_PUBLIC_URL"),
		OIDCIssuer:         r.issuer("ASSISTDESK_OIDC_ISSUER"),
		OIDCClientID:       r.required("ASSISTDESK_OIDC_CLIENT_ID"),
		OIDCClientSecret:   r.secret("ASSISTDESK_OIDC_CLIENT_SECRET"),
		OIDCScopes:         r.fields("ASSISTDESK_OIDC_SCOPES", DefaultScopes),
		GraphURL:           r.graphURL("ASSISTDESK_GRAPH_URL"),
		DatabaseURL:        r.databaseURL("ASSISTDESK_DATABASE_URL"),
		TokenKey:           r.key("ASSISTDESK_TOKEN_KEY"),
		InstanceName:       r.str("ASSISTDESK_INSTANCE_NAME", hostname()),
		AuditRetention:     r.days("ASSISTDESK_AUDIT_RETENTION", 400*24*time.Hour),
		MaxWait:            r.duration("ASSISTDESK_MAX_WAIT", 60*time.Second),
		AllowedGroups:      r.list("ASSISTDESK_ALLOWED_GROUPS"),
		AllowedRoles:       r.list("ASSISTDESK_ALLOWED_ROLES"),
		AllowAnyUser:       r.boolean("ASSISTDESK_ALLOW_ANY_USER"),
		AuditorGroups:      r.list("ASSISTDESK_AUDITOR_GROUPS"),
		AuditorRoles:       r.list("ASSISTDESK_AUDITOR_ROLES"),
		SessionIdleTimeout: r.duration("ASSISTDESK_SESSION_IDLE_TIMEOUT", 30*time.Minute),
		SessionMaxAge:      r.duration("ASSISTDESK_SESSION_MAX_AGE", 12*time.Hour),
		TrustedProxies:     r.prefixes("ASSISTDESK_TRUSTED_PROXIES"),
		AssistRateLimit:    r.positive("ASSISTDESK_ASSIST_RATE_LIMIT", 30),
		SignInRateLimit:    r.positive("ASSISTDESK_SIGNIN_RATE_LIMIT", 30),
		ShutdownGrace:      r.duration("ASSISTDESK_SHUTDOWN_GRACE", 10*time.Second),
		LogFormat:          r.oneOf("ASSISTDESK_LOG_FORMAT", "json", "json", "text"),
		LogLevel:           r.level("ASSISTDESK_LOG_LEVEL"),
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		r.fail("ASSISTDESK_LISTEN_ADDR", "must be host:port, e.g. :8080 (%v)", err)
	}
	if !hasScope(c.OIDCScopes, "openid") {
		r.fail("ASSISTDESK_OIDC_SCOPES", "must include openid")
	}
	if len(c.AllowedGroups) == 0 && len(c.AllowedRoles) == 0 && !c.AllowAnyUser {
		r.fail("ASSISTDESK_ALLOWED_ROLES", "set it or ASSISTDESK_ALLOWED_GROUPS to say who may use the portal "+
			"(or ASSISTDESK_ALLOW_ANY_USER=true to let every signed-in user in, deliberately)")
	}
	if c.SessionIdleTimeout > c.SessionMaxAge {
		r.fail("ASSISTDESK_SESSION_IDLE_TIMEOUT", "must not exceed ASSISTDESK_SESSION_MAX_AGE")
	}
	if len(r.problems) > 0 {
		return nil, fmt.Errorf("config: %d problem(s):\n  %s", len(r.problems), strings.Join(r.problems, "\n  "))
	}
	return c, nil
}

func hasScope(scopes []string, want string) bool {
	for _, s := range scopes {
		if s == want {
			return true
		}
	}
	return false
}

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

// secret reads NAME, or the file named by NAME_FILE (for container secrets).
// Setting both is refused: one of them would be silently ignored.
func (r *reader) secret(name string) string {
	direct, file := r.getenv(name), strings.TrimSpace(r.getenv(name+"_FILE"))
	switch {
	case direct != "" && file != "":
		r.fail(name, "set either %s or %s_FILE, not both", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			r.fail(name+"_FILE", "cannot read the secret file: %v", err)
			return ""
		}
		if v := strings.TrimSpace(string(b)); v != "" {
			return v
		}
		r.fail(name+"_FILE", "the file %s is empty", file)
	case direct != "":
		return direct
	default:
		r.fail(name, "is required (or %s_FILE naming a file that holds it)", name)
	}
	return ""
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
