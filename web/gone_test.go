package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// A technician who leaves a page while it loads is not an error: the
// portal answers nobody, and its log says 499 at INFO, not a 500 and a
// failed error page.
func TestABrowserThatLeftIsNotAnError(t *testing.T) {
	s := newStack(t)
	c := s.signedIn(t)
	page := s.portal.URL + "/users/" + graphsim.DemoAdeleUPN + "?fresh=1"
	u, _ := url.Parse(page)
	// Graph takes a second; the browser leaves after a tenth of it.
	if err := s.sim.SetLatency(time.Second, 0); err != nil {
		t.Fatal(err)
	}
	ctx, leave := context.WithCancel(context.Background())
	defer time.AfterFunc(100*time.Millisecond, leave).Stop()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, page, nil)
	for _, cookie := range c.Jar.Cookies(u) {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	if w.Code != 499 {
		t.Fatalf("a page whose browser left: status %d, want 499\n%s", w.Code, s.logs.String())
	}
	var found bool
	for _, l := range strings.Split(s.logs.String(), "\n") {
		var line struct {
			Level, Msg, Route string
			Status            int
		}
		if json.Unmarshal([]byte(l), &line) != nil {
			continue
		}
		if line.Level == "ERROR" {
			t.Errorf("logged as an error: %s", l)
		}
		if line.Msg == "request" && line.Route == "/users/:user" && line.Status == 499 {
			found = line.Level == "INFO"
		}
	}
	if !found {
		t.Fatalf("no INFO line with status 499 for the page:\n%s", s.logs.String())
	}
}
