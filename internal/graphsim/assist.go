package graphsim

import (
	"io"
	"net/http"
	"strings"
)

// maxBodyPeek is how much of a request body is read to see that it is not
// empty; the action takes none.
const maxBodyPeek = 1 << 10

// assist executes requestRemoteAssistance on a device that the route has
// resolved: the action takes no body and answers 204 with none.
func (c *call) assist(d *ManagedDevice) *apiError {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, maxBodyPeek))
	if err != nil {
		return badRequest("The request body could not be read.")
	}
	if len(body) > 0 {
		return badRequest("The action 'requestRemoteAssistance' does not accept a request body.")
	}
	c.s.recordAction(c, c.route.action, d.ID)
	c.s.openSession(d)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// assistRoute1 is POST /users/{userId}/managedDevices/{deviceId}/requestRemoteAssistance.
func assistRoute1(c *call) *apiError {
	u := c.s.data.user(c.keys[0])
	if u == nil {
		return directoryNotFound(c.keys[0])
	}
	d, err := c.device(c.keys[1])
	if err != nil {
		return err
	}
	if !strings.EqualFold(d.UserID, u.ID) {
		return c.intuneNotFound()
	}
	return c.assist(d)
}

// assistRoute2 is POST /deviceManagement/managedDevices/{deviceId}/requestRemoteAssistance.
func assistRoute2(c *call) *apiError {
	d, err := c.device(c.keys[0])
	if err != nil {
		return err
	}
	return c.assist(d)
}

// assistRoute3 acts on the device of a script's run state.
func assistRoute3(c *call) *apiError {
	rs, err := c.runState()
	if err != nil {
		return err
	}
	d, err := c.reachDevice(c.s.data.device(rs.DeviceID))
	if err != nil {
		return err
	}
	return c.assist(d)
}

// assistRoute4 acts on a device that has an app which was also detected on
// a script run's device; both ends of that navigation must hold.
func assistRoute4(c *call) *apiError {
	rs, err := c.runState()
	if err != nil {
		return err
	}
	app, err := c.app(c.keys[2])
	if err != nil {
		return err
	}
	d, err := c.device(c.keys[3])
	if err != nil {
		return err
	}
	if !c.s.data.appOnDevice(app.ID, rs.DeviceID) || !c.s.data.appOnDevice(app.ID, d.ID) {
		return c.intuneNotFound()
	}
	return c.assist(d)
}
