package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// phase is the result of one closed-loop run.
type phase struct {
	latencies []time.Duration // of the successful requests
	errors    int
	firstErr  error
	elapsed   time.Duration
}

func (p phase) requests() int { return len(p.latencies) + p.errors }

// shape is how the workers of a phase send: each, for d, a closed loop of
// a request and then, when think > 0, a pause drawn from an exponential
// distribution of that mean. With a think time a worker is a technician
// reading the page before opening the next; without, the phase measures
// capacity.
type shape struct {
	workers int
	d       time.Duration
	think   time.Duration
}

// call is one request of worker i (its k-th, counting from i): its latency,
// or an error.
type call func(i, k int) (time.Duration, error)

// timed is a call whose latency is f's wall time.
func timed(f func(i, k int) error) call {
	return func(i, k int) (time.Duration, error) {
		t0 := time.Now()
		err := f(i, k)
		return time.Since(t0), err
	}
}

// closedLoop runs s with GET requests, worker i through
// clients[i%len(clients)], cycling over paths. Every answer must have
// status want.
func closedLoop(ctx context.Context, clients []*http.Client, s shape, base string, paths []string, want int) phase {
	return closedLoopFunc(ctx, s, timed(func(i, k int) error {
		return get(clients[i%len(clients)], base+paths[k%len(paths)], want)
	}))
}

// closedLoopFunc runs s with do, worker i with k = i, i+1, …; a call that
// returns an error is counted as failed. A call still running at the end is
// let finish and then dropped. With a think time every worker also thinks
// before its first call, so that the workers do not start in step.
func closedLoopFunc(ctx context.Context, s shape, do call) phase {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	var (
		mu  sync.Mutex
		out phase
		wg  sync.WaitGroup
	)
	started := time.Now()
	for i := range s.workers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			var errs int
			var firstErr error
			for k := i; pause(ctx, thinkTime(s.think)); k++ {
				d, err := do(i, k)
				if ctx.Err() != nil && err != nil {
					break // cut off by the end of the phase
				}
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				lat = append(lat, d)
			}
			mu.Lock()
			out.latencies = append(out.latencies, lat...)
			out.errors += errs
			if out.firstErr == nil {
				out.firstErr = firstErr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	out.elapsed = time.Since(started)
	return out
}

// thinkTime draws a pause of the given mean from an exponential
// distribution: memoryless, so technicians pausing independently send as
// a random (Poisson-like) stream, not in waves. 0 when mean is 0.
func thinkTime(mean time.Duration) time.Duration {
	return time.Duration(rand.ExpFloat64() * float64(mean))
}

// pause waits d and reports whether ctx is still live after it.
func pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}

// get fetches url, reads the whole body (so the connection is reused) and
// checks the status.
func get(c *http.Client, url string, want int) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("GET %s: status %d, want %d", url, resp.StatusCode, want)
	}
	return nil
}

// getBody fetches url and returns its body when the status is 200.
func getBody(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return string(b), nil
}

// graphCallsMetric is the portal's per-call Graph histogram; its _count
// series, summed over status, is the number of Graph calls per endpoint.
const graphCallsMetric = "assistdesk_graph_request_duration_seconds_count"

// graphCalls scrapes the portal's /metrics and returns Graph calls so far
// by endpoint.
func graphCalls(c *http.Client, portal string) (map[string]float64, error) {
	body, err := getBody(c, portal+"/metrics")
	if err != nil {
		return nil, err
	}
	return parseGraphCalls(body)
}

// parseGraphCalls sums graphCallsMetric by its endpoint label in a
// Prometheus text exposition.
func parseGraphCalls(exposition string) (map[string]float64, error) {
	calls := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(exposition))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, graphCallsMetric+"{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			return nil, fmt.Errorf("metrics: malformed line %q", line)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: %q: %w", line, err)
		}
		calls[labelValue(labels, "endpoint")] += v
	}
	return calls, sc.Err()
}

// labelValue reads name="value" from a label list; endpoint values hold
// no quotes or backslashes (they are fixed patterns).
func labelValue(labels, name string) string {
	_, after, ok := strings.Cut(labels, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, `"`)
	return v
}

// callsBetween is the number of Graph calls between two scrapes, in total
// and by endpoint ("endpoint ×n; …").
func callsBetween(before, after map[string]float64) (int, string) {
	total := 0
	var parts []string
	for ep, n := range after {
		if d := int(n - before[ep]); d > 0 {
			total += d
			parts = append(parts, fmt.Sprintf("%s ×%d", ep, d))
		}
	}
	sortStrings(parts)
	return total, strings.Join(parts, "; ")
}
