package web_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/audit"
	"github.com/assistdesk/assistdesk/internal/pgtest"
	"github.com/assistdesk/assistdesk/internal/signintest"
	"github.com/assistdesk/assistdesk/web"
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

// "Request again" answers one refusal: two hundred copies of it, sent at
// once to two instances, in the form or in the query, start exactly one
// more request; a made-up confirmation starts none. An id spelt in capitals
// is the same device to the guard and the trail.
func TestTheDuplicateGuardCannotBeBypassed(t *testing.T) {
	onBothDatabases(t, stackOptions{assistRateLimit: 10000}, func(t *testing.T, s *stack) {
		b, _ := s.secondInstance(t, "b")
		portals := []string{s.portal.URL, b.URL}
		harper := s.signedIn(t)
		harper.Timeout = time.Minute
		token := s.csrfToken(t, harper)
		device := supported(t, s.sim.Tenant(), 40)
		adele := device.UserID
		// The first request, on route 1 and in lower case; then the same
		// device on route 2 in capitals, which the guard refuses.
		if resp := s.assist(t, harper, "/users/"+adele+"/devices/"+device.ID+"/assistance", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("first request: status %d", resp.StatusCode)
		}
		upper := strings.ToUpper(device.ID)
		resp, err := harper.Do(assistRequest(b.URL, "/devices/"+upper+"/assistance", device, token))
		if err != nil {
			t.Fatal(err)
		}
		refusal := document(t, resp).Find("[data-testid=again-dialog] input[name=again]").AttrOr("value", "")
		if resp.StatusCode != http.StatusConflict || refusal == "" {
			t.Fatalf("the same device in capitals: status %d, want the duplicate guard's 409", resp.StatusCode)
		}

		send := func(n int, again string) {
			t.Helper()
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					path := "/devices/" + upper + "/assistance"
					form := web.DeviceForm(formKey, device.ID, device.DeviceName)
					if i%4 == 0 {
						path += "?again=" + url.QueryEscape(again) // the form value reads the query too
					} else {
						form.Set("again", again)
					}
					req, _ := http.NewRequest(http.MethodPost, portals[i%2]+path, strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("HX-Request", "true")
					req.Header.Set("X-CSRF-Token", token)
					if resp, err := harper.Do(req); err == nil {
						resp.Body.Close()
					}
				})
			}
			wg.Wait()
		}
		send(200, "confirmed")
		if n := len(s.sim.Actions()); n != 1 {
			t.Fatalf("after 200 made-up confirmations Graph executed %d actions, want 1", n)
		}
		send(200, refusal)
		if n := len(s.sim.Actions()); n != 2 {
			t.Fatalf("after 200 copies of one confirmation Graph executed %d actions, want 2", n)
		}
		for _, a := range s.attemptsAll(t) {
			if a.DeviceID != device.ID {
				t.Fatalf("the trail records the device as %q, want %q", a.DeviceID, device.ID)
			}
		}
	})
}
