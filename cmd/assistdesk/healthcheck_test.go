package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// healthcheck runs in the container beside the portal, with the portal's
// own ASSISTDESK_LISTEN_ADDR: every form of it must lead to the portal.
func TestHealthcheckFindsThePortalFromEveryListenAddrForm(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The probe names loopback itself rather than sending Host ":8080"
		// or "[::]:8080", which no proxy or log would make sense of.
		if host, _, _ := net.SplitHostPort(r.Host); r.URL.Path != "/healthz" || host != "127.0.0.1" {
			http.Error(w, "probed "+r.Host+r.URL.Path, http.StatusNotFound)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	env := func(addr string) func(string) string {
		return func(k string) string {
			if k == "ASSISTDESK_LISTEN_ADDR" {
				return addr
			}
			return ""
		}
	}
	for _, addr := range []string{":" + port, "0.0.0.0:" + port, "[::]:" + port, "127.0.0.1:" + port} {
		if err := run(context.Background(), []string{"healthcheck"}, env(addr), nil); err != nil {
			t.Errorf("ASSISTDESK_LISTEN_ADDR=%s: %v", addr, err)
		}
	}

	status.Store(http.StatusServiceUnavailable)
	if err := healthcheck(context.Background(), env("127.0.0.1:"+port)); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("an unhealthy portal: err %v", err)
	}
	srv.Close()
	if err := healthcheck(context.Background(), env(":"+port)); err == nil {
		t.Error("no portal listening, yet healthy")
	}
	if err := healthcheck(context.Background(), env("8080")); err == nil || !strings.Contains(err.Error(), "ASSISTDESK_LISTEN_ADDR") {
		t.Errorf("a malformed address: err %v", err)
	}
}
