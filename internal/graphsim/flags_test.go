package graphsim

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	flagDevice1 = "0f8fad5b-d9cb-469f-a165-70867728950e"
	flagDevice2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
)

func parseFaults(args ...string) (Faults, error) {
	var f Faults
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.RegisterFlags(fs)
	err := fs.Parse(args)
	return f, err
}

func TestFaultFlags(t *testing.T) {
	got, err := parseFaults(
		"-latency", "20ms", "-latency-jitter", "5ms",
		"-fail-rate", "POST=0.2:503,get=0.1:500", "-fail-rate", "post=0.5:429:2s",
		"-fault-seed", "7",
		"-throttle", "post=3:2s",
		"-read-limit", "2000/20s",
		"-write-limit", "200/20s",
		"-device-fault", flagDevice1+"=hang,"+flagDevice2+"=slow:2s", "-device-fault", flagDevice1+"=session-error",
		"-session-delay", "1s",
		"-teamviewer-status", "onboarding",
	)
	if err != nil {
		t.Fatal(err)
	}
	want := Faults{
		Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond,
		FailRates: []FailRate{
			{Method: "GET", Rate: 0.1, Status: 500},
			{Method: "POST", Rate: 0.5, Status: 429, RetryAfter: 2 * time.Second},
		},
		Seed:          7,
		Throttle:      Throttling{Method: "POST", Requests: 3, RetryAfter: 2 * time.Second},
		ReadLimit:     ReadLimit{Requests: 2000, Window: 20 * time.Second},
		WriteLimit:    WriteLimit{Writes: 200, Window: 20 * time.Second},
		Devices:       map[string]DeviceFault{flagDevice1: SessionError, flagDevice2: Slow(2 * time.Second)},
		SessionDelay:  time.Second,
		PartnerStatus: "onboarding",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", got, want)
	}
	if err := got.validate(); err != nil {
		t.Error(err)
	}

	// No flags are no faults, and New takes them as they are.
	none, err := parseFaults()
	if err != nil || !reflect.DeepEqual(none, Faults{SessionDelay: defaultSessionDelay, PartnerStatus: "onboarded"}) {
		t.Errorf("defaults: %+v, %v", none, err)
	}
	if _, err := New(Config{BaseURL: "http://x", Issuer: "http://y", Tenant: testTenant(), Faults: none}); err != nil {
		t.Error(err)
	}

	// A limit without a window is per Intune's 20 s; 0 is off.
	for arg, want := range map[string]ReadLimit{
		"2000":     {Requests: 2000, Window: 20 * time.Second},
		"50/1m30s": {Requests: 50, Window: 90 * time.Second},
		"0/20s":    {Window: 20 * time.Second},
	} {
		if got, err := parseFaults("-read-limit", arg); err != nil || got.ReadLimit != want {
			t.Errorf("-read-limit %s: %+v, %v; want %+v", arg, got.ReadLimit, err, want)
		}
	}
}

func TestFaultFlagsRefuse(t *testing.T) {
	bad := [][]string{
		{"-latency", "fast"},
		{"-fail-rate", "POST"},
		{"-fail-rate", "POST=lots"},
		{"-fail-rate", "POST=1.5"},
		{"-fail-rate", "POST=0.1:404"},
		{"-fail-rate", "FETCH=0.1"},
		{"-fail-rate", "POST=0.1:503:soon"},
		{"-fail-rate", "POST=0.1:503:1s:extra"},
		{"-throttle", "many"},
		{"-throttle", "POST=-1"},
		{"-throttle", "3:soon"},
		{"-read-limit", "2000/later"},
		{"-read-limit", "lots/20s"},
		{"-read-limit", "-1/20s"},
		{"-read-limit", "2000/0s"},
		{"-read-limit", "2000/-20s"},
		{"-write-limit", "200/later"},
		{"-write-limit", "lots/20s"},
		{"-device-fault", "not-a-guid=hang"},
		{"-device-fault", flagDevice1 + "=explode"},
		{"-device-fault", flagDevice1 + "=slow:0s"},
		{"-teamviewer-status", "ready"},
	}
	for _, args := range bad {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if f, err := parseFaults(args...); err == nil {
				t.Errorf("accepted, as %+v", f)
			}
		})
	}
	invalid := []Faults{
		{Latency: -time.Second},
		{FailRates: []FailRate{{Method: "POST", Rate: 0.1}, {Method: "POST", Rate: 0.2}}},
		{Throttle: Throttling{Requests: -1}},
		{ReadLimit: ReadLimit{Requests: -1}},
		{ReadLimit: ReadLimit{Requests: 2000, Window: -time.Second}},
		{WriteLimit: WriteLimit{Writes: -1}},
		{PartnerStatus: "ready"},
	}
	for _, f := range invalid {
		if _, err := New(Config{BaseURL: "http://x", Issuer: "http://y", Tenant: testTenant(), Faults: f}); err == nil {
			t.Errorf("New accepted %+v", f)
		}
	}
}
