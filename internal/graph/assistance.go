package graph

import (
	"context"
	"fmt"
	"net/url"
)

// Route is one of the four documented paths to requestRemoteAssistance.
type Route struct {
	Number     int // 1–4, as in the design
	UserID     string
	DeviceID   string
	ScriptID   string
	RunStateID string
	AppID      string
}

// UserDeviceRoute is route 1: a device through its user.
func UserDeviceRoute(userID, deviceID string) Route {
	return Route{Number: 1, UserID: userID, DeviceID: deviceID}
}

// DeviceRoute is route 2: the device itself.
func DeviceRoute(deviceID string) Route { return Route{Number: 2, DeviceID: deviceID} }

// ScriptRunRoute is route 3: the device of a script's run. deviceID is that
// device, kept for the audit trail and a route-2 fallback.
func ScriptRunRoute(scriptID, runStateID, deviceID string) Route {
	return Route{Number: 3, ScriptID: scriptID, RunStateID: runStateID, DeviceID: deviceID}
}

// AppDeviceRoute is route 4: a device that has an app detected on a
// script run's device.
func AppDeviceRoute(scriptID, runStateID, appID, deviceID string) Route {
	return Route{Number: 4, ScriptID: scriptID, RunStateID: runStateID, AppID: appID, DeviceID: deviceID}
}

// path validates the ids and builds the escaped path.
func (r Route) path() (string, error) {
	e := url.PathEscape
	switch r.Number {
	case 1:
		if IsUserRef(r.UserID) && IsGUID(r.DeviceID) {
			return "/beta/users/" + e(r.UserID) + "/managedDevices/" + e(r.DeviceID) + "/requestRemoteAssistance", nil
		}
	case 2:
		if IsGUID(r.DeviceID) {
			return "/beta/deviceManagement/managedDevices/" + e(r.DeviceID) + "/requestRemoteAssistance", nil
		}
	case 3:
		if IsGUID(r.ScriptID) && IsRunStateID(r.RunStateID) {
			return "/beta/deviceManagement/deviceManagementScripts/" + e(r.ScriptID) + "/deviceRunStates/" +
				e(r.RunStateID) + "/managedDevice/requestRemoteAssistance", nil
		}
	case 4:
		if IsGUID(r.ScriptID) && IsRunStateID(r.RunStateID) && IsDetectedAppID(r.AppID) && IsGUID(r.DeviceID) {
			return "/beta/deviceManagement/deviceManagementScripts/" + e(r.ScriptID) + "/deviceRunStates/" +
				e(r.RunStateID) + "/managedDevice/detectedApps/" + e(r.AppID) + "/managedDevices/" + e(r.DeviceID) +
				"/requestRemoteAssistance", nil
		}
	default:
		return "", fmt.Errorf("graph: no requestRemoteAssistance route %d", r.Number)
	}
	return "", ErrInvalidID
}

// RequestRemoteAssistance posts the action on the route. Graph answers
// 204 No Content when Intune accepted the request. The action is not
// idempotent, so it is never retried here.
func (c *Client) RequestRemoteAssistance(ctx context.Context, token string, r Route) (Response, error) {
	path, err := r.path()
	if err != nil {
		return Response{}, err
	}
	req := request{method: "POST", endpoint: fmt.Sprintf("POST requestRemoteAssistance (route %d)", r.Number), path: path}
	_, resp, err := c.do(ctx, token, req, req.url(c.root))
	return resp, err
}
