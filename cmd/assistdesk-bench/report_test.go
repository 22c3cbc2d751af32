package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var hundred []time.Duration
	for i := 100; i >= 1; i-- { // reversed: sortedCopy must order them
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	sorted := sortedCopy(hundred)
	if hundred[0] != 100*time.Millisecond {
		t.Fatal("sortedCopy changed its input")
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", []time.Duration{7}, 99, 7},
		{"p50 of 1..100", sorted, 50, 50 * time.Millisecond},
		{"p99 of 1..100", sorted, 99, 99 * time.Millisecond},
		{"p100 is the max", sorted, 100, 100 * time.Millisecond},
		{"tiny p is the min", sorted, 0.001, 1 * time.Millisecond},
		{"p50 of 1..4 is the 2nd", []time.Duration{1, 2, 3, 4}, 50, 2},
		{"p99 of 1..4 is the max", []time.Duration{1, 2, 3, 4}, 99, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.in, tt.p); got != tt.want {
				t.Fatalf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	if r := check("x", "3 = 3", true, "equal"); r.Result != pass || r.Measured != "3 = 3" {
		t.Fatalf("ok: %+v", r)
	}
	if r := check("x", "3 = 4", false, "equal"); r.Result != fail {
		t.Fatalf("not ok: %+v", r)
	}
}

func TestAtMost(t *testing.T) {
	if r := atMost("x", 1.05, 1.05, "%.2f", "≤ 1.05"); r.Result != pass || r.Measured != "1.05" {
		t.Fatalf("at the limit: %+v", r)
	}
	if r := atMost("x", 1.06, 1.05, "%.2f", "≤ 1.05"); r.Result != fail {
		t.Fatalf("over the limit: %+v", r)
	}
}

func TestWriteTable(t *testing.T) {
	rows := []row{
		atMost("p50 ÷ latency", 1.2, 1.05, "%.2f", "≤ 1.05"),
		note("requests | s", "123"),
		check("burst other", "0", true, "other = 0"),
	}
	var b strings.Builder
	if err := writeTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"figure", "p50 ÷ latency  1.20", "FAIL",
		"| p50 ÷ latency | 1.20 | ≤ 1.05 | FAIL |",
		`| requests \| s | 123 | – | info |`,
		"| burst other | 0 | other = 0 | pass |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if failures(rows) != 1 {
		t.Errorf("failures = %d, want 1", failures(rows))
	}
}
