package graphsim

import (
	"net/http"
	"strings"
)

// reach applies the device's fault to a request that addresses it, once
// the route has resolved the device: a fault never hides a malformed or
// unknown id, which Graph would refuse first.
func (c *call) reach(deviceID string) *apiError {
	f := c.s.faults.deviceFault(deviceID)
	if f.kind == "" || f.kind == kindSessionError {
		return nil
	}
	c.fault = faultDevice + f.kind
	ctx := c.r.Context()
	switch f.kind {
	case kindForbidden:
		return &apiError{http.StatusForbidden, codeForbidden,
			c.intuneMessage("The caller's Intune role assignment and scope tags do not allow this operation on this device", 0)}
	case kindGone:
		return c.intuneNotFound()
	case kindHang:
		<-ctx.Done()
		return errNoAnswer
	}
	if !sleep(ctx, f.delay) {
		return errNoAnswer
	}
	return nil
}

// reachDevice is reach for routes that find the device through another
// entity (a script's run state) rather than by its key.
func (c *call) reachDevice(d *ManagedDevice) (*ManagedDevice, *apiError) {
	if err := c.reach(d.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// SetDeviceFault sets the fault of every later request that addresses the
// managed device with this id; DeviceFault{} removes it. A SessionError
// applies to requests for assistance accepted from now on.
func (s *Server) SetDeviceFault(deviceID string, f DeviceFault) {
	st := s.faults
	st.mu.Lock()
	defer st.mu.Unlock()
	if f.kind == "" {
		delete(st.devices, strings.ToLower(deviceID))
		return
	}
	st.devices[strings.ToLower(deviceID)] = f
}
