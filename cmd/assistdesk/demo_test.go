package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"
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
