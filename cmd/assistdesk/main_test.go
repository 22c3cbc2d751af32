package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/assistdesk/assistdesk/internal/config"
)

func TestServeRefusesToStartNamingMissingVariables(t *testing.T) {
	env := map[string]string{"ASSISTDESK_PUBLIC_URL": "https://assist.example.com"}
	err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err == nil {
		t.Fatal("serve started without its configuration")
	}
	for _, name := range []string{"ASSISTDESK_OIDC_ISSUER", "ASSISTDESK_OIDC_CLIENT_ID", "ASSISTDESK_OIDC_CLIENT_SECRET", "ASSISTDESK_ALLOWED_ROLES"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "ASSISTDESK_PUBLIC_URL") {
		t.Errorf("the error names a variable that is set:\n%v", err)
	}
}

func TestUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"assistdesk demo", "assistdesk serve", "assistdesk healthcheck", "ASSISTDESK_OIDC_ISSUER"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help does not mention %q", want)
		}
	}
	err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out)
	if !errors.Is(err, errUsage) {
		t.Fatalf("unknown command: err %v, want a usage error", err)
	}
}

func TestDemoListensOnLoopbackOnly(t *testing.T) {
	err := run(context.Background(), []string{"demo", "-addr", "0.0.0.0:0"}, func(string) string { return "" }, &bytes.Buffer{})
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v, want a refusal to listen beyond loopback", err)
	}
}

func TestSessionCookieOverHTTPSIsHostBoundAndSecure(t *testing.T) {
	env := map[string]string{
		"ASSISTDESK_PUBLIC_URL": "https://assist.example.com", "ASSISTDESK_OIDC_ISSUER": "https://idp.example.com",
		"ASSISTDESK_OIDC_CLIENT_ID": "c", "ASSISTDESK_OIDC_CLIENT_SECRET": "s", "ASSISTDESK_ALLOWED_ROLES": "r",
		"ASSISTDESK_TOKEN_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	s := newSessions(cfg, memstore.New())
	if s.Cookie.Name != "__Host-assistdesk_session" || !s.Cookie.Secure || !s.Cookie.HttpOnly ||
		s.Cookie.SameSite != http.SameSiteLaxMode || s.Cookie.Path != "/" || s.Cookie.Domain != "" {
		t.Fatalf("cookie %+v", s.Cookie)
	}
	if s.IdleTimeout != 0 || s.Lifetime != 12*time.Hour {
		t.Fatalf("idle %s (the server enforces it, not scs), lifetime %s", s.IdleTimeout, s.Lifetime)
	}
	// The cookie ends with the browser: set, it carries no Max-Age or Expires.
	h := s.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.Put(r.Context(), "k", "v") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://assist.example.com/", nil))
	if set := rec.Header().Get("Set-Cookie"); !strings.HasPrefix(set, "__Host-assistdesk_session=") || strings.Contains(set, "Max-Age") || strings.Contains(set, "Expires") {
		t.Fatalf("the session cookie is %q, want one that ends with the browser", set)
	}
}

func TestOversizedHeadersAndURLsAreRefused(t *testing.T) {
	stack := launchDemo(t, demoOptions{})
	for name, req := range map[string]func() *http.Request{
		"header": func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, stack.PortalURL+"/healthz", nil)
			r.Header.Set("X-Padding", strings.Repeat("a", 40<<10))
			return r
		},
		"URL": func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, stack.PortalURL+"/?q="+strings.Repeat("a", 40<<10), nil)
			return r
		},
	} {
		resp, err := http.DefaultClient.Do(req())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("oversized %s: status %d, want 431", name, resp.StatusCode)
		}
	}
	// The limit is what the docs say, 32 KiB for the request line and
	// headers, not 32 KiB plus net/http's slack.
	for size, want := range map[int]int{31 << 10: http.StatusOK, 33 << 10: http.StatusRequestHeaderFieldsTooLarge, 36500: http.StatusRequestHeaderFieldsTooLarge} {
		resp, err := http.Get(stack.PortalURL + "/healthz?pad=" + strings.Repeat("a", size-len("GET /healthz?pad= HTTP/1.1\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("a request line of %d bytes: status %d, want %d", size, resp.StatusCode, want)
		}
	}
}

func TestDemoAndGraphsimTakeTheSimulatorsFaultFlags(t *testing.T) {
	env := func(string) string { return "" }
	for _, cmd := range []string{"demo", "graphsim"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{cmd, "-h"}, env, &out); err != nil {
			t.Fatalf("%s -h: %v", cmd, err)
		}
		for _, flag := range []string{"-latency", "-fail-rate", "-throttle", "-read-limit", "-write-limit", "-device-fault"} {
			if !strings.Contains(out.String(), flag) {
				t.Errorf("%s -h does not offer %s", cmd, flag)
			}
		}
		err := run(context.Background(), []string{cmd, "-fail-rate", "POST=lots"}, env, &out)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "fail-rate") {
			t.Errorf("%s with a bad -fail-rate: %v", cmd, err)
		}
		err = run(context.Background(), []string{cmd, "-read-limit", "2000/later"}, env, &out)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "read-limit") {
			t.Errorf("%s with a bad -read-limit: %v", cmd, err)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo", "-read-budget", "-1"}, env, &out); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "read-budget") {
		t.Errorf("demo with a negative -read-budget: %v", err)
	}
}

func TestOnlyThePortalsCommandsTuneTheCollector(t *testing.T) {
	for _, args := range [][]string{{"serve"}, {"demo", "-addr", "127.0.0.1:0"}} {
		if !runsPortal(args) {
			t.Errorf("%v does not tune the collector", args)
		}
	}
	for _, args := range [][]string{nil, {"graphsim", "-tenant", "large"}, {"healthcheck"}, {"help"}} {
		if runsPortal(args) {
			t.Errorf("%v tunes the collector as the portal's", args)
		}
	}
}

func TestGCTuningYieldsToTheEnvironment(t *testing.T) {
	old := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(old); debug.SetMemoryLimit(oldLimit) })

	if room := tuneGC(func(string) string { return "" }); room == nil {
		t.Error("no room for requests in flight under the portal's own limit")
	}
	if got := debug.SetGCPercent(100); got != 400 {
		t.Errorf("GOGC tuned to %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != 40<<20 {
		t.Errorf("memory limit %d, want 40 MiB", got)
	}
	if room := tuneGC(func(k string) string { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}[k] }); room != nil {
		t.Error("the portal would move a GOMEMLIMIT the environment set")
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set in the environment was overridden: %d", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set in the environment was overridden: %d", got)
	}
}

func TestServeWarnsOfWhatItLeavesOpen(t *testing.T) {
	base := map[string]string{
		"ASSISTDESK_PUBLIC_URL": "https://assist.example.com", "ASSISTDESK_OIDC_ISSUER": "https://login.example.com/t/v2.0",
		"ASSISTDESK_OIDC_CLIENT_ID": "c", "ASSISTDESK_OIDC_CLIENT_SECRET": "s", "ASSISTDESK_ALLOWED_ROLES": "Assistdesk.Technician",
		"ASSISTDESK_TOKEN_KEY": base64.StdEncoding.EncodeToString(make([]byte, 32)),
	}
	load := func(extra map[string]string) *config.Config {
		t.Helper()
		env := maps.Clone(base)
		maps.Copy(env, extra)
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	if w := startupWarnings(load(map[string]string{"ASSISTDESK_METRICS_TOKEN": "scrape-token-0123456789"})); len(w) != 0 {
		t.Errorf("a closed configuration warns: %q", w)
	}
	w := startupWarnings(load(map[string]string{"ASSISTDESK_PUBLIC_URL": "http://assist.example.com", "ASSISTDESK_ALLOW_HTTP": "true"}))
	if len(w) != 2 || !strings.Contains(w[0], "/metrics") || !strings.Contains(w[1], "plain http") {
		t.Errorf("open /metrics and plain http warn %q", w)
	}
}
