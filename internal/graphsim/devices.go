package graphsim

import "strings"

// device resolves a managed-device key: Intune refuses a malformed GUID
// before it looks, and answers 404 for one it does not have; then the
// device's injected fault, if any, applies.
func (c *call) device(key string) (*ManagedDevice, *apiError) {
	if !isGUID(key) {
		return nil, badRequest("Invalid key value '%s' for managedDevices: the key must be a GUID.", key)
	}
	d := c.s.data.device(key)
	if d == nil {
		return nil, c.intuneNotFound()
	}
	return c.reachDevice(d)
}

func listUserDevices(c *call) *apiError {
	v, err := c.newView(deviceType)
	if err != nil {
		return err
	}
	u := c.s.data.user(c.keys[0])
	if u == nil {
		return directoryNotFound(c.keys[0])
	}
	return writePage(c, v, "users('"+u.ID+"')/managedDevices", c.s.data.devicesOf(u.ID), pageOptions{maxTop: maxTopIntune})
}

// refuseKeyNavigation is Graph's known answer to GET
// /users/{id}/managedDevices/{deviceId}; see docs/graph-reference.md.
func refuseKeyNavigation(*call) *apiError {
	return badRequest("No method match route template")
}

func listDevices(c *call) *apiError {
	v, err := c.newView(deviceType)
	if err != nil {
		return err
	}
	var keep func(*ManagedDevice) bool
	var candidates []*ManagedDevice
	indexed := false
	if f, ok := c.query["$filter"]; ok {
		e, ok := parseFilter(f[0])
		if !ok {
			return badRequest("Invalid filter clause: syntax error in '%s'.", f[0])
		}
		if keep = deviceFilter(e); keep != nil {
			candidates, indexed = c.s.data.deviceCandidates(e)
		}
	}
	if !indexed {
		candidates = make([]*ManagedDevice, 0, len(c.s.data.t.Devices))
		for i := range c.s.data.t.Devices {
			candidates = append(candidates, &c.s.data.t.Devices[i])
		}
	}
	devices := candidates
	if keep != nil {
		// Filtered into a fresh slice: candidates may be an index's own list.
		devices = nil
		for _, d := range candidates {
			if keep(d) {
				devices = append(devices, d)
			}
		}
	}
	return writePage(c, v, "deviceManagement/managedDevices", devices, pageOptions{maxTop: maxTopIntune})
}

// deviceFilter compiles what Intune is seen to do with a filter (see
// docs/graph-reference.md): eq on a few string properties, joined by and;
// startswith on deviceName, which matches anywhere in the name as contains
// would; and of two clauses joined by or, only the first. For anything else
// it returns nil, and the caller returns every device: Intune silently
// ignores a filter it does not support, and an empty string literal too.
func deviceFilter(e *filterExpr) func(*ManagedDevice) bool {
	switch e.op {
	case "and":
		left, right := deviceFilter(e.args[0]), deviceFilter(e.args[1])
		if left == nil || right == nil {
			return nil
		}
		return func(d *ManagedDevice) bool { return left(d) && right(d) }
	case "or":
		return deviceFilter(e.args[0])
	case "call":
		if e.name != "startswith" || len(e.args) != 2 {
			return nil
		}
		prop, lit := e.args[0], e.args[1]
		if prop.op != "prop" || prop.name != "deviceName" || lit.op != "lit" || !lit.quoted || lit.value == "" {
			return nil
		}
		part := strings.ToLower(lit.value)
		return func(d *ManagedDevice) bool { return strings.Contains(strings.ToLower(d.DeviceName), part) }
	case "eq":
		prop, lit := e.args[0], e.args[1]
		if prop.op != "prop" || lit.op != "lit" || !lit.quoted || lit.value == "" {
			return nil
		}
		get := deviceFilterProps[prop.name]
		if get == nil {
			return nil
		}
		return func(d *ManagedDevice) bool { return strings.EqualFold(get(d), lit.value) }
	}
	return nil
}

var deviceFilterProps = map[string]func(*ManagedDevice) string{
	"deviceName":        func(d *ManagedDevice) string { return d.DeviceName },
	"serialNumber":      func(d *ManagedDevice) string { return d.SerialNumber },
	"userPrincipalName": func(d *ManagedDevice) string { return d.UserPrincipalName },
	"emailAddress":      func(d *ManagedDevice) string { return d.EmailAddress },
	"azureADDeviceId":   func(d *ManagedDevice) string { return d.AzureADDeviceID },
	"userId":            func(d *ManagedDevice) string { return d.UserID },
}

func getDevice(c *call) *apiError {
	v, err := c.newView(deviceType)
	if err != nil {
		return err
	}
	d, err := c.device(c.keys[0])
	if err != nil {
		return err
	}
	return c.writeEntity(v, "deviceManagement/managedDevices", d)
}

// listDeviceUsers answers with the primary user, as a collection of one.
func listDeviceUsers(c *call) *apiError {
	v, err := c.newView(userType)
	if err != nil {
		return err
	}
	d, err := c.device(c.keys[0])
	if err != nil {
		return err
	}
	var users []*User
	if u := c.s.data.user(d.UserID); u != nil && d.UserID != "" {
		users = append(users, u)
	}
	return writePage(c, v, "users", users, pageOptions{maxTop: maxTopIntune})
}

func listDeviceApps(c *call) *apiError {
	v, err := c.newView(appType)
	if err != nil {
		return err
	}
	d, err := c.device(c.keys[0])
	if err != nil {
		return err
	}
	return writePage(c, v, "deviceManagement/managedDevices('"+d.ID+"')/detectedApps", c.s.data.appsOfDevices[d.ID], pageOptions{maxTop: maxTopIntune})
}
