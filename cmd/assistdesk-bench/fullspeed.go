package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// plainClients are the sessions of browsers on a transport of their own
// that sends no Accept-Encoding, as wrk does: net/http's transport asks
// for gzip on its own unless told not to, and the portal would then
// compress every page.
func plainClients(browsers []*http.Client, connections int) ([]*http.Client, *http.Transport) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DisableCompression = true
	transport.MaxIdleConnsPerHost = connections
	transport.MaxConnsPerHost = connections
	clients := make([]*http.Client, len(browsers))
	for i, b := range browsers {
		c := *b
		c.Transport = transport
		clients[i] = &c
	}
	return clients, transport
}

// fullSpeed measures CPU per request with connections sending back to
// back over keep-alive (as `wrk -c`), without Accept-Encoding, the same
// page throughout: first the floor serving the markup the portal served
// for the page, then the portal. The floor and the page from the read
// cache are one technician's session on o.connections connections. The
// page read fresh is one technician per connection, since one
// technician's concurrent fresh reads of a page share their Graph calls,
// and every technician of the phases at their pace has one: each of its
// pages waits for Graph, and full speed is the portal kept as busy as the
// simulator and this load generator can keep it, not o.connections
// waiting.
func fullSpeed(ctx context.Context, o options, env *environment, browsers []*http.Client, stdout io.Writer) ([]row, error) {
	sessions, transport := plainClients(browsers[:o.connections], o.connections)
	defer transport.CloseIdleConnections()
	technicians, freshTransport := plainClients(browsers, len(browsers))
	defer freshTransport.CloseIdleConnections()
	page := userPages[0]
	markup, err := plainBody(sessions[0], env.portal+page)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	floor, err := startFloor(ctx, env, markup, page)
	if err != nil {
		return nil, err
	}
	defer floor.p.stop()

	// run warms path up and measures it; counts reads the portal's Graph
	// calls around the measured part, nil for the floor.
	run := func(what string, srv server, connections int, clients []*http.Client, path string, counts *http.Client) (result, int, error) {
		fmt.Fprintf(stdout, "full speed: %s, %d connections back to back, %s warm-up, %s measured…\n", what, connections, o.warmup, o.short)
		closedLoop(ctx, clients, shape{connections, o.warmup, 0}, srv.url, []string{path}, http.StatusOK)
		var before map[string]float64
		if counts != nil {
			if before, err = graphCalls(counts, env.portal); err != nil {
				return result{}, 0, err
			}
		}
		r, err := measured(ctx, env, srv, clients, shape{connections, o.short, 0}, []string{path}, http.StatusOK)
		if err != nil || counts == nil {
			return r, 0, err
		}
		after, err := graphCalls(counts, env.portal)
		calls, _ := callsBetween(before, after)
		return r, calls, err
	}
	bare, _, err := run("the floor", floor, o.connections, sessions[:1], page, nil)
	if err != nil {
		return nil, err
	}
	floor.p.stop()
	cached, cachedCalls, err := run("user page from the read cache", env.portalServer(), o.connections, sessions[:1], page, sessions[0])
	if err != nil {
		return nil, err
	}
	fresh, freshCalls, err := run("user page ?fresh=1, a technician per connection", env.portalServer(), len(technicians), technicians, page+"?fresh=1", sessions[0])
	if err != nil {
		return nil, err
	}
	how := fmt.Sprintf("%d connections back to back, no Accept-Encoding", o.connections)
	return []row{
		note(fmt.Sprintf("CPU per request at full speed (%s): the floor, Echo + templ serving the %.1f KB the portal served for %s from memory", how, kb(len(markup)), page),
			fmt.Sprintf("%s (%s)", us(perRequest(bare)), pace(bare))),
		againstFloor(fmt.Sprintf("CPU per request at full speed: the same page from the technician's read cache (one session, %s)", how),
			cached, bare, cachedCalls, 5),
		againstFloor(fmt.Sprintf("CPU per request at full speed: the same page ?fresh=1, every Graph read made anew (a technician per connection, %d connections back to back, no Accept-Encoding)", len(technicians)),
			fresh, bare, freshCalls, 8),
	}, nil
}

// againstFloor judges a page's CPU per request against the floor's:
// at most limit times it. graphCalls is what the portal called Graph for
// over the page's measured phase.
func againstFloor(figure string, page, floor result, graphCalls int, limit float64) row {
	ratio := float64(perRequest(page)) / float64(perRequest(floor))
	return check(figure,
		fmt.Sprintf("%s = %.1f× the floor (%s; %.2f Graph calls per page)", us(perRequest(page)), ratio, pace(page),
			float64(graphCalls)/float64(page.requests())),
		ratio <= limit, fmt.Sprintf("≤ %g× the floor", limit))
}

// pace is a phase's rate, median latency and how busy the server was.
func pace(r result) string {
	return fmt.Sprintf("%.0f/s, p50 %s, CPU %.0f%% busy", float64(r.requests())/r.elapsed.Seconds(),
		ms(percentile(sortedCopy(r.latencies), 50)), 100*r.serverCPU.Seconds()/r.elapsed.Seconds())
}

// plainBody fetches a page uncompressed, as the floor is to serve it.
func plainBody(c *http.Client, url string) ([]byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
		return nil, fmt.Errorf("GET %s: status %d, Content-Encoding %q; want 200 uncompressed", url, resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	return b, nil
}

func kb(n int) float64 { return float64(n) / 1024 }
