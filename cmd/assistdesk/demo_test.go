package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/graphsim"
	"github.com/assistdesk/assistdesk/internal/signintest"
)

// lockedBuffer collects what a running command prints.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var openURL = regexp.MustCompile(`Open:\s+(http://\S+)/`)

// runDemo runs `assistdesk demo` on a free port, as a person would, and
// returns the one URL it prints. The demo stops when the test ends.
func runDemo(t *testing.T) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-addr", "127.0.0.1:0"}, func(k string) string {
			if k == "ASSISTDESK_LOG_LEVEL" {
				return "warn"
			}
			return ""
		}, out)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo did not stop cleanly: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("demo did not stop within 15 s")
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := openURL.FindStringSubmatch(out.String()); m != nil {
			return m[1], out
		}
		select {
		case err := <-done:
			t.Fatalf("demo exited early: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("demo printed no URL:\n%s", out.String())
	return "", nil
}

func TestDemoPrintsOneURLAndStopsCleanly(t *testing.T) {
	url, out := runDemo(t)
	if n := len(openURL.FindAllString(out.String(), -1)); n != 1 {
		t.Fatalf("demo printed %d URLs to open, want 1", n)
	}
	for _, who := range []string{"Harper Helpdesk", "Avery Auditor", "Sam Sales"} {
		if !bytes.Contains([]byte(out.String()), []byte(who)) {
			t.Errorf("the banner does not say %s can sign in", who)
		}
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %s", resp.Status)
	}
}

// The demo tells its own ticket inbox what became of a request made from a
// ticket, and the audit trail says the ticket was told.
func TestDemoTellsItsTicketInbox(t *testing.T) {
	stack := launchDemo(t, demoOptions{Faults: graphsim.Faults{SessionDelay: time.Millisecond}})
	device := stack.Graph.Tenant().Devices[1]
	c := signintest.Browser(t)
	signintest.SignIn(t, c, stack.PortalURL, "/", "lee")
	path := "/devices/" + device.ID + "/assistance?ticket=INC-77"
	form := signintest.RequestForm(t, c, stack.PortalURL, "/devices/"+device.ID+"?ticket=INC-77", path)
	if resp := signintest.Post(t, c, stack.PortalURL, path, form); resp.StatusCode != http.StatusOK {
		t.Fatalf("request: status %d", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		inbox := signintest.Document(t, signintest.Get(t, c, stack.PortalURL+inboxPath))
		row := inbox.Find("[data-testid=inbox-event][data-type='assistance.succeeded']")
		if row.Length() == 1 {
			if !strings.Contains(row.Text(), "INC-77") || !strings.Contains(row.Text(), device.DeviceName) {
				t.Fatalf("the inbox shows %q", row.Text())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the inbox has no event for the request: %s", inbox.Text())
		}
		time.Sleep(200 * time.Millisecond)
	}
	trail := signintest.Document(t, signintest.Get(t, c, stack.PortalURL+"/audit?ticket=INC-77"))
	if got := trail.Find("[data-testid=ticket-delivery]").First().Text(); !strings.Contains(got, "noted in the ticket") {
		t.Fatalf("the audit trail says %q of the ticket", got)
	}
	metrics := signintest.Get(t, c, stack.PortalURL+"/metrics")
	body, _ := io.ReadAll(metrics.Body)
	if !strings.Contains(string(body), "assistdesk_ticket_event_delivery_seconds_count 1") &&
		!strings.Contains(string(body), "assistdesk_ticket_event_delivery_seconds_count 2") {
		t.Errorf("/metrics counts no delivered ticket event:\n%s", body)
	}
}
