package web

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/internal/readcache"
)

// reading is how one request reads Graph: for which technician (whose
// cached reads may answer), whether the page was asked for fresh (?fresh=1,
// the notice's Refresh), and the oldest answer the page was given, for the
// notice that says how old what it shows is. The guard puts it in the
// request's context.
type reading struct {
	technician string
	fresh      bool

	mu     sync.Mutex
	oldest time.Time
}

type readingKey struct{}

func withReading(ctx context.Context, r *reading) context.Context {
	return context.WithValue(ctx, readingKey{}, r)
}

func readingOf(ctx context.Context) *reading {
	r, _ := ctx.Value(readingKey{}).(*reading)
	return r
}

// readAt is when the oldest answer a request's page shows was read from
// Graph; zero when every answer was read for this request.
func readAt(ctx context.Context) time.Time {
	r := readingOf(ctx)
	if r == nil {
		return time.Time{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.oldest
}

func (r *reading) note(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.oldest.IsZero() || at.Before(r.oldest) {
		r.oldest = at
	}
}

// About how many bytes one object of each kind holds in the cache.
const (
	userBytes   = 400
	deviceBytes = 900
	scriptBytes = 400
	runBytes    = 300
	appBytes    = 200
)

// cachedGraph answers the pages' Graph reads from the technician's cached
// reads while they live, and reads Graph for the rest. Requests for
// assistance and the watch of a request read Graph themselves: what they
// show must be of now.
type cachedGraph struct {
	graph *graph.Client
	cache *readcache.Cache
}

// forgetTechnician drops the reads of a technician who signs out.
func (g cachedGraph) forgetTechnician(key string) {
	if g.cache != nil {
		g.cache.ForgetTechnician(key)
	}
}

// forgetDevice drops the reads that show a device assistance was just
// requested on: the next page reads it anew.
func (g cachedGraph) forgetDevice(id string) {
	if g.cache != nil {
		g.cache.ForgetDevice(strings.ToLower(id))
	}
}

// cached is read's answer for the request's technician, loaded by load
// when there is none to reuse.
func cached[T any](ctx context.Context, g cachedGraph, read string, load func(context.Context) (readcache.Loaded[T], error)) (T, error) {
	r := readingOf(ctx)
	if g.cache == nil || r == nil {
		l, err := load(ctx)
		return l.Value, err
	}
	v, at, err := readcache.Read(ctx, g.cache, r.technician, read, r.fresh, load)
	if err == nil {
		r.note(at)
	}
	return v, err
}

// listed finds a device in a list of devices the technician read a moment
// ago (their caller's devices, a search): every device read selects the
// same properties, so the list's copy is the device as Graph gave it then,
// and the device page that follows the user page costs Intune no read.
func (g cachedGraph) listed(ctx context.Context, deviceID string) (graph.ManagedDevice, bool) {
	r := readingOf(ctx)
	if g.cache == nil || r == nil || r.fresh {
		return graph.ManagedDevice{}, false
	}
	for _, shown := range g.cache.Showing(r.technician, strings.ToLower(deviceID)) {
		devices, _ := shown.Value.([]graph.ManagedDevice)
		for _, d := range devices {
			if strings.EqualFold(d.ID, deviceID) {
				r.note(shown.At)
				return d, true
			}
		}
	}
	return graph.ManagedDevice{}, false
}

func devicesLoaded(devices []graph.ManagedDevice, err error) (readcache.Loaded[[]graph.ManagedDevice], error) {
	ids := make([]string, len(devices))
	for i, d := range devices {
		ids[i] = strings.ToLower(d.ID)
	}
	return readcache.Loaded[[]graph.ManagedDevice]{Value: devices, Size: deviceBytes * len(devices), Devices: ids}, err
}

func (g cachedGraph) User(ctx context.Context, token, ref string) (graph.User, error) {
	return cached(ctx, g, "user "+ref, func(ctx context.Context) (readcache.Loaded[graph.User], error) {
		u, err := g.graph.User(ctx, token, ref)
		return readcache.Loaded[graph.User]{Value: u, Size: userBytes}, err
	})
}

func (g cachedGraph) UserDevices(ctx context.Context, token, userRef string, limit int) ([]graph.ManagedDevice, error) {
	return cached(ctx, g, "userDevices "+userRef+" "+strconv.Itoa(limit), func(ctx context.Context) (readcache.Loaded[[]graph.ManagedDevice], error) {
		return devicesLoaded(g.graph.UserDevices(ctx, token, userRef, limit))
	})
}

func (g cachedGraph) Device(ctx context.Context, token, deviceID string) (graph.ManagedDevice, error) {
	if d, ok := g.listed(ctx, deviceID); ok {
		return d, nil
	}
	return cached(ctx, g, "device "+deviceID, func(ctx context.Context) (readcache.Loaded[graph.ManagedDevice], error) {
		d, err := g.graph.Device(ctx, token, deviceID)
		return readcache.Loaded[graph.ManagedDevice]{Value: d, Size: deviceBytes, Devices: []string{strings.ToLower(deviceID)}}, err
	})
}

func (g cachedGraph) DeviceUsers(ctx context.Context, token, deviceID string) ([]graph.User, error) {
	return cached(ctx, g, "deviceUsers "+deviceID, func(ctx context.Context) (readcache.Loaded[[]graph.User], error) {
		u, err := g.graph.DeviceUsers(ctx, token, deviceID)
		return readcache.Loaded[[]graph.User]{Value: u, Size: userBytes * len(u), Devices: []string{strings.ToLower(deviceID)}}, err
	})
}

func (g cachedGraph) SearchUsers(ctx context.Context, token, q string, limit int) ([]graph.User, error) {
	return cached(ctx, g, "searchUsers "+strconv.Itoa(limit)+" "+q, func(ctx context.Context) (readcache.Loaded[[]graph.User], error) {
		u, err := g.graph.SearchUsers(ctx, token, q, limit)
		return readcache.Loaded[[]graph.User]{Value: u, Size: userBytes * len(u)}, err
	})
}

func (g cachedGraph) DevicesByNamePrefix(ctx context.Context, token, prefix string) ([]graph.ManagedDevice, error) {
	return cached(ctx, g, "devicesByName "+prefix, func(ctx context.Context) (readcache.Loaded[[]graph.ManagedDevice], error) {
		return devicesLoaded(g.graph.DevicesByNamePrefix(ctx, token, prefix))
	})
}

func (g cachedGraph) DevicesBySerial(ctx context.Context, token, serial string) ([]graph.ManagedDevice, error) {
	return cached(ctx, g, "devicesBySerial "+serial, func(ctx context.Context) (readcache.Loaded[[]graph.ManagedDevice], error) {
		return devicesLoaded(g.graph.DevicesBySerial(ctx, token, serial))
	})
}

func (g cachedGraph) Scripts(ctx context.Context, token string) ([]graph.Script, error) {
	return cached(ctx, g, "scripts", func(ctx context.Context) (readcache.Loaded[[]graph.Script], error) {
		s, err := g.graph.Scripts(ctx, token)
		return readcache.Loaded[[]graph.Script]{Value: s, Size: scriptBytes * len(s)}, err
	})
}

func (g cachedGraph) Script(ctx context.Context, token, scriptID string) (graph.Script, error) {
	return cached(ctx, g, "script "+scriptID, func(ctx context.Context) (readcache.Loaded[graph.Script], error) {
		s, err := g.graph.Script(ctx, token, scriptID)
		return readcache.Loaded[graph.Script]{Value: s, Size: scriptBytes}, err
	})
}

func (g cachedGraph) RunStates(ctx context.Context, token, scriptID string) ([]graph.RunState, error) {
	return cached(ctx, g, "runStates "+scriptID, func(ctx context.Context) (readcache.Loaded[[]graph.RunState], error) {
		r, err := g.graph.RunStates(ctx, token, scriptID)
		return readcache.Loaded[[]graph.RunState]{Value: r, Size: runBytes * len(r)}, err
	})
}

func (g cachedGraph) RunState(ctx context.Context, token, scriptID, runStateID string) (graph.RunState, error) {
	return cached(ctx, g, "runState "+scriptID+" "+runStateID, func(ctx context.Context) (readcache.Loaded[graph.RunState], error) {
		r, err := g.graph.RunState(ctx, token, scriptID, runStateID)
		size, devices := runBytes, []string(nil)
		if r.ManagedDevice != nil {
			size, devices = runBytes+deviceBytes, []string{strings.ToLower(r.ManagedDevice.ID)}
		}
		return readcache.Loaded[graph.RunState]{Value: r, Size: size, Devices: devices}, err
	})
}

func (g cachedGraph) RunDeviceApps(ctx context.Context, token, scriptID, runStateID string) ([]graph.DetectedApp, error) {
	return cached(ctx, g, "runDeviceApps "+scriptID+" "+runStateID, func(ctx context.Context) (readcache.Loaded[[]graph.DetectedApp], error) {
		a, err := g.graph.RunDeviceApps(ctx, token, scriptID, runStateID)
		return readcache.Loaded[[]graph.DetectedApp]{Value: a, Size: appBytes * len(a)}, err
	})
}

func (g cachedGraph) AppDevices(ctx context.Context, token, appID string, limit int) ([]graph.ManagedDevice, error) {
	return cached(ctx, g, "appDevices "+appID+" "+strconv.Itoa(limit), func(ctx context.Context) (readcache.Loaded[[]graph.ManagedDevice], error) {
		return devicesLoaded(g.graph.AppDevices(ctx, token, appID, limit))
	})
}

func (g cachedGraph) App(ctx context.Context, token, appID string) (graph.DetectedApp, error) {
	return cached(ctx, g, "app "+appID, func(ctx context.Context) (readcache.Loaded[graph.DetectedApp], error) {
		a, err := g.graph.App(ctx, token, appID)
		return readcache.Loaded[graph.DetectedApp]{Value: a, Size: appBytes}, err
	})
}
