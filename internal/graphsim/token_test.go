package graphsim

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/testissuer"
)

func TestTokenRefusals(t *testing.T) {
	e := newEnv(t, Config{})
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Hour
	cases := []struct {
		name, token, message string
	}{
		{"no token", "", "Access token is empty."},
		{"not a JWT", "not-a-jwt", "Invalid JWT token."},
		{"expired", e.iss.Token(t, map[string]any{"exp": time.Now().Add(-hour).Unix()}), "Access token has expired or is not yet valid."},
		{"not yet valid", e.iss.Token(t, map[string]any{"nbf": time.Now().Add(hour).Unix()}), "Access token has expired or is not yet valid."},
		{"no expiry", e.iss.Token(t, map[string]any{"exp": nil}), "Access token has expired or is not yet valid."},
		{"wrong audience", e.iss.Token(t, map[string]any{"aud": "api://assistdesk"}), "Invalid audience."},
		{"ID token: no scp", e.iss.Token(t, map[string]any{"scp": nil, "aud": []string{"client-id", "https://graph.microsoft.com"}}), "Access token validation failure."},
		{"blank scp", e.iss.Token(t, map[string]any{"scp": " "}), "Access token validation failure."},
		{"wrong issuer", e.iss.Token(t, map[string]any{"iss": "https://login.microsoftonline.com/other/v2.0"}), "Invalid issuer."},
		{"bad signature", testissuer.Sign(t, otherKey, "key-1", e.iss.Claims(), nil), "Access token validation failure."},
		{"unknown kid", testissuer.Sign(t, otherKey, "key-9", e.iss.Claims(), nil), "Access token validation failure."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(http.MethodGet, "/v1.0/users", tc.token)
			ge := r.wantError(t, http.StatusUnauthorized, "InvalidAuthenticationToken")
			if !strings.Contains(ge.Error.Message, tc.message) {
				t.Errorf("message %q, want %q", ge.Error.Message, tc.message)
			}
			if got := r.header.Get("WWW-Authenticate"); got != wwwAuthenticate {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		})
	}
	for _, req := range e.sim.Requests() {
		if req.TokenID != "" || req.Status != http.StatusUnauthorized {
			t.Errorf("refused request recorded as %+v", req)
		}
	}
}

func TestTokenAcceptedAndRecorded(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.iss.Token(t, map[string]any{"jti": "token-1", "aud": []string{"https://graph.microsoft.com", "other"}})
	clientID := "0f8fad5b-d9cb-469f-a165-70867728950e"
	r := e.call(http.MethodGet, "/v1.0/users?$top=1", tok, "client-request-id", clientID, "ConsistencyLevel", "eventual")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if r.header.Get("client-request-id") != clientID || !isGUID(r.header.Get("request-id")) {
		t.Errorf("headers: %v", r.header)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json;") {
		t.Errorf("Content-Type = %q", ct)
	}
	reqs := e.sim.Requests()
	want := Request{Method: "GET", Path: "/v1.0/users", RawQuery: "$top=1", ConsistencyLevel: "eventual",
		ClientRequestID: clientID, Status: 200, TokenID: "token-1", TokenOID: "11111111-2222-3333-4444-555555555555"}
	got := reqs[len(reqs)-1]
	got.Time = time.Time{}
	if got != want {
		t.Errorf("recorded %+v\nwant %+v", got, want)
	}

	// A client-request-id that is not a GUID is replaced, as Graph does.
	r = e.call(http.MethodGet, "/v1.0/users?$top=1", tok, "client-request-id", "abc")
	if got := r.header.Get("client-request-id"); got == "abc" || !isGUID(got) {
		t.Errorf("client-request-id = %q", got)
	}
}

func TestKeysCachedAndRotated(t *testing.T) {
	e := newEnv(t, Config{})
	for range 3 {
		if r := e.get("/v1.0/users?$top=1"); r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	}
	if n := e.iss.Fetches(); n != 1 {
		t.Errorf("JWKS fetched %d times for one key, want 1", n)
	}
	e.iss.Rotate(t, "key-2")
	if r := e.get("/v1.0/users?$top=1"); r.status != http.StatusOK {
		t.Fatalf("after rotation: status %d: %s", r.status, r.body)
	}
	if n := e.iss.Fetches(); n != 2 {
		t.Errorf("JWKS fetched %d times after a rotation, want 2", n)
	}
}

func TestMissingScope(t *testing.T) {
	e := newEnv(t, Config{})
	adele, _ := testTenant().UserByUPN(DemoAdeleUPN)
	device := testTenant().DevicesOfUser(adele.ID)[0]
	cases := []struct {
		name, method, path, scopes, code, message string
	}{
		{"users", "GET", "/v1.0/users", "DeviceManagementManagedDevices.ReadWrite.All", "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		{"devices", "GET", "/beta/deviceManagement/managedDevices", "User.ReadBasic.All", "Forbidden", "DeviceManagementManagedDevices.Read.All, DeviceManagementManagedDevices.ReadWrite.All"},
		{"user's devices", "GET", "/beta/users/" + adele.ID + "/managedDevices", "User.Read.All", "Forbidden", "Application is not authorized to perform this operation."},
		{"scripts", "GET", "/beta/deviceManagement/deviceManagementScripts", "DeviceManagementManagedDevices.ReadWrite.All", "Forbidden", "DeviceManagementConfiguration.Read.All"},
		{"action with read only", "POST", "/beta/deviceManagement/managedDevices/" + device.ID + "/requestRemoteAssistance", "DeviceManagementManagedDevices.Read.All", "Forbidden", "DeviceManagementManagedDevices.ReadWrite.All"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(tc.method, tc.path, e.iss.Token(t, map[string]any{"scp": tc.scopes}))
			ge := r.wantError(t, http.StatusForbidden, tc.code)
			if !strings.Contains(ge.Error.Message, tc.message) {
				t.Errorf("message %q, want it to contain %q", ge.Error.Message, tc.message)
			}
		})
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions executed without permission", n)
	}
}
