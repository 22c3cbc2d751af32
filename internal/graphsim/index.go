package graphsim

import (
	"fmt"
	"strings"
)

// index is a tenant with the lookups the handlers need. Ids are matched
// case-insensitively, as Graph matches GUIDs and UPNs.
type index struct {
	t               *Tenant
	users           map[string]*User // by lower-case id and by lower-case UPN
	devices         map[string]*ManagedDevice
	userDevices     map[string][]*ManagedDevice // by user id
	scripts         map[string]*Script
	runStates       map[string]*RunState // by lower-case script id + "/" + run-state id
	runsOfScript    map[string][]*RunState
	apps            map[string]*DetectedApp
	appDevices      map[string][]*ManagedDevice // by app id
	appsOfDevices   map[string][]*DetectedApp   // by device id
	search          searchIndex
	deviceEq        map[string]map[string][]*ManagedDevice // by property, then foldKey of the value
	deviceNameGrams map[string][]*ManagedDevice            // see newDeviceNameGrams
}

func newIndex(t *Tenant) (*index, error) {
	x := &index{
		t:               t,
		users:           map[string]*User{},
		devices:         map[string]*ManagedDevice{},
		userDevices:     map[string][]*ManagedDevice{},
		scripts:         map[string]*Script{},
		runStates:       map[string]*RunState{},
		runsOfScript:    map[string][]*RunState{},
		apps:            map[string]*DetectedApp{},
		appDevices:      map[string][]*ManagedDevice{},
		appsOfDevices:   map[string][]*DetectedApp{},
		search:          newSearchIndex(t.Users),
		deviceEq:        newDeviceEq(t.Devices),
		deviceNameGrams: newDeviceNameGrams(t.Devices),
	}
	for i := range t.Users {
		u := &t.Users[i]
		x.users[strings.ToLower(u.ID)] = u
		x.users[strings.ToLower(u.UserPrincipalName)] = u
	}
	for i := range t.Devices {
		d := &t.Devices[i]
		x.devices[strings.ToLower(d.ID)] = d
		x.userDevices[strings.ToLower(d.UserID)] = append(x.userDevices[strings.ToLower(d.UserID)], d)
	}
	for i := range t.Scripts {
		sc := &t.Scripts[i]
		x.scripts[strings.ToLower(sc.ID)] = sc
		runs := t.RunStates[sc.ID]
		for j := range runs {
			rs := &runs[j]
			if x.devices[strings.ToLower(rs.DeviceID)] == nil {
				return nil, fmt.Errorf("graphsim: run state %s names unknown device %s", rs.ID, rs.DeviceID)
			}
			x.runStates[strings.ToLower(sc.ID)+"/"+rs.ID] = rs
			x.runsOfScript[sc.ID] = append(x.runsOfScript[sc.ID], rs)
		}
	}
	for i := range t.DetectedApps {
		x.apps[t.DetectedApps[i].ID] = &t.DetectedApps[i]
	}
	// Walk devices in tenant order so every list comes out in a stable order.
	for _, d := range t.Devices {
		for _, appID := range t.DeviceApps[d.ID] {
			app := x.apps[appID]
			if app == nil {
				return nil, fmt.Errorf("graphsim: device %s has unknown app %s", d.ID, appID)
			}
			x.appDevices[appID] = append(x.appDevices[appID], x.devices[strings.ToLower(d.ID)])
			x.appsOfDevices[d.ID] = append(x.appsOfDevices[d.ID], app)
		}
	}
	return x, nil
}

func (x *index) user(idOrUPN string) *User { return x.users[strings.ToLower(idOrUPN)] }

func (x *index) device(id string) *ManagedDevice { return x.devices[strings.ToLower(id)] }

func (x *index) devicesOf(userID string) []*ManagedDevice {
	return x.userDevices[strings.ToLower(userID)]
}

func (x *index) script(id string) *Script { return x.scripts[strings.ToLower(id)] }

// runState ids are not GUIDs, so unlike the others they match exactly.
func (x *index) runState(scriptID, id string) *RunState {
	return x.runStates[strings.ToLower(scriptID)+"/"+id]
}

// app ids are lower-case hex as Intune issues them and match exactly.
func (x *index) app(id string) *DetectedApp { return x.apps[id] }

func (x *index) appOnDevice(appID, deviceID string) bool {
	for _, d := range x.appDevices[appID] {
		if strings.EqualFold(d.ID, deviceID) {
			return true
		}
	}
	return false
}
