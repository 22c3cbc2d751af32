package readcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// counter is a load that counts its calls and answers their number.
type counter struct{ calls atomic.Int64 }

func (n *counter) load(devices ...string) func(context.Context) (Loaded[int64], error) {
	return func(context.Context) (Loaded[int64], error) {
		return Loaded[int64]{Value: n.calls.Add(1), Size: 100, Devices: devices}, nil
	}
}

func TestAReadIsKeptForItsTechnicianForItsTime(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	c := New(time.Minute, 1<<20, clk.now)
	var n counter
	ctx := context.Background()
	read := func(technician string, fresh bool) (int64, time.Time) {
		v, at, err := Read(ctx, c, technician, "user adele", fresh, n.load())
		if err != nil {
			t.Fatal(err)
		}
		return v, at
	}
	first, at := read("harper", false)
	clk.advance(59 * time.Second)
	if again, againAt := read("harper", false); again != first || !againAt.Equal(at) {
		t.Fatalf("within its minute the read was loaded again (%d, %d)", first, again)
	}
	if lee, _ := read("lee", false); lee == first {
		t.Fatal("another technician was given harper's read")
	}
	if fresh, _ := read("harper", true); fresh == first {
		t.Fatal("a fresh read was answered from the cache")
	}
	refreshed, _ := read("harper", false)
	clk.advance(time.Minute)
	if later, _ := read("harper", false); later == refreshed {
		t.Fatal("a read outlived its minute")
	}
}

func TestForgettingATechnicianOrADevice(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	c := New(time.Hour, 1<<20, clk.now)
	var n counter
	ctx := context.Background()
	read := func(technician, what string, devices ...string) int64 {
		v, _, err := Read(ctx, c, technician, what, false, n.load(devices...))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	harper := read("harper", "user adele", "phone", "laptop")
	harperScripts := read("harper", "scripts")
	lee := read("lee", "user adele", "phone", "laptop")
	leeOther := read("lee", "user zoe", "tablet")

	c.ForgetDevice("laptop")
	if read("harper", "user adele") == harper || read("lee", "user adele") == lee {
		t.Error("a read showing the device was kept after assistance was requested on it")
	}
	if read("lee", "user zoe") != leeOther || read("harper", "scripts") != harperScripts {
		t.Error("reads that do not show the device were dropped")
	}

	c.ForgetTechnician("harper")
	if read("harper", "scripts") == harperScripts {
		t.Error("a read outlived its technician's sign-out")
	}
	if read("lee", "user zoe") != leeOther {
		t.Error("signing harper out dropped lee's reads")
	}
}

func TestTheCacheHoldsNoMoreThanItsBytesDroppingTheLeastRecentlyUsed(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	c := New(time.Hour, 350, clk.now) // room for three reads of 100 bytes
	var n counter
	ctx := context.Background()
	read := func(what string) int64 {
		v, _, err := Read(ctx, c, "harper", what, false, n.load())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a, b := read("a"), read("b")
	read("c")
	read("a") // a is now the most recently used
	read("d") // one has to go: b
	if c.Bytes() > 350 {
		t.Fatalf("the cache holds %d bytes, more than 350", c.Bytes())
	}
	if read("a") != a {
		t.Error("the most recently used read was dropped")
	}
	if read("b") == b {
		t.Error("the least recently used read was kept beyond the cache's bytes")
	}
	big, _, err := Read(ctx, c, "harper", "huge", false, func(context.Context) (Loaded[int64], error) {
		return Loaded[int64]{Value: 42, Size: 1000}, nil
	})
	if err != nil || big != 42 || c.Bytes() > 350 {
		t.Fatalf("a read larger than the cache: %d, %v, %d bytes held", big, err, c.Bytes())
	}
}

func TestConcurrentReadsLoadOnceAndFailuresAreNotKept(t *testing.T) {
	c := New(time.Hour, 1<<20, time.Now)
	var calls atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, _, _ = Read(context.Background(), c, "harper", "search adele", false, func(context.Context) (Loaded[int], error) {
				calls.Add(1)
				<-release
				return Loaded[int]{Value: 1, Size: 10}, nil
			})
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("8 concurrent reads loaded %d times", calls.Load())
	}

	failing := errors.New("graph: 503")
	for i := range 2 {
		_, _, err := Read(context.Background(), c, "harper", "user zoe", false, func(context.Context) (Loaded[int], error) {
			calls.Add(1)
			return Loaded[int]{}, failing
		})
		if !errors.Is(err, failing) {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if calls.Load() != 3 {
		t.Fatalf("a failed read was kept: %d loads", calls.Load())
	}
}
