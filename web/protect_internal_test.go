package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIPBelievesOnlyTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, remote, xff, want string
		trusted                 []netip.Prefix
	}{
		{"direct, header ignored", "203.0.113.9:5000", "198.51.100.1", "203.0.113.9", nil},
		{"untrusted peer's header ignored", "203.0.113.9:5000", "198.51.100.1", "203.0.113.9", trusted},
		{"trusted proxy", "10.1.2.3:5000", "198.51.100.1", "198.51.100.1", trusted},
		{"spoofed left part skipped", "10.1.2.3:5000", "1.1.1.1, 198.51.100.1", "198.51.100.1", trusted},
		{"chain of trusted proxies", "10.1.2.3:5000", "198.51.100.1, 10.9.9.9", "198.51.100.1", trusted},
		{"garbage stops the walk", "10.1.2.3:5000", "198.51.100.1, not-an-ip", "10.1.2.3", trusted},
		{"IPv6 peer", "[2001:db8::1]:443", "", "2001:db8::1", trusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := clientIP(r, tt.trusted); got != tt.want {
				t.Fatalf("clientIP = %s, want %s", got, tt.want)
			}
		})
	}
}
