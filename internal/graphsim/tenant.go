package graphsim

import (
	"strings"
	"time"
)

// Tenant is the directory and Intune data the simulator serves. Its slices
// are exported so tests can pick data; a tenant must not be modified once
// it has been handed to New, because the server indexes it there.
type Tenant struct {
	Users        []User
	Devices      []ManagedDevice
	Scripts      []Script
	RunStates    map[string][]RunState // script id → that script's device run states
	DetectedApps []DetectedApp
	DeviceApps   map[string][]string // managed device id → ids of the apps detected on it
}

// User is a microsoft.graph.user with the properties the portal can read.
type User struct {
	ID                string   `json:"id"`
	DisplayName       string   `json:"displayName"`
	GivenName         string   `json:"givenName"`
	Surname           string   `json:"surname"`
	UserPrincipalName string   `json:"userPrincipalName"`
	Mail              string   `json:"mail"`
	JobTitle          string   `json:"jobTitle"`
	Department        string   `json:"department"`
	OfficeLocation    string   `json:"officeLocation"`
	MobilePhone       string   `json:"mobilePhone"`
	BusinessPhones    []string `json:"businessPhones"`
	PreferredLanguage string   `json:"preferredLanguage"`
	AccountEnabled    bool     `json:"accountEnabled"`
	UserType          string   `json:"userType"`
}

// ManagedDevice is a microsoft.graph.managedDevice as the beta endpoint
// returns it.
type ManagedDevice struct {
	ID                                  string               `json:"id"`
	UserID                              string               `json:"userId"`
	DeviceName                          string               `json:"deviceName"`
	ManagedDeviceOwnerType              string               `json:"managedDeviceOwnerType"`
	EnrolledDateTime                    time.Time            `json:"enrolledDateTime"`
	LastSyncDateTime                    time.Time            `json:"lastSyncDateTime"`
	OperatingSystem                     string               `json:"operatingSystem"`
	ComplianceState                     string               `json:"complianceState"`
	JailBroken                          string               `json:"jailBroken"`
	ManagementAgent                     string               `json:"managementAgent"`
	OSVersion                           string               `json:"osVersion"`
	AzureADRegistered                   bool                 `json:"azureADRegistered"`
	DeviceEnrollmentType                string               `json:"deviceEnrollmentType"`
	EmailAddress                        string               `json:"emailAddress"`
	AzureADDeviceID                     string               `json:"azureADDeviceId"`
	DeviceRegistrationState             string               `json:"deviceRegistrationState"`
	IsSupervised                        bool                 `json:"isSupervised"`
	IsEncrypted                         bool                 `json:"isEncrypted"`
	UserPrincipalName                   string               `json:"userPrincipalName"`
	UserDisplayName                     string               `json:"userDisplayName"`
	Model                               string               `json:"model"`
	Manufacturer                        string               `json:"manufacturer"`
	IMEI                                string               `json:"imei"`
	SerialNumber                        string               `json:"serialNumber"`
	WiFiMacAddress                      string               `json:"wiFiMacAddress"`
	ManagementState                     string               `json:"managementState"`
	JoinType                            string               `json:"joinType"`
	Notes                               *string              `json:"notes"`
	RoleScopeTagIDs                     []string             `json:"roleScopeTagIds"`
	RemoteAssistanceSessionURL          string               `json:"remoteAssistanceSessionUrl"`
	RemoteAssistanceSessionErrorDetails string               `json:"remoteAssistanceSessionErrorDetails"`
	DeviceActionResults                 []DeviceActionResult `json:"deviceActionResults"`
}

// DeviceActionResult is one entry of a device's deviceActionResults.
type DeviceActionResult struct {
	ActionName          string    `json:"actionName"`
	ActionState         string    `json:"actionState"`
	StartDateTime       time.Time `json:"startDateTime"`
	LastUpdatedDateTime time.Time `json:"lastUpdatedDateTime"`
}

// Script is a microsoft.graph.deviceManagementScript.
type Script struct {
	ID                    string    `json:"id"`
	DisplayName           string    `json:"displayName"`
	Description           string    `json:"description"`
	RunAsAccount          string    `json:"runAsAccount"`
	EnforceSignatureCheck bool      `json:"enforceSignatureCheck"`
	FileName              string    `json:"fileName"`
	RoleScopeTagIDs       []string  `json:"roleScopeTagIds"`
	RunAs32Bit            bool      `json:"runAs32Bit"`
	CreatedDateTime       time.Time `json:"createdDateTime"`
	LastModifiedDateTime  time.Time `json:"lastModifiedDateTime"`
}

// RunState is a microsoft.graph.deviceManagementScriptDeviceState. ScriptID
// and DeviceID are its navigations, which Graph does not serialise inline.
type RunState struct {
	ID                      string    `json:"id"`
	RunState                string    `json:"runState"`
	ResultMessage           string    `json:"resultMessage"`
	LastStateUpdateDateTime time.Time `json:"lastStateUpdateDateTime"`
	ErrorCode               int32     `json:"errorCode"`
	ErrorDescription        string    `json:"errorDescription"`
	ScriptID                string    `json:"-"`
	DeviceID                string    `json:"-"`
}

// DetectedApp is a microsoft.graph.detectedApp.
type DetectedApp struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Version     string `json:"version"`
	SizeInByte  int64  `json:"sizeInByte"`
	DeviceCount int32  `json:"deviceCount"`
	Publisher   string `json:"publisher"`
	Platform    string `json:"platform"`
}

// UserByUPN finds a user by user principal name, ignoring case as Graph does.
func (t *Tenant) UserByUPN(upn string) (User, bool) {
	for _, u := range t.Users {
		if strings.EqualFold(u.UserPrincipalName, upn) {
			return u, true
		}
	}
	return User{}, false
}

// DevicesOfUser lists the devices whose userId is the given user id.
func (t *Tenant) DevicesOfUser(userID string) []ManagedDevice {
	var out []ManagedDevice
	for _, d := range t.Devices {
		if d.UserID == userID {
			out = append(out, d)
		}
	}
	return out
}
