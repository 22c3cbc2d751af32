package graphsim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of the faults that have one.
const (
	defaultFailRetryAfter = time.Second
	defaultWriteWindow    = 20 * time.Second // Intune's throttling window
	defaultReadWindow     = defaultWriteWindow
	defaultSessionDelay   = 3 * time.Second
)

// Faults are what the simulator does differently from a healthy Graph, so
// that the portal can be proven right against what production Graph does
// on a bad day. The zero value injects nothing. The same faults can be set
// at construction (Config.Faults), from flags (RegisterFlags) and at run
// time (the Set… methods of Server).
type Faults struct {
	Latency       time.Duration          // added before every answer
	Jitter        time.Duration          // up to this much more, drawn at random per request
	FailRates     []FailRate             // at most one per method
	Seed          int64                  // seeds FailRates and Jitter, so a run can be repeated; 0 picks one
	Throttle      Throttling             // 429 for the next requests
	ReadLimit     ReadLimit              // Intune's per-app limit on any request; off when Requests is 0
	WriteLimit    WriteLimit             // Intune's per-app write limit; off when Writes is 0
	Devices       map[string]DeviceFault // by managed device id
	SessionDelay  time.Duration          // from an accepted requestRemoteAssistance to its outcome on the device; 3 s when 0
	PartnerStatus string                 // onboardingStatus of the TeamViewer partner; onboarded when ""
}

// FailRate fails a share of the requests of one HTTP method with a
// Graph-shaped error, as an outage or an overloaded service does.
type FailRate struct {
	Method     string        // GET, POST, PUT, PATCH or DELETE
	Rate       float64       // share of that method's requests to fail, 0 to 1
	Status     int           // 429, 500, 502, 503 or 504; 503 when 0
	RetryAfter time.Duration // Retry-After sent with 429 and 503, rounded up to seconds; 1 s when 0
}

// Throttling answers the next Requests requests with 429.
type Throttling struct {
	Method     string        // only requests of this method; any when ""
	Requests   int           // how many
	RetryAfter time.Duration // Retry-After, rounded up to seconds; none when 0, as from some Intune endpoints
}

// ReadLimit is Intune's limit on any request to its devices service per
// app and tenant, reads and writes together: 2,000 per 20 s in production.
// It is named for the reads because only it limits them. Every request
// that reaches Intune counts, whatever its answer: throttled calls count
// against Graph's limits too, so a client that keeps asking stays
// throttled.
type ReadLimit struct {
	Requests int           // requests allowed per window; no limit when 0
	Window   time.Duration // 20 s when 0
}

// WriteLimit is Intune's limit on POST, PUT, PATCH and DELETE per app and
// tenant: 200 per 20 s in production.
type WriteLimit struct {
	Writes int           // successful writes allowed per window; no limit when 0
	Window time.Duration // 20 s when 0
}

// DeviceFault is what happens to every request that addresses one managed
// device: reading it, or requesting assistance on it by any route. The zero
// value is no fault.
type DeviceFault struct {
	kind  string
	delay time.Duration
}

// Kinds of device fault, as the -device-fault flag spells them.
const (
	kindForbidden    = "forbidden"
	kindGone         = "gone"
	kindHang         = "hang"
	kindSlow         = "slow"
	kindSessionError = "session-error"
)

// The device faults. A device has at most one.
var (
	// Forbidden answers 403 as Intune does when the technician's role does not cover the device.
	Forbidden = DeviceFault{kind: kindForbidden}
	// Gone answers 404 ResourceNotFound, as if the device had been deleted.
	Gone = DeviceFault{kind: kindGone}
	// Hang never answers: the request ends only when the client gives up.
	Hang = DeviceFault{kind: kindHang}
	// SessionError accepts requestRemoteAssistance, and the session then fails on the device.
	SessionError = DeviceFault{kind: kindSessionError}
)

// Slow answers normally, d later.
func Slow(d time.Duration) DeviceFault { return DeviceFault{kind: kindSlow, delay: d} }

// String is the fault as the -device-fault flag spells it.
func (f DeviceFault) String() string {
	if f.kind == kindSlow {
		return "slow:" + f.delay.String()
	}
	return f.kind
}

func parseDeviceFault(s string) (DeviceFault, error) {
	if d, ok := strings.CutPrefix(s, "slow:"); ok {
		delay, err := time.ParseDuration(d)
		if err != nil || delay <= 0 {
			return DeviceFault{}, fmt.Errorf("slow needs a positive duration, got %q", d)
		}
		return Slow(delay), nil
	}
	for _, f := range []DeviceFault{Forbidden, Gone, Hang, SessionError} {
		if s == f.kind {
			return f, nil
		}
	}
	return DeviceFault{}, fmt.Errorf("unknown device fault %q (forbidden, gone, hang, slow:DURATION, session-error)", s)
}

var (
	failStatuses    = []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}
	faultMethods    = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	partnerStatuses = []string{"notOnboarded", "onboarding", "onboarded"}
)

func (r FailRate) validate() error {
	if !slices.Contains(faultMethods, r.Method) {
		return fmt.Errorf("graphsim: fail rate: method %q is not one of %s", r.Method, strings.Join(faultMethods, ", "))
	}
	if !(r.Rate >= 0 && r.Rate <= 1) {
		return fmt.Errorf("graphsim: fail rate: %s rate %v is not between 0 and 1", r.Method, r.Rate)
	}
	if r.Status != 0 && !slices.Contains(failStatuses, r.Status) {
		return fmt.Errorf("graphsim: fail rate: status %d is not 429, 500, 502, 503 or 504", r.Status)
	}
	if r.RetryAfter < 0 {
		return errors.New("graphsim: fail rate: Retry-After must not be negative")
	}
	return nil
}

func (t Throttling) validate() error {
	if t.Method != "" && !slices.Contains(faultMethods, t.Method) {
		return fmt.Errorf("graphsim: throttle: method %q is not one of %s", t.Method, strings.Join(faultMethods, ", "))
	}
	if t.Requests < 0 || t.RetryAfter < 0 {
		return errors.New("graphsim: throttle: count and Retry-After must not be negative")
	}
	return nil
}

func (l ReadLimit) validate() error {
	if l.Requests < 0 || l.Window < 0 {
		return errors.New("graphsim: read limit: requests and window must not be negative")
	}
	return nil
}

func (l WriteLimit) validate() error {
	if l.Writes < 0 || l.Window < 0 {
		return errors.New("graphsim: write limit: writes and window must not be negative")
	}
	return nil
}

func validPartnerStatus(s string) error {
	if !slices.Contains(partnerStatuses, s) {
		return fmt.Errorf("graphsim: onboarding status %q is not one of %s", s, strings.Join(partnerStatuses, ", "))
	}
	return nil
}

// validate checks every field, so that New refuses a fault it cannot inject.
func (f Faults) validate() error {
	if f.Latency < 0 || f.Jitter < 0 || f.SessionDelay < 0 {
		return errors.New("graphsim: latency, jitter and session delay must not be negative")
	}
	seen := map[string]bool{}
	for _, r := range f.FailRates {
		if err := r.validate(); err != nil {
			return err
		}
		if seen[r.Method] {
			return fmt.Errorf("graphsim: fail rate: %s given twice", r.Method)
		}
		seen[r.Method] = true
	}
	if err := f.Throttle.validate(); err != nil {
		return err
	}
	if err := f.ReadLimit.validate(); err != nil {
		return err
	}
	if err := f.WriteLimit.validate(); err != nil {
		return err
	}
	if f.PartnerStatus != "" {
		return validPartnerStatus(f.PartnerStatus)
	}
	return nil
}

// retrySeconds is a Retry-After value: whole seconds, rounded up, because
// a client that waits what it is told must not be early.
func retrySeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

func formatSeconds(d time.Duration) string { return strconv.Itoa(retrySeconds(d)) }
