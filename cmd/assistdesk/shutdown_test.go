package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// slowServer runs serveUntilDone with a handler that answers only when
// released, and returns what a test needs to stop it.
func slowServer(t *testing.T, grace time.Duration) (addr string, started <-chan struct{}, release chan<- struct{}, stop context.CancelFunc, done <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	startedc, releasec, donec := make(chan struct{}, 1), make(chan struct{}), make(chan error, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		startedc <- struct{}{}
		<-releasec
		_, _ = io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		donec <- serveUntilDone(ctx, ln, handler, grace)
	}()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	return ln.Addr().String(), startedc, releasec, cancel, donec
}

// On SIGTERM (ctx ending) the listener closes at once, and a request that
// was already running completes within the grace.
func TestShutdownLetsInFlightRequestsFinishAndRefusesNewOnes(t *testing.T) {
	addr, started, release, stop, done := slowServer(t, 5*time.Second)
	type answer struct {
		body string
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{string(b), err}
	}()
	<-started
	stop()

	refused := false
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			refused = true
			break
		}
		conn.Close()
	}
	if !refused {
		t.Fatal("new connections were still accepted after shutdown began")
	}
	select {
	case err := <-done:
		t.Fatalf("shutdown returned (%v) while a request was in flight", err)
	default:
	}

	began := time.Now()
	close(release)
	if a := <-answered; a.err != nil || a.body != "finished" {
		t.Fatalf("the in-flight request got %q, %v", a.body, a.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a clean shutdown returned %v", err)
		}
	case <-time.After(time.Second + time.Since(began)):
		t.Fatal("shutdown did not return once the last request finished")
	}
}

// A request that outlives the grace is cut off: shutdown returns within
// the grace (with an error saying so) instead of holding up a redeploy.
func TestShutdownReturnsWithinTheGrace(t *testing.T) {
	const grace = 300 * time.Millisecond
	addr, started, release, stop, done := slowServer(t, grace)
	defer close(release)
	cutOff := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/stuck")
		if err == nil {
			resp.Body.Close()
		}
		cutOff <- err
	}()
	<-started
	began := time.Now()
	stop()
	select {
	case err := <-done:
		if err == nil {
			t.Error("shutdown cut off a request and said nothing")
		}
		if took := time.Since(began); took < grace {
			t.Errorf("shutdown returned after %s, before the grace of %s", took, grace)
		}
	case <-time.After(grace + 2*time.Second):
		t.Fatal("shutdown did not return within the grace")
	}
	select {
	case err := <-cutOff:
		if err == nil {
			t.Error("the stuck request got an answer")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the stuck request's connection was left open after the grace")
	}
}

// A connection that never sent a request (a browser's preconnect) is not
// in flight: shutdown closes it at the grace and reports a clean stop.
func TestShutdownIsCleanWithOnlyUnusedConnectionsLeft(t *testing.T) {
	const grace = 200 * time.Millisecond
	addr, _, _, stop, done := slowServer(t, grace)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(50 * time.Millisecond) // let the server accept it
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown with only an unused connection open: %v", err)
		}
	case <-time.After(grace + 2*time.Second):
		t.Fatal("shutdown did not return within the grace")
	}
}
