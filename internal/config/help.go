package config

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Variable documents one environment variable for --help and the README.
type Variable struct {
	Name, Meaning, Default string
}

// Variables lists every variable Load reads, in the order an operator sets them.
var Variables = []Variable{
	{"ASSISTDESK_LISTEN_ADDR", "listen address", ":8080"},
	{"ASSISTDESK_PUBLIC_URL", "the URL technicians use; the redirect URI is {PUBLIC_URL}/auth/callback", "required"},
	{"ASSISTDESK_OIDC_ISSUER", "issuer URL (Entra: https://login.microsoftonline.com/{tenant}/v2.0)", "required"},
	{"ASSISTDESK_OIDC_CLIENT_ID", "client id", "required"},
	{"ASSISTDESK_OIDC_CLIENT_SECRET", "client secret (or ASSISTDESK_OIDC_CLIENT_SECRET_FILE: a file holding it)", "required"},
	{"ASSISTDESK_OIDC_SCOPES", "space-separated scopes", "openid profile email offline_access + Graph's " + graphScopeNames()},
	{"ASSISTDESK_GRAPH_URL", "Graph root; the client adds /v1.0 or /beta per call", "https://graph.microsoft.com"},
	{"ASSISTDESK_DATABASE_URL", "sqlite:PATH, or postgres://… to run several instances", "sqlite:assistdesk.db"},
	{"ASSISTDESK_TOKEN_KEY", "32 random bytes in base64 sealing Graph tokens at rest (or ASSISTDESK_TOKEN_KEY_FILE)", "required"},
	{"ASSISTDESK_ALLOWED_ROLES", "comma list of app roles allowed to use the portal", "one of ROLES/GROUPS required"},
	{"ASSISTDESK_ALLOWED_GROUPS", "comma list of group object ids allowed to use the portal", "one of ROLES/GROUPS required"},
	{"ASSISTDESK_ALLOW_ANY_USER", "true lets every signed-in user in (deliberate opt-out of the role check)", "false"},
	{"ASSISTDESK_ALLOW_HTTP", "true accepts an http public URL beyond loopback (cookies without Secure, no HSTS): a deliberate opt-out", "false"},
	{"ASSISTDESK_AUDITOR_ROLES", "comma list of app roles that may read the audit trail", "none"},
	{"ASSISTDESK_AUDITOR_GROUPS", "comma list of group object ids that may read the audit trail", "none"},
	{"ASSISTDESK_SESSION_IDLE_TIMEOUT", "sign-out after this long without a request", "30m"},
	{"ASSISTDESK_SESSION_MAX_AGE", "absolute session lifetime", "12h"},
	{"ASSISTDESK_TRUSTED_PROXIES", "comma list of CIDRs whose X-Forwarded-For is believed for the client IP", "none"},
	{"ASSISTDESK_ASSIST_RATE_LIMIT", "most assistance requests one technician may make in any minute, counted on each instance", "30"},
	{"ASSISTDESK_SIGNIN_RATE_LIMIT", "most sign-in starts one browser may make in any minute (one address: ten times as many), counted on each instance", "30"},
	{"ASSISTDESK_INSTANCE_NAME", "this instance's name in logs and the audit trail", "host name"},
	{"ASSISTDESK_WRITE_BUDGET", "Graph writes allowed per 20 s, shared by all instances (Intune allows an app 200)", "200"},
	{"ASSISTDESK_READ_BUDGET", "Intune reads allowed per 20 s, shared by all instances (Intune allows an app 2,000 requests, writes included: keep both budgets within it)", "1800"},
	{"ASSISTDESK_READ_CACHE", "how long a technician's own Graph reads are reused by their next pages (at most 5m; 0: never); pages say how old what they show is", "1m"},
	{"ASSISTDESK_MAX_WAIT", "longest an assistance request waits for its outcome (at most 2m)", "60s"},
	{"ASSISTDESK_AUDIT_RETENTION", "how long audit rows are kept (e.g. 400d)", "400d"},
	{"ASSISTDESK_SHUTDOWN_GRACE", "time in-flight requests get on SIGTERM", "10s"},
	{"ASSISTDESK_METRICS_TOKEN", "bearer token /metrics requires (or ASSISTDESK_METRICS_TOKEN_FILE)", "none: /metrics is open"},
	{"ASSISTDESK_TICKET_WEBHOOK_URL", "where to tell ticket systems what became of requests made from their tickets (Standard Webhooks POSTs)", "none: no write-back"},
	{"ASSISTDESK_TICKET_WEBHOOK_SECRET", "one or more whsec_ secrets, space-separated, each signing every event (or ASSISTDESK_TICKET_WEBHOOK_SECRET_FILE)", "required with the URL"},
	{"ASSISTDESK_TICKET_WEBHOOK_ALLOW_PRIVATE", "true allows an http receiver, and one on a private or loopback address", "false: https, public addresses only"},
	{"ASSISTDESK_TICKET_WEBHOOK_TIMEOUT", "longest one delivery may take", "10s"},
	{"ASSISTDESK_LOG_FORMAT", "json or text", "json (text in the demo)"},
	{"ASSISTDESK_LOG_LEVEL", "debug, info, warn or error", "info"},
}

func graphScopeNames() string {
	names := make([]string, len(GraphScopes))
	for i, s := range GraphScopes {
		names[i] = strings.TrimPrefix(s, "https://graph.microsoft.com/")
	}
	return strings.Join(names, ", ")
}

// WriteHelp prints the variable table.
func WriteHelp(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, v := range Variables {
		fmt.Fprintf(tw, "  %s\t%s\t[%s]\n", v.Name, v.Meaning, v.Default)
	}
	return tw.Flush()
}
