package graph

import (
	"context"
	"net/url"
	"time"
)

// Script is an Intune device management script.
type Script struct {
	ID           string `json:"id"`
	DisplayName  string `json:"displayName"`
	Description  string `json:"description"`
	FileName     string `json:"fileName"`
	RunAsAccount string `json:"runAsAccount"`
}

// RunState is one device's run of a script, with the device expanded.
type RunState struct {
	ID                      string         `json:"id"`
	RunState                string         `json:"runState"`
	ResultMessage           string         `json:"resultMessage"`
	ErrorCode               int32          `json:"errorCode"`
	ErrorDescription        string         `json:"errorDescription"`
	LastStateUpdateDateTime time.Time      `json:"lastStateUpdateDateTime"`
	ManagedDevice           *ManagedDevice `json:"managedDevice"`
}

// DetectedApp is an application Intune found on devices.
type DetectedApp struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Version     string `json:"version"`
	Publisher   string `json:"publisher"`
	Platform    string `json:"platform"`
	DeviceCount int    `json:"deviceCount"`
}

const scriptsPath = "/beta/deviceManagement/deviceManagementScripts/"

// Scripts lists the device management scripts.
func (c *Client) Scripts(ctx context.Context, token string) ([]Script, error) {
	return getAll[Script](ctx, c, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/deviceManagementScripts",
		path:     "/beta/deviceManagement/deviceManagementScripts",
		query:    [][2]string{{"$select", "id,displayName,description,fileName,runAsAccount"}},
	}, 0)
}

// Script fetches one script.
func (c *Client) Script(ctx context.Context, token, scriptID string) (Script, error) {
	if !IsGUID(scriptID) {
		return Script{}, ErrInvalidID
	}
	var s Script
	err := c.getJSON(ctx, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/deviceManagementScripts/{id}",
		path:     scriptsPath + url.PathEscape(scriptID),
		query:    [][2]string{{"$select", "id,displayName,description,fileName,runAsAccount"}},
	}, &s)
	return s, err
}

// RunStates lists a script's run states with their devices.
func (c *Client) RunStates(ctx context.Context, token, scriptID string) ([]RunState, error) {
	if !IsGUID(scriptID) {
		return nil, ErrInvalidID
	}
	return getAll[RunState](ctx, c, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/deviceManagementScripts/{id}/deviceRunStates",
		path:     scriptsPath + url.PathEscape(scriptID) + "/deviceRunStates",
		query:    [][2]string{{"$expand", "managedDevice"}},
	}, 0)
}

// RunState fetches one run state with its device.
func (c *Client) RunState(ctx context.Context, token, scriptID, runStateID string) (RunState, error) {
	if !IsGUID(scriptID) || !IsRunStateID(runStateID) {
		return RunState{}, ErrInvalidID
	}
	var rs RunState
	err := c.getJSON(ctx, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/deviceManagementScripts/{id}/deviceRunStates/{id}",
		path:     scriptsPath + url.PathEscape(scriptID) + "/deviceRunStates/" + url.PathEscape(runStateID),
		query:    [][2]string{{"$expand", "managedDevice"}},
	}, &rs)
	return rs, err
}

// RunDeviceApps lists the apps detected on the device of a script run.
func (c *Client) RunDeviceApps(ctx context.Context, token, scriptID, runStateID string) ([]DetectedApp, error) {
	if !IsGUID(scriptID) || !IsRunStateID(runStateID) {
		return nil, ErrInvalidID
	}
	return getAll[DetectedApp](ctx, c, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/deviceManagementScripts/{id}/deviceRunStates/{id}/managedDevice/detectedApps",
		path: scriptsPath + url.PathEscape(scriptID) + "/deviceRunStates/" + url.PathEscape(runStateID) +
			"/managedDevice/detectedApps",
	}, 0)
}

// AppDevices lists up to limit devices on which an app was detected.
func (c *Client) AppDevices(ctx context.Context, token, appID string, limit int) ([]ManagedDevice, error) {
	if !IsDetectedAppID(appID) {
		return nil, ErrInvalidID
	}
	return getAll[ManagedDevice](ctx, c, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/detectedApps/{id}/managedDevices",
		path:     "/beta/deviceManagement/detectedApps/" + url.PathEscape(appID) + "/managedDevices",
		query:    [][2]string{{"$select", deviceSelect}},
	}, limit)
}

// App fetches one detected app: what the devices that have it share.
func (c *Client) App(ctx context.Context, token, appID string) (DetectedApp, error) {
	if !IsDetectedAppID(appID) {
		return DetectedApp{}, ErrInvalidID
	}
	var a DetectedApp
	err := c.getJSON(ctx, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/detectedApps/{id}",
		path:     "/beta/deviceManagement/detectedApps/" + url.PathEscape(appID),
		query:    [][2]string{{"$select", "id,displayName,version,publisher,platform,deviceCount"}},
	}, &a)
	return a, err
}
