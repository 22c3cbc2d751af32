package devidp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

type tokenClaims struct {
	Nonce             string   `json:"nonce"`
	OID               string   `json:"oid"`
	TID               string   `json:"tid"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	Email             string   `json:"email"`
	Roles             []string `json:"roles"`
	Groups            []string `json:"groups"`
	Scp               string   `json:"scp"`
	JTI               string   `json:"jti"`
}

// graphClaims verifies an access token the way a Graph-audience resource
// would and returns its claims.
func (e *testEnv) graphClaims(t *testing.T, accessToken string) tokenClaims {
	t.Helper()
	tok, err := e.rp.Verifier(&gooidc.Config{ClientID: graphAudience}).Verify(e.ctx, accessToken)
	if err != nil {
		t.Fatalf("access token: %v", err)
	}
	var c tokenClaims
	if err := tok.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCodeFlow(t *testing.T) {
	e := start(t)
	verifier := oauth2.GenerateVerifier()
	code := e.signInAsHarper(t, verifier, "nonce-1")

	tok, err := e.oauth.Exchange(e.ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idTok, err := e.rp.Verifier(&gooidc.Config{ClientID: testClientID}).Verify(e.ctx, rawID)
	if err != nil {
		t.Fatalf("id token: %v", err)
	}
	var id tokenClaims
	if err := idTok.Claims(&id); err != nil {
		t.Fatal(err)
	}
	harper := DemoPeople()[0]
	if id.Nonce != "nonce-1" || idTok.Subject != harper.ObjectID || id.OID != harper.ObjectID || id.TID != DemoTenantID() {
		t.Errorf("id token nonce/sub/oid/tid = %q/%q/%q/%q", id.Nonce, idTok.Subject, id.OID, id.TID)
	}
	if id.Name != "Harper Helpdesk" || id.PreferredUsername != "harper@contoso.example" || id.Email != harper.Email {
		t.Errorf("id token name/preferred_username/email = %q/%q/%q", id.Name, id.PreferredUsername, id.Email)
	}
	if !slices.Equal(id.Roles, []string{RoleTechnician}) || id.Groups != nil {
		t.Errorf("id token roles/groups = %v/%v", id.Roles, id.Groups)
	}
	if !slices.Contains(idTok.Audience, graphAudience) {
		t.Errorf("id token aud = %v", idTok.Audience)
	}

	at := e.graphClaims(t, tok.AccessToken)
	if at.JTI == "" || e.provider.LastAccessTokenID(harper.ObjectID) != at.JTI {
		t.Errorf("jti %q is not the last access token id recorded for Harper (%q)", at.JTI, e.provider.LastAccessTokenID(harper.ObjectID))
	}
	if at.Scp != "User.ReadBasic.All DeviceManagementManagedDevices.ReadWrite.All" {
		t.Errorf("scp = %q", at.Scp)
	}
	if at.OID != harper.ObjectID || at.TID != DemoTenantID() || !slices.Equal(at.Roles, []string{RoleTechnician}) ||
		at.Name != harper.Name || at.PreferredUsername != harper.Username {
		t.Errorf("access token claims = %+v", at)
	}

	info, err := e.rp.UserInfo(e.ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var ui tokenClaims
	if err := info.Claims(&ui); err != nil {
		t.Fatal(err)
	}
	if info.Subject != harper.ObjectID || ui.OID != harper.ObjectID || ui.TID != DemoTenantID() ||
		ui.Name != harper.Name || ui.PreferredUsername != harper.Username || info.Email != harper.Email {
		t.Errorf("userinfo = sub %q %+v", info.Subject, ui)
	}

	if _, err := e.oauth.Exchange(e.ctx, code, oauth2.VerifierOption(verifier)); err == nil {
		t.Error("a code was redeemed twice")
	}

	// Refresh with client_secret_post this time.
	post := e.oauth
	post.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	refreshed, err := post.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if refreshed.AccessToken == "" || refreshed.AccessToken == tok.AccessToken {
		t.Error("refresh did not issue a new access token")
	}
	if refreshed.RefreshToken == "" || refreshed.RefreshToken == tok.RefreshToken {
		t.Error("refresh token was not rotated")
	}
	if got := e.graphClaims(t, refreshed.AccessToken).Scp; got != at.Scp {
		t.Errorf("refreshed scp = %q, want %q", got, at.Scp)
	}
	rawID, _ = refreshed.Extra("id_token").(string)
	if _, err := e.rp.Verifier(&gooidc.Config{ClientID: testClientID}).Verify(e.ctx, rawID); err != nil {
		t.Errorf("refreshed id token: %v", err)
	}
	if _, err := post.TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Error("a rotated refresh token was accepted again")
	}
}

func TestPKCEIsEnforced(t *testing.T) {
	e := start(t)

	verifier := oauth2.GenerateVerifier()
	code := e.signInAsHarper(t, verifier, "no-verifier")
	if _, err := e.oauth.Exchange(e.ctx, code); err == nil {
		t.Error("exchange without code_verifier succeeded")
	}
	code = e.signInAsHarper(t, verifier, "wrong-verifier")
	if _, err := e.oauth.Exchange(e.ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
		t.Error("exchange with a wrong code_verifier succeeded")
	}

	wrongSecret := e.oauth
	wrongSecret.ClientSecret = "guess"
	code = e.signInAsHarper(t, verifier, "wrong-secret")
	if _, err := wrongSecret.Exchange(e.ctx, code, oauth2.VerifierOption(verifier)); err == nil {
		t.Error("exchange with a wrong client secret succeeded")
	}

	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"no challenge": nil,
		"plain": {
			oauth2.SetAuthURLParam("code_challenge", verifier),
			oauth2.SetAuthURLParam("code_challenge_method", "plain"),
		},
	} {
		status, loc, body := e.do(t, http.MethodGet, e.oauth.AuthCodeURL("s", opts...), nil)
		if status != http.StatusFound || loc == nil || loc.Path != "/auth/callback" || loc.Query().Get("error") != "invalid_request" {
			t.Errorf("%s: want invalid_request redirect to the client, got %d %v %s", name, status, loc, body)
		}
	}
}

func TestPickerRejectsUnknownRequests(t *testing.T) {
	e := start(t)
	status, _, _ := e.do(t, http.MethodGet, e.issuer+"/picker?authRequestID=nope", nil)
	if status != http.StatusBadRequest {
		t.Errorf("GET unknown request: %d, want 400", status)
	}
	status, _, _ = e.do(t, http.MethodPost, e.issuer+"/picker", url.Values{"authRequestID": {"nope"}, "person": {e.harperID}})
	if status != http.StatusBadRequest {
		t.Errorf("POST unknown request: %d, want 400", status)
	}

	picker := e.toPicker(t, "s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	id := picker.Query().Get("authRequestID")
	status, _, _ = e.do(t, http.MethodPost, e.issuer+"/picker", url.Values{"authRequestID": {id}, "person": {"nobody"}})
	if status != http.StatusBadRequest {
		t.Errorf("POST unknown person: %d, want 400", status)
	}
	status, _, _ = e.do(t, http.MethodPost, e.issuer+"/picker", url.Values{"authRequestID": {id}, "person": {e.harperID}})
	if status != http.StatusSeeOther {
		t.Fatalf("POST valid pick: %d, want 303", status)
	}
	status, _, _ = e.do(t, http.MethodPost, e.issuer+"/picker", url.Values{"authRequestID": {id}, "person": {e.harperID}})
	if status != http.StatusBadRequest {
		t.Errorf("second pick for the same request: %d, want 400", status)
	}
}

func TestPickerEscapesPeople(t *testing.T) {
	e := start(t)
	picker := e.toPicker(t, "s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	_, _, page := e.do(t, http.MethodGet, picker.String(), nil)
	for _, want := range []string{"pick-harper", "pick-lee", "pick-avery", "pick-sam", "demo identity provider",
		"Helpdesk technician: can search and request assistance"} {
		if !strings.Contains(page, want) {
			t.Errorf("picker lacks %q", want)
		}
	}

	p, err := New(Config{
		Issuer: "https://idp.example", TenantID: DemoTenantID(),
		Clients: []Client{{ID: "c", Secret: "s", RedirectURIs: []string{"https://app.example/cb"}}},
		People:  []Person{{ObjectID: "x", Username: "eve@example", Name: `<script>alert(1)</script>`}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := p.storage.CreateAuthRequest(t.Context(), &oidc.AuthRequest{
		Scopes: []string{"openid"}, ResponseType: "code", ClientID: "c", RedirectURI: "https://app.example/cb",
		CodeChallenge: "x", CodeChallengeMethod: oidc.CodeChallengeMethodS256,
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/picker?authRequestID="+url.QueryEscape(ar.GetID()), nil))
	if strings.Contains(rec.Body.String(), "<script>") || !strings.Contains(rec.Body.String(), "&lt;script&gt;") {
		t.Errorf("person name not escaped: %s", rec.Body.String())
	}
}

func TestEndSession(t *testing.T) {
	e := start(t)
	end := func(q url.Values) (int, *url.URL, string) {
		return e.do(t, http.MethodGet, e.issuer+"/end_session?"+q.Encode(), nil)
	}

	status, loc, body := end(url.Values{"client_id": {testClientID}, "post_logout_redirect_uri": {testPostLogoutURI},
		"logout_hint": {"harper@contoso.example"}, "state": {"bye"}})
	if status != http.StatusFound || loc == nil || !strings.HasPrefix(loc.String(), testPostLogoutURI) || loc.Query().Get("state") != "bye" {
		t.Errorf("registered URI: %d %v %s", status, loc, body)
	}

	status, loc, body = end(url.Values{"client_id": {testClientID}, "post_logout_redirect_uri": {"https://evil.example/"}})
	if status != http.StatusOK || loc != nil || !strings.Contains(body, "You are signed out of the demo provider") {
		t.Errorf("unregistered URI: %d %v %s", status, loc, body)
	}

	status, loc, _ = end(url.Values{"client_id": {testClientID}})
	if status != http.StatusFound || loc == nil || loc.String() != e.issuer+"/signed-out" {
		t.Fatalf("no URI: %d %v", status, loc)
	}
	if status, _, body = e.do(t, http.MethodGet, loc.String(), nil); status != http.StatusOK || !strings.Contains(body, "You are signed out of the demo provider") {
		t.Errorf("signed-out page: %d %s", status, body)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := func() Config {
		return Config{
			Issuer: "http://127.0.0.1:41234", TenantID: DemoTenantID(),
			Clients: []Client{{ID: "c", Secret: "s", RedirectURIs: []string{"http://127.0.0.1:8080/cb"}}},
			People:  DemoPeople(),
		}
	}
	if _, err := New(good()); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, tc := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"http localhost":     {func(c *Config) { c.Issuer = "http://localhost:8080" }, "issuer must be"},
		"http without port":  {func(c *Config) { c.Issuer = "http://127.0.0.1" }, "issuer must be"},
		"trailing slash":     {func(c *Config) { c.Issuer = "http://127.0.0.1:41234/" }, "issuer must be"},
		"no clients":         {func(c *Config) { c.Clients = nil }, "at least one client"},
		"client w/o secret":  {func(c *Config) { c.Clients[0].Secret = "" }, "id and a secret"},
		"relative redirect":  {func(c *Config) { c.Clients[0].RedirectURIs = []string{"/cb"} }, "not an absolute"},
		"no people":          {func(c *Config) { c.People = nil }, "at least one person"},
		"duplicate username": {func(c *Config) { c.People[1].Username = c.People[0].Username }, "used twice"},
		"no tenant":          {func(c *Config) { c.TenantID = "" }, "tenant id"},
	} {
		cfg := good()
		tc.edit(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, tc.want)
		}
	}
}
