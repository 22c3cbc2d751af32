package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/pgtest"
	"github.com/assistdesk/assistdesk/internal/signintest"
)

// onBothDatabases runs a multi-instance test on SQLite (one file, several
// connection pools) and on a throwaway PostgreSQL.
func onBothDatabases(t *testing.T, o stackOptions, test func(t *testing.T, s *stack)) {
	t.Run("sqlite", func(t *testing.T) {
		o := o
		o.databaseURL = "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
		test(t, newStackWith(t, o))
	})
	t.Run("postgres", func(t *testing.T) {
		o := o
		o.databaseURL = pgtest.Start(t)
		test(t, newStackWith(t, o))
	})
}

func TestASessionMadeOnOneInstanceWorksOnAnother(t *testing.T) {
	onBothDatabases(t, stackOptions{}, func(t *testing.T, s *stack) {
		c := s.signedIn(t) // on instance A
		b, _ := s.secondInstance(t, "b")
		resp := get(t, c, b.URL+"/")
		if resp.StatusCode != http.StatusOK || document(t, resp).Find("[data-testid=technician]").Text() != "Harper Helpdesk" {
			t.Fatalf("instance B does not know A's session: status %d", resp.StatusCode)
		}
		device := s.sim.Tenant().Devices[0]
		path := "/devices/" + device.ID + "/assistance"
		if resp := signintest.Post(t, c, b.URL, path, s.assistForm(t, c, path)); resp.StatusCode != http.StatusOK {
			t.Fatalf("assistance through B with A's session: status %d", resp.StatusCode)
		}
		rows := s.attempts(t)
		if len(rows) != 1 || rows[0].Instance != "b" || rows[0].Outcome != audit.Succeeded {
			t.Fatalf("A's trail shows %+v, want B's succeeded attempt", rows)
		}
	})
}

func TestTwoHundredConcurrentRequestsAcrossTwoInstances(t *testing.T) {
	onBothDatabases(t, stackOptions{assistRateLimit: 1000}, func(t *testing.T, s *stack) {
		b, _ := s.secondInstance(t, "b")
		portals := []string{s.portal.URL, b.URL}
		type tech struct {
			c     *http.Client
			token string
		}
		var techs []tech
		for _, who := range []string{"harper", "lee"} {
			c := browser(t)
			// 200 at once through SQLite's one writer, under the race detector.
			c.Timeout = time.Minute
			s.signIn(t, c, "/", who)
			techs = append(techs, tech{c, s.csrfToken(t, c)})
		}
		devices := s.sim.Tenant().Devices[:200]
		var wg sync.WaitGroup
		statuses := make([]int, len(devices))
		for i, d := range devices {
			wg.Go(func() {
				tc := techs[i%2]
				resp, err := tc.c.Do(assistRequest(portals[(i/2)%2], "/devices/"+d.ID+"/assistance", d, tc.token))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			})
		}
		wg.Wait()
		for i, st := range statuses {
			if st != http.StatusOK {
				t.Fatalf("request %d: status %d", i, st)
			}
		}
		if n := len(s.sim.Actions()); n != 200 {
			t.Fatalf("%d Graph actions, want 200", n)
		}
		rows, err := allAttempts(s)
		if err != nil {
			t.Fatal(err)
		}
		succeeded := map[string]bool{}
		for _, a := range rows {
			if a.Outcome == audit.Succeeded {
				succeeded[a.DeviceID] = true
			}
		}
		if len(rows) != 200 || len(succeeded) != 200 {
			t.Fatalf("%d rows, %d devices succeeded; want 200 and 200", len(rows), len(succeeded))
		}
	})
}

func TestSimultaneousRequestsForOneDeviceOnTwoInstancesCallGraphOnce(t *testing.T) {
	onBothDatabases(t, stackOptions{assistRateLimit: 1000}, func(t *testing.T, s *stack) {
		b, _ := s.secondInstance(t, "b")
		harper := s.signedIn(t)
		lee := browser(t)
		s.signIn(t, lee, "/", "lee")
		tokens := []string{s.csrfToken(t, harper), s.csrfToken(t, lee)}
		const rounds = 20
		for round := range rounds {
			device := s.sim.Tenant().Devices[round]
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, c := range []*http.Client{harper, lee} {
				wg.Go(func() {
					<-start
					if resp, err := c.Do(assistRequest([]string{s.portal.URL, b.URL}[i], "/devices/"+device.ID+"/assistance", device, tokens[i])); err == nil {
						resp.Body.Close()
					}
				})
			}
			close(start)
			wg.Wait()
		}
		perDevice := map[string]int{}
		for _, a := range s.sim.Actions() {
			perDevice[a.DeviceID]++
		}
		if len(perDevice) != rounds {
			t.Fatalf("%d devices got an action, want %d", len(perDevice), rounds)
		}
		for d, n := range perDevice {
			if n != 1 {
				t.Fatalf("device %s got %d actions from two simultaneous requests", d, n)
			}
		}
	})
}

func allAttempts(s *stack) ([]audit.Attempt, error) {
	var all []audit.Attempt
	after := ""
	for {
		rows, next, err := s.trail.List(context.Background(), audit.Filter{}, audit.Page{Limit: audit.MaxLimit, After: after})
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
		if next == "" {
			return all, nil
		}
		after = next
	}
}
