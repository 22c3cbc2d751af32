package graph

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
	IsEncrypted            bool      `json:"isEncrypted"`
	EnrolledDateTime       time.Time `json:"enrolledDateTime"`
	ManagementState        string    `json:"managementState"`
	DeviceEnrollmentType   string    `json:"deviceEnrollmentType"`
}

const deviceSelect = "id,deviceName,operatingSystem,osVersion,complianceState,lastSyncDateTime,model,manufacturer," +
	"serialNumber,managedDeviceOwnerType,userId,userPrincipalName,userDisplayName,isEncrypted,enrolledDateTime," +
	"managementState,deviceEnrollmentType"

// UserDevices lists up to limit managed devices of a user (object id or
// UPN), following Graph's pages no further than needed.
func (c *Client) UserDevices(ctx context.Context, token, userRef string, limit int) ([]ManagedDevice, error) {
	if !IsUserRef(userRef) {
		return nil, ErrInvalidID
	}
	return getAll[ManagedDevice](ctx, c, token, request{
		method:   "GET",
		endpoint: "GET /users/{id}/managedDevices",
		path:     "/beta/users/" + url.PathEscape(userRef) + "/managedDevices",
		query:    [][2]string{{"$select", deviceSelect}},
	}, limit)
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

// DeviceUsers lists a device's primary user (Graph answers a collection of
// at most one). The device's userPrincipalName is the enrolling user,
// which is not always the person using it.
func (c *Client) DeviceUsers(ctx context.Context, token, deviceID string) ([]User, error) {
	if !IsGUID(deviceID) {
		return nil, ErrInvalidID
	}
	return getAll[User](ctx, c, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/managedDevices/{id}/users",
		path:     "/beta/deviceManagement/managedDevices/" + url.PathEscape(deviceID) + "/users",
		query:    [][2]string{{"$select", userSelect}},
	}, 0)
}

// MaxDeviceKey is the longest device name or serial number looked up.
const MaxDeviceKey = 64

// CouldBeDeviceKey reports whether q could be a device name or a serial
// number, worth an exact lookup beside the user search.
func CouldBeDeviceKey(q string) bool {
	if q == "" || len(q) > MaxDeviceKey || strings.ContainsAny(q, "@\"") {
		return false
	}
	for _, r := range q {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// minSerial is the shortest query looked up as a serial number: vendors'
// serials are seven characters and more (Dell's service tags), and a
// technician looks one up whole, so the first keystrokes of a name are
// not worth one of Intune's reads.
const minSerial = 5

// CouldBeSerial reports whether q could be a whole serial number: a device
// key of at least minSerial characters, one word (only VMware's virtual
// machines have serials with spaces, and those begin "VMware-").
func CouldBeSerial(q string) bool {
	if !CouldBeDeviceKey(q) || utf8.RuneCountInString(q) < minSerial {
		return false
	}
	return !strings.ContainsFunc(q, unicode.IsSpace) || strings.HasPrefix(strings.ToLower(q), "vmware-")
}

// MaxDeviceHits is how many devices one device lookup returns.
const MaxDeviceHits = 25

// prefixScan is how many devices a name-prefix lookup reads to find its
// hits: Intune may answer startswith as contains, and the client keeps
// only the names that start with the prefix.
const prefixScan = 100

// DevicesByNamePrefix finds devices whose deviceName starts with prefix,
// in any case. Intune has been seen to answer startswith as contains, so
// the answer is filtered again here; a lone clause is sent, because Intune
// has answered `or` with its first clause alone.
func (c *Client) DevicesByNamePrefix(ctx context.Context, token, prefix string) ([]ManagedDevice, error) {
	found, err := c.devicesWhere(ctx, token, "deviceName", "startswith(deviceName,%s)", prefix, prefixScan)
	if err != nil {
		return nil, err
	}
	var out []ManagedDevice
	for _, d := range found {
		if strings.HasPrefix(strings.ToLower(d.DeviceName), strings.ToLower(prefix)) && len(out) < MaxDeviceHits {
			out = append(out, d)
		}
	}
	return out, nil
}

// DevicesBySerial finds devices whose serialNumber equals serial exactly.
func (c *Client) DevicesBySerial(ctx context.Context, token, serial string) ([]ManagedDevice, error) {
	return c.devicesWhere(ctx, token, "serialNumber", "serialNumber eq %s", serial, MaxDeviceHits)
}

// devicesWhere filters managed devices with one clause on one property,
// the value quoted into clause. An empty or unvalidated value is never
// sent: Intune answers a filter it does not like, and `eq ”`, with every
// device in the tenant.
func (c *Client) devicesWhere(ctx context.Context, token, property, clause, value string, limit int) ([]ManagedDevice, error) {
	if !CouldBeDeviceKey(value) {
		return nil, ErrInvalidID
	}
	literal := "'" + strings.ReplaceAll(value, "'", "''") + "'"
	return getAll[ManagedDevice](ctx, c, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/managedDevices?$filter=" + property,
		path:     "/beta/deviceManagement/managedDevices",
		query:    [][2]string{{"$filter", fmt.Sprintf(clause, literal)}, {"$select", deviceSelect}, {"$top", strconv.Itoa(limit)}},
	}, limit)
}

// ActionResult is one remote action Intune tracks on a device.
type ActionResult struct {
	ActionName          string    `json:"actionName"`
	ActionState         string    `json:"actionState"`
	StartDateTime       time.Time `json:"startDateTime"`
	LastUpdatedDateTime time.Time `json:"lastUpdatedDateTime"`
}

// AssistanceState is what follows a remote-assistance request on a device.
type AssistanceState struct {
	SessionURL    string         `json:"remoteAssistanceSessionUrl"`
	SessionError  string         `json:"remoteAssistanceSessionErrorDetails"`
	ActionResults []ActionResult `json:"deviceActionResults"`
}

// DeviceAssistance reads the remote-assistance fields of a device.
func (c *Client) DeviceAssistance(ctx context.Context, token, deviceID string) (AssistanceState, error) {
	if !IsGUID(deviceID) {
		return AssistanceState{}, ErrInvalidID
	}
	var st AssistanceState
	err := c.getJSON(ctx, token, request{
		method:   "GET",
		endpoint: "GET /deviceManagement/managedDevices/{id}?$select=remoteAssistance",
		path:     "/beta/deviceManagement/managedDevices/" + url.PathEscape(deviceID),
		query:    [][2]string{{"$select", "id,remoteAssistanceSessionUrl,remoteAssistanceSessionErrorDetails,deviceActionResults"}},
	}, &st)
	return st, err
}
