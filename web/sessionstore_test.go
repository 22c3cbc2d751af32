package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// A session the database cannot load gets the portal's own error page in
// the technician's language, and the request's log line says why; not
// scs's "Internal Server Error" in plain text, logged elsewhere.
func TestASessionTheStoreCannotLoadGetsThePortalsErrorPage(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	s.db.Close()
	resp := get(t, c, s.portal.URL+"/users/"+graphsim.DemoAdeleUPN, "Accept-Language", "de")
	doc := document(t, resp)
	if resp.StatusCode != http.StatusInternalServerError || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(doc.Find("main").Text(), "Das Portal konnte") {
		t.Fatalf("status %d, %s: %q", resp.StatusCode, resp.Header.Get("Content-Type"), doc.Text())
	}
	for _, l := range strings.Split(s.logs.String(), "\n") {
		var line struct{ Level, Route, Error string }
		if json.Unmarshal([]byte(l), &line) == nil && line.Route == "/users/:user" {
			if line.Level != "ERROR" || !strings.Contains(line.Error, "session store") {
				t.Fatalf("the request's log line: %s", l)
			}
			return
		}
	}
	t.Fatalf("no log line for the page:\n%s", s.logs.String())
}
