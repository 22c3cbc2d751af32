package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/testissuer"
)

func TestGraphsimSaysWhatReachedItWhenItStops(t *testing.T) {
	addr := freeAddr(t)
	iss := testissuer.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer // read only once runGraphsim has returned
	done := make(chan error, 1)
	go func() {
		done <- runGraphsim(ctx, []string{"-addr", addr, "-issuer", iss.URL(), "-write-limit", "5/1m", "-read-limit", "2/1m"}, &out)
	}()
	// Writes count as received whatever their answer, here 401 for want
	// of a token; they never reach Intune, so its count leaves them out.
	var posted int
	for deadline := time.Now().Add(10 * time.Second); posted < 2 && time.Now().Before(deadline); {
		resp, err := http.Post("http://"+addr+"/beta/deviceManagement/managedDevices", "application/json", nil)
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a write without a token: status %d", resp.StatusCode)
		}
		posted++
	}
	// Reads with a token: the directory's do not count against Intune's
	// limit, Intune's do, and the third within the minute is refused.
	get := func(path string, n int) int {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+iss.Token(t, map[string]any{"oid": fmt.Sprint("technician-", n)}))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var statuses []int
	for i := range 3 {
		statuses = append(statuses, get("/v1.0/users?$top=1", i))
	}
	for i := range 3 {
		statuses = append(statuses, get("/beta/deviceManagement/managedDevices?$top=1", 3+i))
	}
	if want := []int{200, 200, 200, 200, 200, 429}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := "Graph simulator stopped: at most 2 writes received in any 1m0s window; 0 refused by the write limit; 0 requestRemoteAssistance executed; " +
		"at most 3 Intune requests received from one app in any 1m0s window; 1 refused by the read limit\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Fatalf("output ends %q, want %q", out.String(), want)
	}
}
