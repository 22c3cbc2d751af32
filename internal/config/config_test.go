package config

import (
	"encoding/base64"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func valid() map[string]string {
	return map[string]string{
		"ASSISTDESK_PUBLIC_URL":         "https://assist.example.com",
		"ASSISTDESK_OIDC_ISSUER":        "https://login.microsoftonline.com/tenant/v2.0",
		"ASSISTDESK_OIDC_CLIENT_ID":     "client",
		"ASSISTDESK_OIDC_CLIENT_SECRET": "secret",
		"ASSISTDESK_ALLOWED_ROLES":      "Assistdesk.Technician, Helpdesk.Lead",
		"ASSISTDESK_TOKEN_KEY":          "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != ":8080" || c.SessionIdleTimeout != 30*time.Minute || c.SessionMaxAge != 12*time.Hour ||
		c.LogFormat != "json" || c.GraphURL != "https://graph.microsoft.com" || c.RedirectURL() != "https://assist.example.com/auth/callback" || !c.Secure() {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.DatabaseURL != "sqlite:assistdesk.db" || len(c.TokenKey) != 32 || c.AuditRetention != 400*24*time.Hour ||
		c.MaxWait != time.Minute || c.InstanceName == "" || c.ReadBudget != 1800 {
		t.Fatalf("storage defaults: %q key %d retention %s wait %s instance %q", c.DatabaseURL, len(c.TokenKey), c.AuditRetention, c.MaxWait, c.InstanceName)
	}
	if c.AssistRateLimit != 30 || c.SignInRateLimit != 30 || len(c.TrustedProxies) != 0 {
		t.Fatalf("rate limits %d/%d, proxies %v", c.AssistRateLimit, c.SignInRateLimit, c.TrustedProxies)
	}
	if got := strings.Join(c.AllowedRoles, "|"); got != "Assistdesk.Technician|Helpdesk.Lead" {
		t.Fatalf("roles = %q", got)
	}
	if strings.Join(c.OIDCScopes, " ") != strings.Join(DefaultScopes, " ") {
		t.Fatalf("scopes = %v", c.OIDCScopes)
	}
}

func TestLoadNamesEveryProblem(t *testing.T) {
	_, err := Load(env(map[string]string{
		"ASSISTDESK_OIDC_ISSUER":          "http://idp.example.com",
		"ASSISTDESK_SESSION_IDLE_TIMEOUT": "soon",
		"ASSISTDESK_LOG_FORMAT":           "xml",
	}))
	if err == nil {
		t.Fatal("an empty environment was accepted")
	}
	for _, want := range []string{
		"ASSISTDESK_PUBLIC_URL: is required",
		"ASSISTDESK_OIDC_ISSUER: must use https",
		"ASSISTDESK_OIDC_CLIENT_ID: is required",
		"ASSISTDESK_OIDC_CLIENT_SECRET: is required",
		"ASSISTDESK_TOKEN_KEY: is required",
		"ASSISTDESK_ALLOWED_ROLES",
		"ASSISTDESK_SESSION_IDLE_TIMEOUT: must be a positive duration",
		"ASSISTDESK_LOG_FORMAT: must be one of json, text",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q:\n%v", want, err)
		}
	}
}

func TestLoadRefusesBadValues(t *testing.T) {
	tests := map[string]struct{ key, value, want string }{
		"public URL with path":  {"ASSISTDESK_PUBLIC_URL", "https://x.example/portal", "site root"},
		"public URL relative":   {"ASSISTDESK_PUBLIC_URL", "assist.example", "absolute"},
		"listen without port":   {"ASSISTDESK_LISTEN_ADDR", "8080", "host:port"},
		"scopes without openid": {"ASSISTDESK_OIDC_SCOPES", "profile email", "openid"},
		"log level":             {"ASSISTDESK_LOG_LEVEL", "loud", "debug, info"},
		"allow any user":        {"ASSISTDESK_ALLOW_ANY_USER", "perhaps", "true or false"},
		"idle above max":        {"ASSISTDESK_SESSION_IDLE_TIMEOUT", "13h", "must not exceed"},
		"trusted proxies":       {"ASSISTDESK_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local", "not a CIDR"},
		"rate limit":            {"ASSISTDESK_ASSIST_RATE_LIMIT", "0", "at least 1"},
		"max wait too long":     {"ASSISTDESK_MAX_WAIT", "3m", "at most 2m"},
		"database":              {"ASSISTDESK_DATABASE_URL", "mysql://x", "sqlite:PATH or postgres"},
		"short token key":       {"ASSISTDESK_TOKEN_KEY", "c2hvcnQ=", "32 random bytes"},
		"retention":             {"ASSISTDESK_AUDIT_RETENTION", "forever", "duration"},
		"retention days":        {"ASSISTDESK_AUDIT_RETENTION", "-3d", "number of days"},
		"graph over http":       {"ASSISTDESK_GRAPH_URL", "http://graph.example.com", "https"},
		"graph with version":    {"ASSISTDESK_GRAPH_URL", "https://graph.microsoft.com/v1.0", "no path"},
		"read budget zero":      {"ASSISTDESK_READ_BUDGET", "0", "at least 1"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m := valid()
			m[tt.key] = tt.value
			_, err := Load(env(m))
			if err == nil || !strings.Contains(err.Error(), tt.key) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %s: …%s…", err, tt.key, tt.want)
			}
		})
	}
}

func TestFailClosedWithoutRolesOrGroups(t *testing.T) {
	m := valid()
	delete(m, "ASSISTDESK_ALLOWED_ROLES")
	if _, err := Load(env(m)); err == nil {
		t.Fatal("started with nobody named as technician")
	}
	m["ASSISTDESK_ALLOW_ANY_USER"] = "true"
	if _, err := Load(env(m)); err != nil {
		t.Fatalf("deliberate ALLOW_ANY_USER refused: %v", err)
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := valid()
	delete(m, "ASSISTDESK_OIDC_CLIENT_SECRET")
	m["ASSISTDESK_OIDC_CLIENT_SECRET_FILE"] = path
	c, err := Load(env(m))
	if err != nil || c.OIDCClientSecret != "from-file" {
		t.Fatalf("secret = %q, err %v", c.OIDCClientSecret, err)
	}
	m["ASSISTDESK_OIDC_CLIENT_SECRET"] = "direct"
	if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("both set: err %v", err)
	}
	m = valid()
	delete(m, "ASSISTDESK_OIDC_CLIENT_SECRET")
	m["ASSISTDESK_OIDC_CLIENT_SECRET_FILE"] = filepath.Join(t.TempDir(), "missing")
	if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "ASSISTDESK_OIDC_CLIENT_SECRET_FILE") {
		t.Fatalf("missing file: err %v", err)
	}
}

func TestHelpListsEveryVariableLoadReads(t *testing.T) {
	var read []string
	_, _ = Load(func(k string) string { read = append(read, k); return "" })
	var help strings.Builder
	if err := WriteHelp(&help); err != nil {
		t.Fatal(err)
	}
	for _, k := range read {
		k = strings.TrimSuffix(k, "_FILE")
		if !strings.Contains(help.String(), k) {
			t.Errorf("--help does not document %s", k)
		}
	}
}

func TestReadmeDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Variables {
		if !strings.Contains(string(readme), "`"+v.Name+"`") {
			t.Errorf("README.md's configuration table lacks %s", v.Name)
		}
	}
}

func TestMetricsTokenIsOptionalButNotWeak(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil || c.MetricsToken != "" {
		t.Fatalf("unset: token %q, err %v", c.MetricsToken, err)
	}
	m := valid()
	m["ASSISTDESK_METRICS_TOKEN"] = "short"
	if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "ASSISTDESK_METRICS_TOKEN") {
		t.Fatalf("a 5-character token: err %v", err)
	}
	path := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(path, []byte("scrape-me-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m = valid()
	m["ASSISTDESK_METRICS_TOKEN_FILE"] = path
	if c, err := Load(env(m)); err != nil || c.MetricsToken != "scrape-me-0123456789" {
		t.Fatalf("from file: token %q, err %v", c.MetricsToken, err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	m["ASSISTDESK_METRICS_TOKEN_FILE"] = empty
	if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("an empty token file must not leave /metrics open: err %v", err)
	}
}

// An http public URL beyond loopback costs the cookie its Secure flag and
// the site its HSTS: refused unless the operator says so by name.
func TestPlainHTTPPublicURLNeedsADeliberateSetting(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://assist.example.com":  false,
		"http://10.1.2.3:8080":       false,
		"http://127.0.0.1:8080":      true,
		"http://localhost:8080":      true,
		"https://assist.example.com": true,
	} {
		m := valid()
		m["ASSISTDESK_PUBLIC_URL"] = url
		_, err := Load(env(m))
		if (err == nil) != ok || err != nil && !strings.Contains(err.Error(), "ASSISTDESK_ALLOW_HTTP") {
			t.Errorf("%s: %v", url, err)
		}
		m["ASSISTDESK_ALLOW_HTTP"] = "true"
		if _, err := Load(env(m)); err != nil {
			t.Errorf("%s with ASSISTDESK_ALLOW_HTTP=true: %v", url, err)
		}
	}
}

func TestTicketWebhookSettings(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 32))
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret of 24+ bytes!"))
	c, err := Load(env(valid()))
	if err != nil || c.TicketWebhook != nil {
		t.Fatalf("unset: %+v, %v", c.TicketWebhook, err)
	}
	m := valid()
	m["ASSISTDESK_TICKET_WEBHOOK_URL"] = "https://tickets.example.com/hooks/assistdesk?token=t0k"
	m["ASSISTDESK_TICKET_WEBHOOK_SECRET"] = secret + " " + other
	c, err = Load(env(m))
	if err != nil || len(c.TicketWebhook.Secrets) != 2 || c.TicketWebhook.Timeout != 10*time.Second || c.TicketWebhook.AllowPrivate {
		t.Fatalf("set: %+v, %v", c.TicketWebhook, err)
	}
	for name, change := range map[string]map[string]string{
		"no secret":             {"ASSISTDESK_TICKET_WEBHOOK_SECRET": ""},
		"not whsec_":            {"ASSISTDESK_TICKET_WEBHOOK_SECRET": "hunter2hunter2hunter2hunter2"},
		"too short":             {"ASSISTDESK_TICKET_WEBHOOK_SECRET": "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 8))},
		"http without allowing": {"ASSISTDESK_TICKET_WEBHOOK_URL": "http://tickets.internal/hook"},
		"credentials":           {"ASSISTDESK_TICKET_WEBHOOK_URL": "https://user:s3cr3t@tickets.example.com/hook"},
		"relative":              {"ASSISTDESK_TICKET_WEBHOOK_URL": "/hook"},
		"secret without URL":    {"ASSISTDESK_TICKET_WEBHOOK_URL": ""},
	} {
		bad := maps.Clone(m)
		maps.Copy(bad, change)
		_, err := Load(env(bad))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, leak := range []string{"hunter2", "t0k", "s3cr3t", strings.TrimPrefix(secret, "whsec_")} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: the error shows %q: %v", name, leak, err)
			}
		}
	}
	m["ASSISTDESK_TICKET_WEBHOOK_URL"] = "http://127.0.0.1:9000/hook"
	m["ASSISTDESK_TICKET_WEBHOOK_ALLOW_PRIVATE"] = "true"
	if c, err := Load(env(m)); err != nil || !c.TicketWebhook.AllowPrivate {
		t.Fatalf("a private receiver, allowed: %v", err)
	}
}
