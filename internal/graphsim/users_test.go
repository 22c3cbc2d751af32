package graphsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// searchNames runs a $search and returns the display names found on
// every page.
func (e *env) searchNames(search string) []string {
	e.t.Helper()
	target := "/v1.0/users?$select=displayName&$search=" + url.QueryEscape(search)
	var names []string
	for target != "" {
		p := e.get(target, "ConsistencyLevel", "eventual").page(e.t)
		for _, raw := range p.Value {
			var u User
			if err := json.Unmarshal(raw, &u); err != nil {
				e.t.Fatal(err)
			}
			names = append(names, u.DisplayName)
		}
		target = p.NextLink
	}
	return names
}

func TestSearchNeedsConsistencyLevelOnEveryPage(t *testing.T) {
	e := newEnv(t, Config{PageSize: 5})
	search := "/v1.0/users?$search=" + url.QueryEscape(`"displayName:a"`)
	r := e.get(search)
	ge := r.wantError(t, http.StatusBadRequest, "Request_UnsupportedQuery")
	if !strings.Contains(ge.Error.Message, "'ConsistencyLevel: eventual'") {
		t.Errorf("message %q", ge.Error.Message)
	}
	first := e.get(search, "ConsistencyLevel", "eventual").page(t)
	if len(first.Value) != 5 || !strings.HasPrefix(first.NextLink, e.url+"/v1.0/users?") {
		t.Fatalf("first page: %d users, nextLink %q", len(first.Value), first.NextLink)
	}
	e.get(first.NextLink).wantError(t, http.StatusBadRequest, "Request_UnsupportedQuery")
	if next := e.get(first.NextLink, "ConsistencyLevel", "eventual").page(t); len(next.Value) == 0 {
		t.Error("second page is empty")
	}
}

func TestSearchFindsUsers(t *testing.T) {
	e := newEnv(t, Config{})
	cases := []struct{ search, want string }{
		{`"displayName:adele"`, "Adele Vance"},
		{`"displayName:vance"`, "Adele Vance"},
		{`"displayName:Adele Van"`, "Adele Vance"},
		{`"mail:nope" OR "userPrincipalName:adele.v"`, "Adele Vance"},
		{`"displayName:O'Brien"`, "Seán O'Brien"},
		{`"displayName:zoë"`, "Zoë Brontë"},
		{`"displayName:ŁUKASZ"`, "Łukasz Żółć"},
		{`"displayName:王"`, "王芳"},
		{`"displayName:\"Bobby\""`, `Robert "Bobby" Tables`},
		{`"userPrincipalName:fabrikam"`, "Pat Kumar (Fabrikam)"},
		{`"displayName:adele" AND "mail:adele"`, "Adele Vance"},
	}
	for _, tc := range cases {
		t.Run(tc.search, func(t *testing.T) {
			if got := e.searchNames(tc.search); !slices.Contains(got, tc.want) {
				t.Errorf("found %q, want %q among them", got, tc.want)
			}
		})
	}
	if got := e.searchNames(`"displayName:adele" AND "mail:sean"`); len(got) != 0 {
		t.Errorf("AND found %q", got)
	}
	if got := e.searchNames(`"displayName:dele"`); slices.Contains(got, "Adele Vance") {
		t.Error("a value inside a word matched; Graph matches prefixes only")
	}
}

func TestSearchRefusals(t *testing.T) {
	e := newEnv(t, Config{})
	cases := []struct{ search, code string }{
		{`"displayName:adele" or "mail:adele"`, "BadRequest"},
		{`"displayName:adele`, "BadRequest"},
		{`displayName:adele`, "BadRequest"},
		{`"displayName:adele" "mail:adele"`, "BadRequest"},
		{`"displayName:adele" OR`, "BadRequest"},
		{`"displayName:a\d"`, "BadRequest"},
		{`"displayName:"`, "BadRequest"},
		{`"jobTitle:engineer"`, "Request_UnsupportedQuery"},
		{`"adele"`, "Request_UnsupportedQuery"},
	}
	for _, tc := range cases {
		t.Run(tc.search, func(t *testing.T) {
			r := e.get("/v1.0/users?$search="+url.QueryEscape(tc.search), "ConsistencyLevel", "eventual")
			ge := r.wantError(t, http.StatusBadRequest, tc.code)
			if tc.code == "BadRequest" && !strings.HasPrefix(ge.Error.Message, "Syntax error") {
				t.Errorf("message %q", ge.Error.Message)
			}
		})
	}
}

func TestUserQueryOptions(t *testing.T) {
	e := newEnv(t, Config{PageSize: 50})
	eventual := []string{"ConsistencyLevel", "eventual"}

	p := e.get("/v1.0/users?$count=true&$top=10&$select=id,displayName", eventual...).page(t)
	if p.Count == nil || *p.Count != len(testTenant().Users) || len(p.Value) != 10 {
		t.Fatalf("count %v, %d users", p.Count, len(p.Value))
	}
	if next := e.get(p.NextLink, eventual...).page(t); next.Count != nil {
		t.Error("@odata.count on the second page")
	}
	var u map[string]any
	if err := json.Unmarshal(p.Value[0], &u); err != nil || len(u) != 2 {
		t.Errorf("$select=id,displayName gave %v", u)
	}
	e.get("/v1.0/users?$count=true").wantError(t, http.StatusBadRequest, "Request_BadRequest")
	ge := e.get("/v1.0/users?$select=id,nickname").wantError(t, http.StatusBadRequest, "BadRequest")
	if ge.Error.Message != "Could not find a property named 'nickname' on type 'microsoft.graph.user'." {
		t.Errorf("message %q", ge.Error.Message)
	}
	e.get("/v1.0/users?$top=1000").wantError(t, http.StatusBadRequest, "BadRequest")
	e.get("/v1.0/users?$skip=10").wantError(t, http.StatusBadRequest, "BadRequest")
	e.get("/v1.0/users?$top=1&$top=2").wantError(t, http.StatusBadRequest, "BadRequest")

	filter := "/v1.0/users?$filter=" + url.QueryEscape("startswith(displayName,'Seán O''B')")
	if ids := e.all(filter); len(ids) != 1 {
		t.Errorf("startswith with an escaped quote found %d users", len(ids))
	}
	for _, f := range []string{"contains(displayName,'a')", "jobTitle eq 'Nurse'", "not startswith(displayName,'a')"} {
		e.get("/v1.0/users?$filter="+url.QueryEscape(f)).wantError(t, http.StatusBadRequest, "Request_UnsupportedQuery")
	}
	e.get("/v1.0/users?$filter="+url.QueryEscape("startswith(displayName,'a)")).wantError(t, http.StatusBadRequest, "BadRequest")
	e.get("/v1.0/users?$orderby=displayName&$filter="+url.QueryEscape("startswith(displayName,'a')")).
		wantError(t, http.StatusBadRequest, "Request_UnsupportedQuery")
}

func TestGetUser(t *testing.T) {
	e := newEnv(t, Config{})
	ten := testTenant()
	adele, _ := ten.UserByUPN(DemoAdeleUPN)
	paths := map[string]string{
		"/v1.0/users/" + adele.ID:                                         DemoAdeleUPN,
		"/v1.0/users/" + strings.ToUpper(adele.ID):                        DemoAdeleUPN,
		"/v1.0/users/Adele.Vance@contoso.example":                         DemoAdeleUPN,
		"/v1.0/users/sean.o'brien@contoso.example":                        DemoSeanUPN,
		"/v1.0/users/sean.o%27brien@contoso.example":                      DemoSeanUPN,
		"/v1.0/users/pat_fabrikam.example%23EXT%23@contoso.example":       DemoGuestUPN,
		"/v1.0/users/" + url.PathEscape("dev!ops^team~1@contoso.example"): "dev!ops^team~1@contoso.example",
		"/beta/users/chris.green+it@contoso.example":                      "chris.green+it@contoso.example",
	}
	for path, upn := range paths {
		r := e.get(path)
		var u User
		if err := json.Unmarshal(r.body, &u); r.status != http.StatusOK || err != nil || u.UserPrincipalName != upn {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
	ge := e.get("/v1.0/users/nobody@contoso.example").wantError(t, http.StatusNotFound, "Request_ResourceNotFound")
	if !strings.Contains(ge.Error.Message, "'nobody@contoso.example' does not exist") {
		t.Errorf("message %q", ge.Error.Message)
	}
	e.get("/beta/users/nobody@contoso.example/managedDevices").wantError(t, http.StatusNotFound, "Request_ResourceNotFound")
}

func TestBasicProfileHidesOtherProperties(t *testing.T) {
	e := newEnv(t, Config{})
	path := "/v1.0/users/" + url.PathEscape(DemoAdeleUPN) + "?$select=displayName,jobTitle"
	for scope, wantTitle := range map[string]bool{"User.ReadBasic.All": false, "User.Read.All": true} {
		r := e.call(http.MethodGet, path, e.iss.Token(t, map[string]any{"scp": scope}))
		var u map[string]any
		if err := json.Unmarshal(r.body, &u); err != nil || r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if _, ok := u["jobTitle"]; ok != wantTitle || u["displayName"] != "Adele Vance" {
			t.Errorf("with %s: %v", scope, u)
		}
	}
}
