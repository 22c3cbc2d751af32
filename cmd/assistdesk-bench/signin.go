package main

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/assistdesk/assistdesk/internal/devidp"
	"github.com/assistdesk/assistdesk/internal/signintest"
)

// technicians of the demo provider; sessions that only sign in (the memory
// phase, the burst) alternate between them.
var technicians = []string{"harper", "lee"}

// demoTechnicians are n sessions alternating between the demo's two
// technicians.
func demoTechnicians(n int) []string {
	people := make([]string, n)
	for i := range people {
		people[i] = technicians[i%len(technicians)]
	}
	return people
}

// benchTechnicians are the bench's own technicians, whom its provider has
// besides the demo's: the phases that load pages sign each session in as
// a technician of its own, as 64 technicians are 64 people. It matters: a
// technician's concurrent reads of one page share one Graph call (the read
// cache's single flight), so sessions of one technician would measure
// pages that call Graph less than once each.
func benchTechnicians(n int) []string {
	people := make([]string, n)
	for i := range people {
		people[i] = fmt.Sprintf("tech%04d", i+1)
	}
	return people
}

// benchPeople are the first n bench technicians as the provider knows them.
func benchPeople(n int) []devidp.Person {
	people := make([]devidp.Person, n)
	for i, local := range benchTechnicians(n) {
		people[i] = devidp.Person{
			ObjectID:    fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			Username:    local + "@contoso.example",
			Name:        "Bench " + local,
			Email:       local + "@contoso.example",
			Roles:       []string{devidp.RoleTechnician},
			Description: "assistdesk-bench technician",
		}
	}
	return people
}

// flowT lets the signintest helpers, written for tests, run in this
// command: a failure panics with flowFailure, which runFlow turns into an
// error. Only the methods signintest calls are implemented; the embedded
// nil testing.TB supplies the unexported method the interface requires.
type flowT struct {
	testing.TB
	cleanups []func()
}

type flowFailure struct{ msg string }

func (t *flowT) Helper()                   {}
func (t *flowT) Cleanup(f func())          { t.cleanups = append(t.cleanups, f) }
func (t *flowT) Fatal(args ...any)         { panic(flowFailure{fmt.Sprint(args...)}) }
func (t *flowT) Fatalf(f string, a ...any) { panic(flowFailure{fmt.Sprintf(f, a...)}) }
func (t *flowT) Error(args ...any)         { t.Fatal(args...) }
func (t *flowT) Errorf(f string, a ...any) { t.Fatalf(f, a...) }
func (t *flowT) Log(...any)                {}
func (t *flowT) Logf(string, ...any)       {}
func (t *flowT) Name() string              { return "assistdesk-bench" }

// runFlow runs f with a flowT, then its cleanups, and reports a failure
// as an error.
func runFlow(f func(t testing.TB)) (err error) {
	t := &flowT{}
	defer func() {
		for i := len(t.cleanups) - 1; i >= 0; i-- {
			t.cleanups[i]()
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			ff, ok := r.(flowFailure)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("sign-in flow: %s", ff.msg)
		}
	}()
	f(t)
	return nil
}

// newBrowser is a technician's client: its own cookie jar (so its own
// session), redirects not followed, keep-alive connections from the shared
// transport.
func newBrowser(transport http.RoundTripper) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		Transport:     transport,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// signIn signs c in as person (the local part of a demo UPN) through the
// demo provider's picker, as signintest does in the tests.
func signIn(c *http.Client, portal, person string) error {
	return runFlow(func(t testing.TB) {
		resp := signintest.SignIn(t, c, portal, "/", person)
		if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
			t.Fatalf("callback answered %d, want a redirect", resp.StatusCode)
		}
		if loc := signintest.Location(t, resp); strings.Contains(loc, "/login") {
			t.Fatalf("callback sent %s back to %s", person, loc)
		}
	})
}

// postAssistance requests assistance as c's technician through path, with
// the page's anti-forgery token and form, and returns the status.
func postAssistance(c *http.Client, portal, path string, form url.Values) (status int, err error) {
	err = runFlow(func(t testing.TB) {
		status = signintest.Post(t, c, portal, path, form).StatusCode
	})
	return status, err
}
