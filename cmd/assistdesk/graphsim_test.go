package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestGraphsimSaysWhatReachedItWhenItStops(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer // read only once runGraphsim has returned
	done := make(chan error, 1)
	go func() {
		done <- runGraphsim(ctx, []string{"-addr", addr, "-issuer", "http://127.0.0.1:9", "-write-limit", "5/1m"}, &out)
	}()
	// Writes count as received whatever their answer, here 401 for want
	// of a token.
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
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := "Graph simulator stopped: at most 2 writes received in any 1m0s window; 0 refused by the write limit; 0 requestRemoteAssistance executed\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Fatalf("output ends %q, want %q", out.String(), want)
	}
}
