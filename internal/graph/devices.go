package graph

import (
	"context"
	"net/url"
	"time"
)

// ManagedDevice is the part of an Intune managed device the portal shows.
type ManagedDevice struct {
	ID                     string    `json:"id"`
	DeviceName             string    `json:"deviceName"`
	OperatingSystem        string    `json:"operatingSystem"`
	OSVersion              string    `json:"osVersion"`
	ComplianceState        string    `json:"complianceState"`
	LastSyncDateTime       time.Time `json:"lastSyncDateTime"`
	Model                  string    `json:"model"`
	Manufacturer           string    `json:"manufacturer"`
	SerialNumber           string    `json:"serialNumber"`
	ManagedDeviceOwnerType string    `json:"managedDeviceOwnerType"`
	UserID                 string    `json:"userId"`
	UserPrincipalName      string    `json:"userPrincipalName"`
	UserDisplayName        string    `json:"userDisplayName"`
}

const deviceSelect = "id,deviceName,operatingSystem,osVersion,complianceState,lastSyncDateTime,model,manufacturer," +
	"serialNumber,managedDeviceOwnerType,userId,userPrincipalName,userDisplayName"

// UserDevices lists every managed device of a user (object id or UPN),
// following Graph's pages.
func (c *Client) UserDevices(ctx context.Context, token, userRef string) ([]ManagedDevice, error) {
	if !IsUserRef(userRef) {
		return nil, ErrInvalidID
	}
	return getAll[ManagedDevice](ctx, c, token, request{
		method:   "GET",
		endpoint: "GET /users/{id}/managedDevices",
		path:     "/beta/users/" + url.PathEscape(userRef) + "/managedDevices",
		query:    [][2]string{{"$select", deviceSelect}},
	}, 0)
}

// Device fetches one managed device.
func (c *Client) Device(ctx context.Context, token, deviceID string) (ManagedDevice, error) {
	if !IsGUID(deviceID) {
		return ManagedDevice{}, ErrInvalidID
	}
	var d ManagedDevice
	err := c.getJSON(ctx, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/managedDevices/{id}",
		path:     "/beta/deviceManagement/managedDevices/" + url.PathEscape(deviceID),
		query:    [][2]string{{"$select", deviceSelect}},
	}, &d)
	return d, err
}
