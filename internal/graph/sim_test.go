package graph_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/testissuer"
)

// againstSimulator returns a client, a valid token and the simulator it
// talks to, so the client is tested against Graph's strict behaviour.
func againstSimulator(t *testing.T) (*graph.Client, string, *graphsim.Server) {
	t.Helper()
	iss := testissuer.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	sim, err := graphsim.New(graphsim.Config{BaseURL: base, Issuer: iss.URL()})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	c, err := graph.New(base, &http.Client{}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c, iss.Token(t, nil), sim
}

func TestClientAgainstSimulator(t *testing.T) {
	c, tok, sim := againstSimulator(t)
	ctx := context.Background()

	t.Run("a user's devices across pages", func(t *testing.T) {
		kiosk, _ := sim.Tenant().UserByUPN(graphsim.DemoKioskUPN)
		devices, err := c.UserDevices(ctx, tok, kiosk.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(devices) != 130 || devices[129].DeviceName != "KIOSK-LAB-130" {
			t.Fatalf("got %d devices, want all 130 across two pages", len(devices))
		}
	})

	t.Run("search across pages keeps ConsistencyLevel", func(t *testing.T) {
		users, err := c.SearchUsers(ctx, tok, "contoso", 150)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 150 {
			t.Fatalf("got %d users, want 150 over two pages", len(users))
		}
	})

	t.Run("names with quote marks", func(t *testing.T) {
		u, err := c.User(ctx, tok, graphsim.DemoSeanUPN)
		if err != nil || u.DisplayName != "Seán O'Brien" {
			t.Fatalf("User(%s) = %+v, %v", graphsim.DemoSeanUPN, u, err)
		}
		hits, err := c.SearchUsers(ctx, tok, "O'Brien", 5)
		if err != nil || len(hits) == 0 || hits[0].DisplayName != "Seán O'Brien" {
			t.Fatalf("search O'Brien = %+v, %v", hits, err)
		}
		bobby, err := c.SearchUsers(ctx, tok, `"Bobby"`, 5)
		if err != nil || len(bobby) != 1 {
			t.Fatalf(`search "Bobby" = %+v, %v`, bobby, err)
		}
	})

	t.Run("devices by the start of their name", func(t *testing.T) {
		// Intune answers startswith as contains: "lt-0" is inside every
		// ADELE-LT-01, at the start of none.
		for prefix, want := range map[string]string{"adele-lt-": "ADELE-LT-01", "ADELE": "ADELE-LT-01", "lt-0": ""} {
			devices, err := c.DevicesByNamePrefix(ctx, tok, prefix)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, d := range devices {
				if !strings.HasPrefix(strings.ToLower(d.DeviceName), strings.ToLower(prefix)) {
					t.Errorf("%q found %s", prefix, d.DeviceName)
				}
				found = found || d.DeviceName == want
			}
			if want != "" && !found || want == "" && len(devices) != 0 {
				t.Errorf("%q found %d devices, want %q among them", prefix, len(devices), want)
			}
		}
	})

	t.Run("guest UPN with #EXT#", func(t *testing.T) {
		u, err := c.User(ctx, tok, graphsim.DemoGuestUPN)
		if err != nil || u.UserPrincipalName != graphsim.DemoGuestUPN {
			t.Fatalf("User(guest) = %+v, %v", u, err)
		}
	})

	t.Run("Graph's 404 decoded", func(t *testing.T) {
		_, err := c.Device(ctx, tok, "00000000-0000-4000-8000-000000000000")
		var ge *graph.Error
		if !errors.As(err, &ge) || ge.Status != 404 || ge.Code != "ResourceNotFound" || ge.RequestID == "" || ge.Date == "" {
			t.Fatalf("err = %#v", err)
		}
		if !graph.IsNotFound(err) {
			t.Error("IsNotFound is false for a 404")
		}
	})

	t.Run("the four routes", func(t *testing.T) {
		adele, _ := sim.Tenant().UserByUPN(graphsim.DemoAdeleUPN)
		device := sim.Tenant().DevicesOfUser(adele.ID)[0]
		for _, r := range []graph.Route{graph.UserDeviceRoute(adele.ID, device.ID), graph.DeviceRoute(device.ID)} {
			resp, err := c.RequestRemoteAssistance(ctx, tok, r)
			if err != nil || resp.Status != http.StatusNoContent || resp.RequestID == "" {
				t.Fatalf("route %d: %+v, %v", r.Number, resp, err)
			}
		}
		if n := len(sim.Actions()); n != 2 {
			t.Fatalf("%d actions executed, want 2", n)
		}
	})
}
