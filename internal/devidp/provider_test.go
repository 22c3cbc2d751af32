package devidp

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

const (
	testClientID      = "assistdesk-portal"
	testClientSecret  = "not-a-real-secret"
	testRedirectURI   = "http://127.0.0.1:9/auth/callback"
	testPostLogoutURI = "http://127.0.0.1:9/signed-out"
	graphAudience     = "https://graph.microsoft.com"
	graphDevicesScope = "https://graph.microsoft.com/DeviceManagementManagedDevices.ReadWrite.All"
	graphUsersScope   = "https://graph.microsoft.com/User.ReadBasic.All"
)

// testEnv is a provider served on a real loopback listener, with a relying
// party configured from its discovery document.
type testEnv struct {
	issuer   string
	rp       *gooidc.Provider
	oauth    oauth2.Config
	browser  *http.Client // does not follow redirects, so each hop is checked
	ctx      context.Context
	harperID string
	provider *Provider
}

func start(t *testing.T) *testEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	p, err := New(Config{
		Issuer:        issuer,
		TenantID:      DemoTenantID(),
		GraphAudience: graphAudience,
		Clients: []Client{{
			ID:                     testClientID,
			Secret:                 testClientSecret,
			RedirectURIs:           []string{testRedirectURI},
			PostLogoutRedirectURIs: []string{testPostLogoutURI},
		}},
		People: DemoPeople(),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	ctx := t.Context()
	rp, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	endpoint := rp.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader // client_secret_basic
	return &testEnv{
		provider: p,
		issuer:   issuer,
		rp:       rp,
		oauth: oauth2.Config{
			ClientID:     testClientID,
			ClientSecret: testClientSecret,
			Endpoint:     endpoint,
			RedirectURL:  testRedirectURI,
			Scopes: []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess,
				graphUsersScope, graphDevicesScope},
		},
		browser: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		ctx:      ctx,
		harperID: DemoPeople()[0].ObjectID,
	}
}

// do sends a browser request and returns the status, the resolved Location
// and the body.
func (e *testEnv) do(t *testing.T, method, target string, form url.Values) (int, *url.URL, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(e.ctx, method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.browser.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	loc, err := resp.Location()
	if err != nil {
		loc = nil
	}
	return resp.StatusCode, loc, string(b)
}

// toPicker starts an authorization and returns the picker page URL.
func (e *testEnv) toPicker(t *testing.T, state string, opts ...oauth2.AuthCodeOption) *url.URL {
	t.Helper()
	status, loc, body := e.do(t, http.MethodGet, e.oauth.AuthCodeURL(state, opts...), nil)
	if status != http.StatusFound || loc == nil || loc.Path != "/picker" {
		t.Fatalf("authorize: want redirect to /picker, got %d %v %s", status, loc, body)
	}
	return loc
}

var pickButton = regexp.MustCompile(`value="([^"]+)" data-testid="pick-harper"`)

// signInAsHarper runs the browser part of the code flow and returns the code.
func (e *testEnv) signInAsHarper(t *testing.T, verifier, nonce string) string {
	t.Helper()
	state := "state-" + nonce
	picker := e.toPicker(t, state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))

	status, _, page := e.do(t, http.MethodGet, picker.String(), nil)
	if status != http.StatusOK || !strings.Contains(page, "Demo sign-in") {
		t.Fatalf("picker: %d %s", status, page)
	}
	m := pickButton.FindStringSubmatch(page)
	if m == nil || m[1] != e.harperID {
		t.Fatalf("picker has no button for Harper: %s", page)
	}
	form := url.Values{"authRequestID": {picker.Query().Get("authRequestID")}, "person": {m[1]}}
	status, callback, body := e.do(t, http.MethodPost, e.issuer+"/picker", form)
	if status != http.StatusSeeOther || callback == nil {
		t.Fatalf("pick: %d %s", status, body)
	}

	status, back, body := e.do(t, http.MethodGet, callback.String(), nil)
	if status != http.StatusFound || back == nil {
		t.Fatalf("callback: %d %s", status, body)
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != testRedirectURI {
		t.Fatalf("redirected to %s, want %s", got, testRedirectURI)
	}
	if got := back.Query().Get("state"); got != state {
		t.Fatalf("state = %q, want %q", got, state)
	}
	code := back.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", back)
	}
	return code
}

func TestDiscoveryAndKeys(t *testing.T) {
	e := start(t)
	var meta struct {
		Issuer          string   `json:"issuer"`
		JWKSURI         string   `json:"jwks_uri"`
		EndSession      string   `json:"end_session_endpoint"`
		PKCEMethods     []string `json:"code_challenge_methods_supported"`
		TokenAuth       []string `json:"token_endpoint_auth_methods_supported"`
		IDTokenSignAlgs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := e.rp.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	if meta.Issuer != e.issuer {
		t.Errorf("issuer = %q, want %q", meta.Issuer, e.issuer)
	}
	if !slices.Equal(meta.PKCEMethods, []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported = %v", meta.PKCEMethods)
	}
	if !slices.Contains(meta.TokenAuth, "client_secret_basic") || !slices.Contains(meta.TokenAuth, "client_secret_post") {
		t.Errorf("token_endpoint_auth_methods_supported = %v", meta.TokenAuth)
	}
	if !slices.Equal(meta.IDTokenSignAlgs, []string{"RS256"}) {
		t.Errorf("id_token_signing_alg_values_supported = %v", meta.IDTokenSignAlgs)
	}
	if meta.EndSession != e.issuer+"/end_session" {
		t.Errorf("end_session_endpoint = %q", meta.EndSession)
	}

	status, _, body := e.do(t, http.MethodGet, meta.JWKSURI, nil)
	if status != http.StatusOK {
		t.Fatalf("jwks: %d %s", status, body)
	}
	var jwks jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(body), &jwks); err != nil {
		t.Fatal(err)
	}
	if len(jwks.Keys) != 1 {
		t.Fatalf("jwks has %d keys, want 1", len(jwks.Keys))
	}
	k := jwks.Keys[0]
	pub, ok := k.Key.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 || k.Algorithm != "RS256" || k.Use != "sig" || k.KeyID == "" {
		t.Errorf("unexpected key: alg=%q use=%q kid=%q type=%T", k.Algorithm, k.Use, k.KeyID, k.Key)
	}
}
