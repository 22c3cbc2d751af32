package graphsim

import (
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RegisterFlags adds a flag for each fault to fs, so that every command
// that starts a simulator offers the same ones. Values already in f are the
// flags' defaults. Parse errors name the flag and the expected syntax.
func (f *Faults) RegisterFlags(fs *flag.FlagSet) {
	if f.SessionDelay == 0 {
		f.SessionDelay = defaultSessionDelay
	}
	if f.PartnerStatus == "" {
		f.PartnerStatus = "onboarded"
	}
	fs.DurationVar(&f.Latency, "latency", f.Latency, "delay added before every Graph answer, e.g. 20ms")
	fs.DurationVar(&f.Jitter, "latency-jitter", f.Jitter, "random extra delay of up to this much per request, on top of -latency")
	fs.Var((*failRatesFlag)(&f.FailRates), "fail-rate", "fail a share of one method's requests: METHOD=RATE[:STATUS[:RETRY_AFTER]], comma-separated or repeated, e.g. POST=0.2:503 (STATUS 429|500|502|503|504, default 503; RETRY_AFTER for 429/503, default 1s)")
	fs.Int64Var(&f.Seed, "fault-seed", f.Seed, "seed for -fail-rate and -latency-jitter, to repeat a run (0: random)")
	fs.Var((*throttleFlag)(&f.Throttle), "throttle", "answer the first N requests with 429: [METHOD=]N[:RETRY_AFTER], e.g. POST=3:2s (RETRY_AFTER 0 sends no Retry-After header)")
	fs.Var((*readLimitFlag)(&f.ReadLimit), "read-limit", "Intune's per-app limit on any request to its devices service, reads and writes together: REQUESTS/WINDOW, e.g. 2000/20s (default off)")
	fs.Var((*writeLimitFlag)(&f.WriteLimit), "write-limit", "Intune's per-app write limit: WRITES/WINDOW, e.g. 200/20s (default off)")
	fs.Var((*deviceFaultsFlag)(&f.Devices), "device-fault", "fault for every request on one managed device: DEVICE_ID=forbidden|gone|hang|slow:DURATION|session-error, comma-separated or repeated")
	fs.DurationVar(&f.SessionDelay, "session-delay", f.SessionDelay, "time from an accepted requestRemoteAssistance to its session URL on the device (0 means the default)")
	fs.Var((*partnerStatusFlag)(&f.PartnerStatus), "teamviewer-status", "onboardingStatus of the TeamViewer remote assistance partner: notOnboarded|onboarding|onboarded")
}

// failRatesFlag is -fail-rate: each use adds rules, and a later rule for a
// method replaces an earlier one.
type failRatesFlag []FailRate

func (v *failRatesFlag) String() string {
	var out []string
	for _, r := range *v {
		out = append(out, fmt.Sprintf("%s=%v:%d:%s", r.Method, r.Rate, r.Status, r.RetryAfter))
	}
	return strings.Join(out, ",")
}

func (v *failRatesFlag) Set(s string) error {
	for rule := range strings.SplitSeq(s, ",") {
		r, err := parseFailRate(strings.TrimSpace(rule))
		if err != nil {
			return err
		}
		*v = slices.DeleteFunc(*v, func(old FailRate) bool { return old.Method == r.Method })
		*v = append(*v, r)
	}
	return nil
}

func parseFailRate(s string) (FailRate, error) {
	method, rest, ok := strings.Cut(s, "=")
	if !ok {
		return FailRate{}, fmt.Errorf("%q is not METHOD=RATE[:STATUS[:RETRY_AFTER]]", s)
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 3 {
		return FailRate{}, fmt.Errorf("%q is not METHOD=RATE[:STATUS[:RETRY_AFTER]]", s)
	}
	r := FailRate{Method: strings.ToUpper(strings.TrimSpace(method)), Status: 503}
	var err error
	if r.Rate, err = strconv.ParseFloat(parts[0], 64); err != nil {
		return FailRate{}, fmt.Errorf("%q: rate %q is not a number", s, parts[0])
	}
	if len(parts) > 1 {
		if r.Status, err = strconv.Atoi(parts[1]); err != nil {
			return FailRate{}, fmt.Errorf("%q: status %q is not a number", s, parts[1])
		}
	}
	if len(parts) > 2 {
		if r.RetryAfter, err = time.ParseDuration(parts[2]); err != nil || r.RetryAfter <= 0 {
			return FailRate{}, fmt.Errorf("%q: Retry-After %q is not a positive duration", s, parts[2])
		}
	}
	return r, r.validate()
}

// throttleFlag is -throttle.
type throttleFlag Throttling

func (v *throttleFlag) String() string {
	if v.Requests == 0 {
		return ""
	}
	s := fmt.Sprintf("%d:%s", v.Requests, v.RetryAfter)
	if v.Method != "" {
		s = v.Method + "=" + s
	}
	return s
}

func (v *throttleFlag) Set(s string) error {
	var t Throttling
	rest := s
	if method, after, ok := strings.Cut(s, "="); ok {
		t.Method, rest = strings.ToUpper(strings.TrimSpace(method)), after
	}
	count, retry, hasRetry := strings.Cut(rest, ":")
	var err error
	if t.Requests, err = strconv.Atoi(count); err != nil {
		return fmt.Errorf("%q is not [METHOD=]N[:RETRY_AFTER]", s)
	}
	if hasRetry {
		if t.RetryAfter, err = time.ParseDuration(retry); err != nil {
			return fmt.Errorf("Retry-After %q is not a duration", retry)
		}
	}
	if err := t.validate(); err != nil {
		return err
	}
	*v = throttleFlag(t)
	return nil
}

// readLimitFlag is -read-limit.
type readLimitFlag ReadLimit

func (v *readLimitFlag) String() string {
	if v.Requests == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%s", v.Requests, v.Window)
}

func (v *readLimitFlag) Set(s string) error {
	l := ReadLimit{Window: defaultReadWindow}
	var err error
	if l.Requests, l.Window, err = parsePerWindow(s, "REQUESTS", l.Window); err != nil {
		return err
	}
	if err := l.validate(); err != nil {
		return err
	}
	*v = readLimitFlag(l)
	return nil
}

// writeLimitFlag is -write-limit.
type writeLimitFlag WriteLimit

func (v *writeLimitFlag) String() string {
	if v.Writes == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%s", v.Writes, v.Window)
}

func (v *writeLimitFlag) Set(s string) error {
	l := WriteLimit{Window: defaultWriteWindow}
	var err error
	if l.Writes, l.Window, err = parsePerWindow(s, "WRITES", l.Window); err != nil {
		return err
	}
	if err := l.validate(); err != nil {
		return err
	}
	*v = writeLimitFlag(l)
	return nil
}

// parsePerWindow reads a limit's COUNT[/WINDOW], with window when WINDOW
// is left out; count names COUNT in the error.
func parsePerWindow(s, count string, window time.Duration) (int, time.Duration, error) {
	n, w, _ := strings.Cut(s, "/")
	limit, err := strconv.Atoi(n)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not %s/WINDOW", s, count)
	}
	if w != "" {
		if window, err = time.ParseDuration(w); err != nil || window <= 0 {
			return 0, 0, fmt.Errorf("window %q is not a positive duration", w)
		}
	}
	return limit, window, nil
}

// deviceFaultsFlag is -device-fault.
type deviceFaultsFlag map[string]DeviceFault

func (v *deviceFaultsFlag) String() string {
	var out []string
	for _, id := range slices.Sorted(maps.Keys(*v)) {
		out = append(out, id+"="+(*v)[id].String())
	}
	return strings.Join(out, ",")
}

func (v *deviceFaultsFlag) Set(s string) error {
	for pair := range strings.SplitSeq(s, ",") {
		id, kind, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !isGUID(id) {
			return fmt.Errorf("%q is not DEVICE_ID=FAULT with a GUID device id", pair)
		}
		f, err := parseDeviceFault(kind)
		if err != nil {
			return err
		}
		if *v == nil {
			*v = map[string]DeviceFault{}
		}
		(*v)[id] = f
	}
	return nil
}

// partnerStatusFlag is -teamviewer-status.
type partnerStatusFlag string

func (v *partnerStatusFlag) String() string { return string(*v) }

func (v *partnerStatusFlag) Set(s string) error {
	if err := validPartnerStatus(s); err != nil {
		return err
	}
	*v = partnerStatusFlag(s)
	return nil
}
