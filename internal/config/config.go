// Package config reads the portal's configuration from the environment once,
// validates all of it, and reports every problem in one error.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// GraphScopes are the delegated Microsoft Graph permissions the portal asks
// for in the same sign-in as the ID token.
var GraphScopes = []string{
	"https://graph.microsoft.com/User.ReadBasic.All",
	"https://graph.microsoft.com/DeviceManagementManagedDevices.ReadWrite.All",
	"https://graph.microsoft.com/DeviceManagementConfiguration.Read.All",
	// Optional: lets the portal show the TeamViewer connector's state.
	"https://graph.microsoft.com/DeviceManagementServiceConfig.Read.All",
}

// DefaultScopes is the scope list used when ASSISTDESK_OIDC_SCOPES is unset.
var DefaultScopes = append([]string{"openid", "profile", "email", "offline_access"}, GraphScopes...)

// MaxWaitLimit caps ASSISTDESK_MAX_WAIT: the technician watches a waiting
// request's status for that long, and the instance carries the request on
// in the background, holding the technician's token, until then.
const MaxWaitLimit = 2 * time.Minute

// ReadCacheLimit caps ASSISTDESK_READ_CACHE: what a page shows from Graph
// may be this old at most.
const ReadCacheLimit = 5 * time.Minute

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
	WriteBudget        int           // Graph writes per 20 s, shared by all instances
	ReadBudget         int           // Intune reads per 20 s, shared by all instances
	ReadCache          time.Duration // how long a technician's Graph reads are reused; 0: never
	AllowedGroups      []string
	AllowedRoles       []string
	AllowAnyUser       bool
	AllowHTTP          bool // an http public URL beyond loopback, deliberately
	AuditorGroups      []string
	AuditorRoles       []string
	SessionIdleTimeout time.Duration
	SessionMaxAge      time.Duration
	TrustedProxies     []netip.Prefix
	AssistRateLimit    int // most assistance requests per technician in any minute, per instance
	SignInRateLimit    int // most sign-in starts per browser in any minute (an address: ten times as many), per instance
	ShutdownGrace      time.Duration
	MetricsToken       string         // bearer token /metrics requires; "" leaves it open
	TicketWebhook      *TicketWebhook // nil: no write-back
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
		WriteBudget:        r.positive("ASSISTDESK_WRITE_BUDGET", 200),
		ReadBudget:         r.positive("ASSISTDESK_READ_BUDGET", 1800),
		ReadCache:          r.durationOrOff("ASSISTDESK_READ_CACHE", time.Minute),
		AllowedGroups:      r.list("ASSISTDESK_ALLOWED_GROUPS"),
		AllowedRoles:       r.list("ASSISTDESK_ALLOWED_ROLES"),
		AllowAnyUser:       r.boolean("ASSISTDESK_ALLOW_ANY_USER"),
		AllowHTTP:          r.boolean("ASSISTDESK_ALLOW_HTTP"),
		AuditorGroups:      r.list("ASSISTDESK_AUDITOR_GROUPS"),
		AuditorRoles:       r.list("ASSISTDESK_AUDITOR_ROLES"),
		SessionIdleTimeout: r.duration("ASSISTDESK_SESSION_IDLE_TIMEOUT", 30*time.Minute),
		SessionMaxAge:      r.duration("ASSISTDESK_SESSION_MAX_AGE", 12*time.Hour),
		TrustedProxies:     r.prefixes("ASSISTDESK_TRUSTED_PROXIES"),
		AssistRateLimit:    r.positive("ASSISTDESK_ASSIST_RATE_LIMIT", 30),
		SignInRateLimit:    r.positive("ASSISTDESK_SIGNIN_RATE_LIMIT", 30),
		ShutdownGrace:      r.duration("ASSISTDESK_SHUTDOWN_GRACE", 10*time.Second),
		MetricsToken:       r.metricsToken("ASSISTDESK_METRICS_TOKEN"),
		TicketWebhook:      r.ticketWebhook(),
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
	if c.PublicURL != nil && c.PublicURL.Scheme == "http" && !isLoopback(c.PublicURL.Hostname()) && !c.AllowHTTP {
		r.fail("ASSISTDESK_PUBLIC_URL", "must use https: over http the session cookie loses Secure and __Host-, and there is no HSTS "+
			"(behind a proxy that terminates TLS, give the https URL technicians use; on loopback http is fine; "+
			"ASSISTDESK_ALLOW_HTTP=true accepts it deliberately), got %q", c.PublicURL.String())
	}
	if c.MaxWait > MaxWaitLimit {
		r.fail("ASSISTDESK_MAX_WAIT", "must be at most %s: nobody watches a request waiting for Graph longer", MaxWaitLimit)
	}
	if c.ReadCache > ReadCacheLimit {
		r.fail("ASSISTDESK_READ_CACHE", "must be at most %s: a page would show what Intune said that long ago", ReadCacheLimit)
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
