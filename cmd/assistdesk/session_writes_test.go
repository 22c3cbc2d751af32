package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/signintest"
)

// With the portal configured as serve configures it (idle timeout on), a
// page view that changes nothing must not write the session back: that
// write would serialise every request on the database.
func TestPageViewsThatChangeNothingWriteNoSession(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	stack := launchDemo(t, demoOptions{DatabaseURL: "sqlite:" + path})
	c := signintest.Browser(t)
	signintest.SignIn(t, c, stack.PortalURL, "/", "harper")
	signintest.Get(t, c, stack.PortalURL+"/") // the first view may settle the last-seen time

	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	snapshot := func() string {
		var data []byte
		var expiry float64
		if err := db.QueryRowContext(context.Background(), "SELECT data, expiry FROM sessions").Scan(&data, &expiry); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x/%v", data, expiry)
	}
	before := snapshot()
	adele, _ := stack.Graph.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
	for range 5 {
		for _, p := range []string{"/", "/users/" + adele.ID, "/search?q=ad"} {
			if resp := signintest.Get(t, c, stack.PortalURL+p); resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", p, resp.StatusCode)
			}
		}
	}
	if snapshot() != before {
		t.Fatal("reading pages rewrote the session")
	}
}
