package graphsim

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// statuses lists the recorded status and fault of every request.
func (e *env) statuses() []string {
	var out []string
	for _, r := range e.sim.Requests() {
		out = append(out, fmt.Sprintf("%d %s", r.Status, r.Fault))
	}
	return out
}

func TestThrottleRetryAfterAndEarlyRetry(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{Now: clock.Now})
	path := findAssistTargets(t).paths[2]
	tok := e.iss.Token(t, nil)
	if err := e.sim.Throttle(1, time.Second); err != nil {
		t.Fatal(err)
	}

	first := e.call(http.MethodPost, path, tok)
	wrapped(t, first.wantError(t, http.StatusTooManyRequests, "TooManyRequests"))
	if got := first.header.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After %q, want 1", got)
	}
	// Another technician is not retrying, and nor is a different request.
	if r := e.get("/beta/deviceManagement/managedDevices/" + findAssistTargets(t).devices[2]); r.status != http.StatusOK {
		t.Errorf("a GET after the throttle: %d", r.status)
	}
	clock.Advance(999 * time.Millisecond)
	early := e.call(http.MethodPost, path, e.iss.Token(t, nil)) // a fresh token, the same oid
	early.wantError(t, http.StatusTooManyRequests, "TooManyRequests")
	if got := early.header.Get("Retry-After"); got != "1" {
		t.Errorf("early retry: Retry-After %q, want the 1 s that remains", got)
	}
	if n := e.sim.EarlyRetries(); n != 1 {
		t.Fatalf("EarlyRetries = %d after one early retry", n)
	}

	clock.Advance(time.Millisecond)
	if r := e.call(http.MethodPost, path, tok); r.status != http.StatusNoContent {
		t.Fatalf("after waiting: %d %s", r.status, r.body)
	}
	if n := e.sim.EarlyRetries(); n != 1 {
		t.Errorf("EarlyRetries = %d, want 1", n)
	}
	if n := len(e.sim.Actions()); n != 1 {
		t.Errorf("%d actions, want only the one after the wait", n)
	}
	want := []string{"429 throttle", "200 ", "429 early-retry", "204 "}
	if got := e.statuses(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("recorded %q, want %q", got, want)
	}
}

func TestThrottleWithoutRetryAfter(t *testing.T) {
	e := newEnv(t, Config{Faults: Faults{Throttle: Throttling{Method: http.MethodPost, Requests: 2}}})
	path := findAssistTargets(t).paths[2]
	tok := e.iss.Token(t, nil)
	if r := e.get("/v1.0/users?$top=1"); r.status != http.StatusOK {
		t.Errorf("a GET was throttled by a POST throttle: %d", r.status)
	}
	for i := range 2 {
		r := e.call(http.MethodPost, path, tok)
		ge := r.wantError(t, http.StatusTooManyRequests, "TooManyRequests")
		if got, ok := r.header["Retry-After"]; ok {
			t.Errorf("POST %d: Retry-After %q sent", i, got)
		}
		if doc := wrapped(t, ge); doc.RetryAfter != nil {
			t.Errorf("POST %d: wrapped RetryAfter %q", i, *doc.RetryAfter)
		}
	}
	if r := e.call(http.MethodPost, path, tok); r.status != http.StatusNoContent {
		t.Errorf("third POST: %d", r.status)
	}
	if n := e.sim.EarlyRetries(); n != 0 {
		t.Errorf("EarlyRetries = %d with nothing to wait for", n)
	}
}

// send is a request from any goroutine: it reports rather than failing.
func (e *env) send(method, path, tok string) (int, string, error) {
	req, err := http.NewRequest(method, e.url+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

func TestWriteLimitUnderABurst(t *testing.T) {
	const limit = 10
	clock := newFakeClock()
	e := newEnv(t, Config{Now: clock.Now, Faults: Faults{WriteLimit: WriteLimit{Writes: limit, Window: 20 * time.Second}}})
	path := findAssistTargets(t).paths[2]
	appToken := func(app, oid string) string { return e.iss.Token(t, map[string]any{"appid": app, "oid": oid}) }

	// Failed writes are sent, but only successful ones use the budget.
	missing := "/beta/deviceManagement/managedDevices/00000000-0000-4000-8000-00000000dead/requestRemoteAssistance"
	for i := range 3 {
		e.call(http.MethodPost, missing, appToken("app-1", fmt.Sprint("miss-", i))).wantError(t, http.StatusNotFound, "ResourceNotFound")
	}

	// Each request of the burst is a different technician: none is a retry.
	tokens := make([]string, 3*limit)
	for i := range tokens {
		tokens[i] = appToken("app-1", fmt.Sprint("oid-", i))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := map[string]int{}
	for _, tok := range tokens {
		wg.Go(func() {
			status, retry, err := e.send(http.MethodPost, path, tok)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
			}
			count[fmt.Sprint(status, " Retry-After:", retry)]++
		})
	}
	wg.Wait()
	want := map[string]int{"204 Retry-After:": limit, "429 Retry-After:20": 2 * limit}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Fatalf("burst of %d: %v, want %v", 3*limit, count, want)
	}
	if n := len(e.sim.Actions()); n != limit {
		t.Errorf("%d actions, want %d", n, limit)
	}
	if n := e.sim.WritesInWindow(); n != 3*limit+3 {
		t.Errorf("WritesInWindow = %d, want every write sent: %d", n, 3*limit+3)
	}

	// Another app has its own budget.
	if status, _, _ := e.send(http.MethodPost, path, appToken("app-2", "other")); status != http.StatusNoContent {
		t.Errorf("another app: %d", status)
	}
	clock.Advance(5 * time.Second)
	if status, retry, _ := e.send(http.MethodPost, path, appToken("app-1", "late")); status != http.StatusTooManyRequests || retry != "15" {
		t.Errorf("5 s later: %d, Retry-After %q, want 429 and 15", status, retry)
	}
	clock.Advance(15 * time.Second)
	if status, _, _ := e.send(http.MethodPost, path, appToken("app-1", "later")); status != http.StatusNoContent {
		t.Errorf("once the window has passed: %d", status)
	}
	if n := e.sim.EarlyRetries(); n != 0 {
		t.Errorf("EarlyRetries = %d, though no request was repeated", n)
	}
}

func TestWriteLimitAtRunTime(t *testing.T) {
	e := newEnv(t, Config{})
	path := findAssistTargets(t).paths[2]
	if err := e.sim.SetWriteLimit(1, time.Minute); err != nil {
		t.Fatal(err)
	}
	tok := e.iss.Token(t, nil)
	if r := e.call(http.MethodPost, path, tok); r.status != http.StatusNoContent {
		t.Fatalf("first write: %d", r.status)
	}
	r := e.call(http.MethodPost, path, e.iss.Token(t, map[string]any{"oid": "someone-else"}))
	r.wantError(t, http.StatusTooManyRequests, "TooManyRequests")
	if got := r.header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After %q, want 60", got)
	}
	if err := e.sim.SetWriteLimit(0, 0); err != nil {
		t.Fatal(err)
	}
	if r := e.call(http.MethodPost, path, e.iss.Token(t, map[string]any{"oid": "third"})); r.status != http.StatusNoContent {
		t.Errorf("with the limit lifted: %d", r.status)
	}
	if err := e.sim.SetWriteLimit(-1, 0); err == nil {
		t.Error("a negative limit was accepted")
	}
}

func TestRefuseRoutesAtRunTime(t *testing.T) {
	e := newEnv(t, Config{})
	targets := findAssistTargets(t)
	if err := e.sim.SetRefuseRoutes(1, 3); err != nil {
		t.Fatal(err)
	}
	e.call(http.MethodPost, targets.paths[1], e.iss.Token(t, nil)).wantError(t, http.StatusBadRequest, "BadRequest")
	e.call(http.MethodPost, targets.paths[3], e.iss.Token(t, nil)).wantError(t, http.StatusBadRequest, "BadRequest")
	if err := e.sim.SetRefuseRoutes(); err != nil {
		t.Fatal(err)
	}
	if r := e.call(http.MethodPost, targets.paths[1], e.iss.Token(t, nil)); r.status != http.StatusNoContent {
		t.Errorf("route 1 after lifting the refusal: %d", r.status)
	}
	if err := e.sim.SetRefuseRoutes(2); err == nil {
		t.Error("refusing route 2 was accepted")
	}
}

func TestReadLimitCountsEveryIntuneRequest(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{Now: clock.Now, Faults: Faults{ReadLimit: ReadLimit{Requests: 3, Window: 20 * time.Second}}})
	targets := findAssistTargets(t)
	device := "/beta/deviceManagement/managedDevices/" + targets.devices[2]
	userPath, _, _ := strings.Cut(targets.paths[1], "/managedDevices/")
	userDevices := userPath + "/managedDevices"
	// Each request is a different technician of one app: none is a retry.
	n := 0
	tok := func(app string) string {
		n++
		return e.iss.Token(t, map[string]any{"appid": app, "oid": fmt.Sprint("oid-", n)})
	}
	want := func(r response, status int, what string) {
		t.Helper()
		if r.status != status {
			t.Fatalf("%s: %d %s, want %d", what, r.status, r.body, status)
		}
	}

	want(e.call(http.MethodGet, device, tok("app-1")), http.StatusOK, "t=0 s, a device")
	// The directory is not Intune: however many, these do not count.
	for range 5 {
		want(e.call(http.MethodGet, "/v1.0/users?$top=1", tok("app-1")), http.StatusOK, "the directory's users")
		want(e.call(http.MethodGet, userPath, tok("app-1")), http.StatusOK, "the directory's user")
	}
	if got := e.sim.IntuneRequestsInWindow(); got != 1 {
		t.Fatalf("IntuneRequestsInWindow = %d after one Intune request among directory requests", got)
	}
	clock.Advance(5 * time.Second)
	want(e.call(http.MethodGet, userDevices, tok("app-1")), http.StatusOK, "t=5 s, a user's devices")

	// A throttled request counts too: it is the third in the window.
	clock.Advance(5 * time.Second)
	if err := e.sim.Throttle(1, 0); err != nil {
		t.Fatal(err)
	}
	e.call(http.MethodPost, targets.paths[2], tok("app-1")).wantError(t, http.StatusTooManyRequests, "TooManyRequests")
	// Another app has its own limit.
	want(e.call(http.MethodGet, device, tok("app-2")), http.StatusOK, "t=10 s, another app")

	// The fourth within 20 s is refused as Intune refuses it, write or not.
	// It counts as well, so the window has room again only once two
	// requests have left it: the one at 5 s does at 25 s, 13 s from now.
	clock.Advance(2 * time.Second)
	r := e.call(http.MethodPost, targets.paths[2], tok("app-1"))
	doc := wrapped(t, r.wantError(t, http.StatusTooManyRequests, "TooManyRequests"))
	if got := r.header.Get("Retry-After"); got != "13" {
		t.Errorf("t=12 s: Retry-After %q, want 13", got)
	}
	if doc.RetryAfter == nil || *doc.RetryAfter != "13" {
		t.Errorf("t=12 s: wrapped RetryAfter %q, want 13", r.body)
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions after a write the read limit refused", n)
	}

	// At 20 s the request at 0 s has left, but the refused ones have not.
	clock.Advance(8 * time.Second)
	r = e.call(http.MethodGet, device, tok("app-1"))
	r.wantError(t, http.StatusTooManyRequests, "TooManyRequests")
	if got := r.header.Get("Retry-After"); got != "10" {
		t.Errorf("t=20 s: Retry-After %q, want 10", got)
	}
	// At 30 s the window (10 s, 30 s] holds the two refused at 12 s and 20 s.
	clock.Advance(10 * time.Second)
	want(e.call(http.MethodGet, device, tok("app-1")), http.StatusOK, "t=30 s")

	if got := e.sim.IntuneRequestsInWindow(); got != 4 {
		t.Errorf("IntuneRequestsInWindow = %d, want 4 (at 12 s and at 20 s)", got)
	}
	if got := e.sim.ReadLimited(); got != 2 {
		t.Errorf("ReadLimited = %d, want 2", got)
	}
	if n := e.sim.EarlyRetries(); n != 0 {
		t.Errorf("EarlyRetries = %d, though no request was repeated", n)
	}
	var faults []string
	for _, r := range e.sim.Requests() {
		if r.Fault != "" {
			faults = append(faults, fmt.Sprintf("%d %s", r.Status, r.Fault))
		}
	}
	if w := []string{"429 throttle", "429 read-limit", "429 read-limit"}; fmt.Sprint(faults) != fmt.Sprint(w) {
		t.Errorf("faults recorded %q, want %q", faults, w)
	}
}

func TestReadLimitBeforeTheWriteLimit(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, Config{Now: clock.Now, Faults: Faults{
		ReadLimit:  ReadLimit{Requests: 1, Window: 10 * time.Second},
		WriteLimit: WriteLimit{Writes: 1, Window: time.Minute},
	}})
	path := findAssistTargets(t).paths[2]
	if r := e.call(http.MethodPost, path, e.iss.Token(t, map[string]any{"oid": "first"})); r.status != http.StatusNoContent {
		t.Fatalf("first write: %d %s", r.status, r.body)
	}
	// Both limits are reached: the read limit answers first, so the
	// refused write never reaches the write limit.
	r := e.call(http.MethodPost, path, e.iss.Token(t, map[string]any{"oid": "second"}))
	r.wantError(t, http.StatusTooManyRequests, "TooManyRequests")
	if got := r.header.Get("Retry-After"); got != "10" {
		t.Errorf("Retry-After %q, want the read limit's 10", got)
	}
	reqs := e.sim.Requests()
	if f := reqs[len(reqs)-1].Fault; f != faultReadLimit {
		t.Errorf("refused by %q, want %q", f, faultReadLimit)
	}
}

func TestReadLimitAtRunTime(t *testing.T) {
	e := newEnv(t, Config{})
	device := "/beta/deviceManagement/managedDevices/" + findAssistTargets(t).devices[2]
	if err := e.sim.SetReadLimit(1, time.Minute); err != nil {
		t.Fatal(err)
	}
	tok := e.iss.Token(t, nil)
	if r := e.call(http.MethodGet, device, tok); r.status != http.StatusOK {
		t.Fatalf("first read: %d", r.status)
	}
	// With a limit of 1 the refused request itself fills the window: a
	// retry is within the limit a whole window later.
	r := e.call(http.MethodGet, device, tok)
	wrapped(t, r.wantError(t, http.StatusTooManyRequests, "TooManyRequests"))
	if got := r.header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After %q, want 60", got)
	}
	// The same request again, too early, is an early retry, and counts.
	e.call(http.MethodGet, device, tok).wantError(t, http.StatusTooManyRequests, "TooManyRequests")
	if n := e.sim.EarlyRetries(); n != 1 {
		t.Errorf("EarlyRetries = %d, want 1", n)
	}
	if n, l := e.sim.IntuneRequestsInWindow(), e.sim.ReadLimited(); n != 3 || l != 1 {
		t.Errorf("IntuneRequestsInWindow, ReadLimited = %d, %d; want 3, 1", n, l)
	}
	if err := e.sim.SetReadLimit(0, 0); err != nil {
		t.Fatal(err)
	}
	// A new window starts the count afresh.
	if n := e.sim.IntuneRequestsInWindow(); n != 0 {
		t.Errorf("IntuneRequestsInWindow = %d once the window is 20 s instead of 1 min", n)
	}
	if r := e.call(http.MethodGet, device, e.iss.Token(t, map[string]any{"oid": "someone-else"})); r.status != http.StatusOK {
		t.Errorf("with the limit lifted: %d", r.status)
	}
	if err := e.sim.SetReadLimit(-1, 0); err == nil {
		t.Error("a negative limit was accepted")
	}
	if err := e.sim.SetReadLimit(10, -time.Second); err == nil {
		t.Error("a negative window was accepted")
	}
}
