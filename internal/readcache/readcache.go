// Package readcache keeps each technician's recent Graph reads for a short
// while, so that the pages of one phone call (the search, the person, the
// device, the person again after the request) read Intune once, not at
// every view: a helpdesk of a thousand technicians would otherwise spend
// Intune's read limit on the same answers.
//
// Entries are per technician, never shared: Intune's scope tags give each
// technician their own view of the tenant. They live for a fixed time,
// are forgotten when their technician signs out, and when a request for
// assistance is made on a device they show. The cache holds at most a
// given number of bytes (as estimated by the caller), dropping the least
// recently used entries first.
package readcache

import (
	"container/list"
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache is one instance's cache of Graph reads.
type Cache struct {
	ttl      time.Duration
	maxBytes int
	now      func() time.Time

	mu    sync.Mutex
	bytes int
	order *list.List // of *entry, most recently used at the front
	byKey map[key]*list.Element
	// byDevice finds the entries that show a device, for Forget.
	byDevice map[string]map[key]struct{}
	loads    singleflight.Group
}

type key struct{ technician, read string }

type entry struct {
	key     key
	value   any
	at      time.Time
	size    int
	devices []string
}

// New is a cache whose entries live for ttl, of at most maxBytes.
func New(ttl time.Duration, maxBytes int, now func() time.Time) *Cache {
	return &Cache{ttl: ttl, maxBytes: maxBytes, now: now, order: list.New(),
		byKey: map[key]*list.Element{}, byDevice: map[string]map[key]struct{}{}}
}

// Loaded is a read's answer as loaded: the value, about how many bytes it
// holds, and the ids of the devices it shows.
type Loaded[T any] struct {
	Value   T
	Size    int
	Devices []string
}

// Read is technician's answer to read (a name for the Graph call and its
// arguments): the cached one while it lives, unless fresh is asked for,
// else load's, which is kept unless it failed. at is when the answer was
// read from Graph. Concurrent reads of one key by one technician load once.
func Read[T any](ctx context.Context, c *Cache, technician, read string, fresh bool, load func(context.Context) (Loaded[T], error)) (value T, at time.Time, err error) {
	k := key{technician, read}
	if !fresh {
		if v, at, ok := c.get(k); ok {
			return v.(T), at, nil
		}
	}
	flight := technician + "\x00" + read
	if fresh {
		flight += "\x00fresh"
	}
	got, err, _ := c.loads.Do(flight, func() (any, error) {
		l, err := load(ctx)
		if err != nil {
			return nil, err
		}
		return c.put(k, l.Value, l.Size, l.Devices), nil
	})
	if err != nil {
		var zero T
		return zero, time.Time{}, err
	}
	e := got.(*entry)
	return e.value.(T), e.at, nil
}

func (c *Cache) get(k key) (any, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[k]
	if !ok {
		return nil, time.Time{}, false
	}
	e := el.Value.(*entry)
	if c.now().Sub(e.at) >= c.ttl {
		c.remove(el)
		return nil, time.Time{}, false
	}
	c.order.MoveToFront(el)
	return e.value, e.at, true
}

func (c *Cache) put(k key, value any, size int, devices []string) *entry {
	e := &entry{key: k, value: value, at: c.now(), size: size, devices: devices}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[k]; ok {
		c.remove(el)
	}
	if size > c.maxBytes {
		return e // too large to keep: answered, not cached
	}
	c.byKey[k] = c.order.PushFront(e)
	c.bytes += size
	for _, d := range devices {
		if c.byDevice[d] == nil {
			c.byDevice[d] = map[key]struct{}{}
		}
		c.byDevice[d][k] = struct{}{}
	}
	for c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
	return e
}

// remove drops one entry; c.mu is held.
func (c *Cache) remove(el *list.Element) {
	e := c.order.Remove(el).(*entry)
	delete(c.byKey, e.key)
	c.bytes -= e.size
	for _, d := range e.devices {
		delete(c.byDevice[d], e.key)
		if len(c.byDevice[d]) == 0 {
			delete(c.byDevice, d)
		}
	}
}

// ForgetTechnician drops every read of technician: they signed out.
func (c *Cache) ForgetTechnician(technician string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*entry).key.technician == technician {
			c.remove(el)
		}
		el = next
	}
}

// ForgetDevice drops every read, any technician's, that shows the device:
// assistance was just requested on it, and the next look reads it anew.
func (c *Cache) ForgetDevice(deviceID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.byDevice[deviceID] {
		c.remove(c.byKey[k])
	}
}

// Shown is a living answer and when it was read from Graph.
type Shown struct {
	Value any
	At    time.Time
}

// Showing is technician's living answers that show the device: a read of
// the device may find it in one of them.
func (c *Cache) Showing(technician, deviceID string) []Shown {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Shown
	for k := range c.byDevice[deviceID] {
		if k.technician != technician {
			continue
		}
		if e := c.byKey[k].Value.(*entry); c.now().Sub(e.at) < c.ttl {
			out = append(out, Shown{e.value, e.at})
		}
	}
	return out
}

// Bytes is about how much the cache holds now.
func (c *Cache) Bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
