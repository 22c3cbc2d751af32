package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/graphsim"
)

// largeSearch is a common first name of the large tenant: about one user
// in 48 has it, so the search finds some 2,000 and shows 25.
const largeSearch = "maria"

// largeFlow is one page measured on the large tenant, with the portal's
// Graph calls for it.
type largeFlow struct {
	name   string
	path   string
	header [2]string // sent with every request to the portal, if set
	calls  []func(ctx context.Context, c *graph.Client, token string) error
}

func largeFlows() []largeFlow {
	shared := graphsim.LargeSharedUPN(1)
	// The portal's calls for each page (web/search.go, web/users.go), with
	// its limits: 25 users shown (one more asked for), ?show=250 devices
	// (one more asked for, to know whether there are more). Every page is
	// read fresh: from the read cache it would make no Graph call.
	return []largeFlow{{
		name:   fmt.Sprintf("search %q (htmx fragment, ?fresh=1)", largeSearch),
		path:   "/search?q=" + largeSearch + "&fresh=1",
		header: [2]string{"HX-Request", "true"},
		calls: []func(context.Context, *graph.Client, string) error{
			func(ctx context.Context, c *graph.Client, tok string) error {
				_, err := c.SearchUsers(ctx, tok, largeSearch, 26)
				return err
			},
			func(ctx context.Context, c *graph.Client, tok string) error {
				_, err := c.DevicesByNamePrefix(ctx, tok, largeSearch)
				return err
			},
			func(ctx context.Context, c *graph.Client, tok string) error {
				_, err := c.DevicesBySerial(ctx, tok, largeSearch)
				return err
			},
		},
	}, {
		name: fmt.Sprintf("user page of a shared account with %d devices, ?show=250&fresh=1", graphsim.LargeSharedDevices),
		path: "/users/" + url.PathEscape(shared) + "?show=250&fresh=1",
		calls: []func(context.Context, *graph.Client, string) error{
			func(ctx context.Context, c *graph.Client, tok string) error {
				_, err := c.User(ctx, tok, shared)
				return err
			},
			func(ctx context.Context, c *graph.Client, tok string) error {
				_, err := c.UserDevices(ctx, tok, shared, 251)
				return err
			},
		},
	}}
}

// measureLarge measures search and a paged device list through the portal
// against the large tenant, and the same Graph calls sent straight to the
// simulator, at the same concurrency.
func measureLarge(ctx context.Context, o options, env *environment, stdout io.Writer) ([]row, error) {
	rows := []row{note("large tenant: simulator start to listening (builds and indexes the tenant)",
		fmt.Sprintf("%.1f s", env.simReady.Seconds()))}
	readyRSS, _ := memoryKB(env.graphsim.pid(), "VmRSS")
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 8 * o.largeClients
	transport.MaxIdleConnsPerHost = 4 * o.largeClients
	defer transport.CloseIdleConnections()
	fmt.Fprintf(stdout, "large tenant: signing in %d technicians…\n", o.largeClients)
	browsers, err := signInMany([]string{env.portal}, transport, benchTechnicians(o.largeClients))
	if err != nil {
		return nil, err
	}
	token, err := graphToken(env, technicians[0])
	if err != nil {
		return nil, err
	}
	direct := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	for _, f := range largeFlows() {
		portalGet := func(i, _ int) error {
			req, _ := http.NewRequest(http.MethodGet, env.portal+f.path, nil)
			if f.header[0] != "" {
				req.Header.Set(f.header[0], f.header[1])
			}
			return send(browsers[i%len(browsers)], req)
		}
		// Once per session: it must work, and it warms the technician's
		// connector status as any second page view would.
		for i := range browsers {
			if err := portalGet(i, 0); err != nil {
				return nil, fmt.Errorf("setup: %w", err)
			}
		}
		flow, err := recordFlow(env.graphURL, token, f.calls...)
		if err != nil {
			return nil, err
		}
		before, err := graphCalls(browsers[0], env.portal)
		if err != nil {
			return nil, err
		}
		if err := portalGet(0, 0); err != nil {
			return nil, err
		}
		after, err := graphCalls(browsers[0], env.portal)
		if err != nil {
			return nil, err
		}
		n, detail := callsBetween(before, after)
		callsRow := row{Figure: "large tenant: Graph calls of the portal for " + f.name,
			Measured: fmt.Sprintf("%d (%s)", n, detail), Target: fmt.Sprintf("= the %d replayed", flow.calls()), Result: pass}
		if n != flow.calls() {
			callsRow.Result = fail
		}

		fmt.Fprintf(stdout, "large tenant: %s, %d clients, %s warm-up, %s measured, through the portal and then straight to the simulator; then one client…\n",
			f.name, o.largeClients, o.warmup, o.largeDuration)
		warm, load := shape{o.largeClients, o.warmup, 0}, shape{o.largeClients, o.largeDuration, 0}
		closedLoopFunc(ctx, warm, timed(portalGet))
		simBefore, _ := cpuTime(env.graphsim.pid())
		portalPhase := closedLoopFunc(ctx, load, timed(portalGet))
		simAfter, _ := cpuTime(env.graphsim.pid())
		portal, err := loopResult(portalPhase, f.path)
		if err != nil {
			return nil, err
		}
		replay := timed(func(int, int) error {
			_, err := flow.replay(direct)
			return err
		})
		closedLoopFunc(ctx, warm, replay)
		sim, err := loopResult(closedLoopFunc(ctx, load, replay), "the replayed Graph calls")
		if err != nil {
			return nil, err
		}
		pp, sp := percentile(portal, 50), percentile(sim, 50)
		rows = append(rows,
			note("large tenant: "+f.name+": portal p50 / p99 ("+fmt.Sprint(o.largeClients)+" clients; simulator CPU busy meanwhile)",
				fmt.Sprintf("%s / %s (%.0f%%)", ms(pp), ms(percentile(portal, 99)), 100*(simAfter-simBefore).Seconds()/portalPhase.elapsed.Seconds())),
			note("large tenant: "+f.name+": simulator alone, the same Graph calls, p50 / p99",
				ms(sp)+" / "+ms(percentile(sim, 99))),
			atMost("large tenant: "+f.name+": portal p50 ÷ simulator p50", float64(pp)/float64(sp), 1.1, "%.2f", "≤ 1.1"),
			callsRow)

		// With many clients the simulator is the bottleneck and both sides
		// of the ratio are mostly its queue; one technician alone shows
		// the portal's own share.
		alone, aloneWarm := shape{1, o.largeDuration / 2, 0}, shape{1, time.Second, 0}
		closedLoopFunc(ctx, aloneWarm, timed(portalGet))
		portal, err = loopResult(closedLoopFunc(ctx, alone, timed(portalGet)), f.path)
		if err != nil {
			return nil, err
		}
		closedLoopFunc(ctx, aloneWarm, replay)
		sim, err = loopResult(closedLoopFunc(ctx, alone, replay), "the replayed Graph calls")
		if err != nil {
			return nil, err
		}
		pp, sp = percentile(portal, 50), percentile(sim, 50)
		rows = append(rows, note("large tenant: "+f.name+": one technician alone: portal p50 / simulator p50 (ratio)",
			fmt.Sprintf("%s / %s (%.2f)", ms(pp), ms(sp), float64(pp)/float64(sp))))
	}
	rss, _ := memoryKB(env.graphsim.pid(), "VmRSS")
	hwm, _ := memoryKB(env.graphsim.pid(), "VmHWM")
	rows = append(rows, note("large tenant: simulator resident memory (VmRSS) when listening / after the phase / peak (VmHWM)",
		fmt.Sprintf("%.0f MB / %.0f MB / %.0f MB", float64(readyRSS)/1024, float64(rss)/1024, float64(hwm)/1024)))
	return rows, nil
}

// loopResult is a phase's sorted latencies; a phase in which nothing
// succeeded is an error.
func loopResult(p phase, what string) ([]time.Duration, error) {
	if p.errors > 0 {
		fmt.Fprintf(os.Stderr, "warning: %d of %d requests to %s failed; first: %v\n", p.errors, p.requests(), what, p.firstErr)
	}
	if len(p.latencies) == 0 {
		return nil, fmt.Errorf("no request to %s succeeded: %v", what, p.firstErr)
	}
	return sortedCopy(p.latencies), nil
}
