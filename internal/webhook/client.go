package webhook

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// newClient is the receiver's HTTP client: it follows no redirect, uses
// no proxy from the environment, and unless private receivers are allowed
// connects only to public addresses, checked on the address each
// connection is made to, after DNS: a name that resolves to an internal
// address, now or later, cannot smuggle a delivery inside.
func newClient(cfg Config) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	if !cfg.AllowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip, err := netip.ParseAddr(host); err != nil || !Public(ip) {
				return &refusedAddress{host}
			}
			return nil
		}
	}
	return &http.Client{
		Transport: &http.Transport{
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConnsPerHost:   parallel,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   cfg.Timeout,
			ResponseHeaderTimeout: cfg.Timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// refusedAddress is a receiver address that is not public.
type refusedAddress struct{ host string }

func (e *refusedAddress) Error() string {
	return fmt.Sprintf("webhook: the receiver resolves to %s, which is not a public address (ASSISTDESK_TICKET_WEBHOOK_ALLOW_PRIVATE=true allows it)", e.host)
}

// nonPublic are ranges that are not global unicast for a receiver beyond
// what netip's predicates already say.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64, which can reach private IPv4
	netip.MustParsePrefix("2001:db8::/32"), // documentation
}

// Public reports whether ip is a public unicast address: not loopback,
// private, link-local, multicast, unspecified, or any other range that
// leads inside a network.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
