package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

func TestExportCSVNeutralisesFormulas(t *testing.T) {
	eachDialect(t, func(t *testing.T, url string) {
		ctx, clock := context.Background(), newClock()
		trail := New(openDB(t, url), "instance-a", clock.Now)
		req := request("dev-1")
		req.Ticket, req.DeviceName, req.TargetUser, req.TechnicianName = "=1+1", "+cmd", "-2", "@SUM(A1)"
		req.UserAgent, req.ClientIP = "\tcurl", "\r10.0.0.1"
		begun, err := trail.Begin(ctx, req, time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(1234 * time.Millisecond)
		if err := trail.Complete(ctx, begun.ID, Completion{Outcome: Succeeded, GraphStatus: 204, Duration: 1234 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}

		var out bytes.Buffer
		if err := trail.ExportCSV(ctx, &out, Filter{}); err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(&out).ReadAll()
		if err != nil || len(records) != 2 || !slices.Equal(records[0], csvHeader) {
			t.Fatalf("export: %q, %v", records, err)
		}
		cell := make(map[string]string)
		for i, name := range records[0] {
			cell[name] = records[1][i]
		}
		want := map[string]string{
			"ticket": "'=1+1", "device_name": "'+cmd", "target_user": "'-2", "technician_name": "'@SUM(A1)",
			"user_agent": "'\tcurl", "client_ip": "'\r10.0.0.1",
			"technician_upn": "ada@contoso.example", "device_id": "dev-1", "id": begun.ID,
			"created_at": "2025-03-14T09:26:53.589Z", "completed_at": "2025-03-14T09:26:54.823Z",
			"duration_ms": "1234", "graph_status": "204", "outcome": "succeeded", "route": "1",
		}
		for name, v := range want {
			if cell[name] != v {
				t.Errorf("%s = %q, want %q", name, cell[name], v)
			}
		}
	})
}

// countingWriter counts the bytes and lines written through it.
type countingWriter struct{ bytes, lines int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.bytes += len(p)
	w.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

func TestExportCSVStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,000 attempts")
	}
	const rows = 100_000
	const maxGrowth = 24 << 20 // bytes; the CSV itself is about 41 MB
	eachDialect(t, func(t *testing.T, url string) {
		db := openDB(t, url)
		began := time.Now()
		seed(t, db, rows, func(i int) Attempt {
			a := request(fmt.Sprintf("dev-%06d", i))
			a.ID = fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
			a.CreatedAt = listBase.Add(time.Duration(i) * time.Second)
			a.CompletedAt, a.Outcome, a.GraphStatus = a.CreatedAt.Add(time.Second), Succeeded, 204
			return a
		})
		inserted := time.Since(began)
		trail := New(db, "instance-a", nil)

		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		peak := before.HeapInuse
		done := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var m runtime.MemStats
			for {
				select {
				case <-done:
					return
				case <-time.After(2 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}()
		began = time.Now()
		var out countingWriter
		err := trail.ExportCSV(context.Background(), &out, Filter{})
		exported := time.Since(began)
		close(done)
		<-sampled
		if err != nil {
			t.Fatal(err)
		}
		if out.lines != rows+1 {
			t.Fatalf("export has %d lines, want %d and a header", out.lines, rows)
		}
		growth := peak - before.HeapInuse
		t.Logf("insert %d rows %v; export %.1f MB in %v; peak heap growth %.1f MB",
			rows, inserted.Round(time.Millisecond), float64(out.bytes)/1e6, exported.Round(time.Millisecond), float64(growth)/(1<<20))
		if growth > maxGrowth {
			t.Fatalf("heap grew by %.1f MB while exporting, more than %d MB: the export does not stream",
				float64(growth)/(1<<20), maxGrowth>>20)
		}
	})
}

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+cmd": "'+cmd", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"INC0012345": "INC0012345", "a=1": "a=1", "": "", "2025-03-14T09:26:53.589Z": "2025-03-14T09:26:53.589Z",
	} {
		if got := neutralise(in); got != want {
			t.Errorf("neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}
