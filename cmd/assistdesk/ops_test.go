package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/signintest"
)

// The portal newPortal builds is ready, and its metrics see Graph and the
// sessions table, with the demo's real provider, simulator and database.
func TestPortalIsReadyAndMeasured(t *testing.T) {
	stack := launchDemo(t, demoOptions{})
	resp, err := http.Get(stack.PortalURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: status %d", resp.StatusCode)
	}
	c := signintest.Browser(t)
	signintest.SignIn(t, c, stack.PortalURL, "/", "harper")
	signintest.Get(t, c, stack.PortalURL+"/users/"+graphsim.DemoAdeleUPN)
	metrics := signintest.Get(t, http.DefaultClient, stack.PortalURL+"/metrics")
	b, err := io.ReadAll(metrics.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`assistdesk_graph_request_duration_seconds_count{endpoint="GET /users/{id}",status="200"}`,
		"assistdesk_sessions_active 1",
		"go_goroutines",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// The provider is ready once its key set holds an RSA key, fetched until
// then; after that an outage of the provider does not make the portal
// unready, since signed-in technicians can still work.
func TestProviderReadinessWaitsForSigningKeys(t *testing.T) {
	var keys atomic.Value
	keys.Store(`{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}`)
	var up atomic.Bool
	up.Store(true)
	var issuer string
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{
				"issuer": issuer, "authorization_endpoint": issuer + "/authorize",
				"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/keys",
			})
		case "/keys":
			_, _ = w.Write([]byte(keys.Load().(string)))
		default:
			http.NotFound(w, r)
		}
	}))
	defer idp.Close()
	issuer = idp.URL
	p := &providerKeys{issuer: issuer, client: &http.Client{Timeout: time.Second}}
	if err := p.check(context.Background()); err == nil || !strings.Contains(err.Error(), "no RSA key") {
		t.Fatalf("a key set without RSA keys: %v", err)
	}
	keys.Store(`{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}]}`)
	if err := p.check(context.Background()); err != nil {
		t.Fatalf("with an RSA key: %v", err)
	}
	up.Store(false)
	if err := p.check(context.Background()); err != nil {
		t.Fatalf("the provider went away after its keys were seen: %v", err)
	}
}
