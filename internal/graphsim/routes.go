package graphsim

import "net/http"

// permission is a set of delegated scopes of which the token needs one.
type permission struct {
	anyOf  []string
	intune bool // Intune and the directory refuse in different words
}

var (
	permUsers = permission{anyOf: []string{
		"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All",
	}}
	permDevicesRead = permission{intune: true, anyOf: []string{
		"DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All",
	}}
	permConfigRead = permission{intune: true, anyOf: []string{
		"DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All",
	}}
	permDevicesWrite = permission{intune: true, anyOf: []string{
		"DeviceManagementManagedDevices.ReadWrite.All",
	}}
)

func (p permission) check(c *call) *apiError {
	switch {
	case c.token.has(p.anyOf...):
		return nil
	case p.intune:
		return c.intuneForbidden(p.anyOf...)
	default:
		return &apiError{http.StatusForbidden, codeDirectoryDenied, "Insufficient privileges to complete the operation."}
	}
}

var (
	v1AndBeta = []string{"v1.0", "beta"}
	betaOnly  = []string{"beta"}
)

// Query options each kind of route accepts.
var (
	optsEntity     = []string{"$select"}
	optsCollection = []string{"$select", "$top", "$skiptoken"}
	optsUsers      = []string{"$search", "$filter", "$select", "$top", "$count", "$skiptoken", "$orderby"}
	optsDevices    = []string{"$filter", "$select", "$top", "$skiptoken"}
	optsRunStates  = []string{"$expand", "$select", "$top", "$skiptoken"}
	optsRunState   = []string{"$expand", "$select"}
	optsNone       = []string(nil)
)

// The run-state paths are long; these keep the table readable.
var (
	runStatePath = []string{"deviceManagement", "deviceManagementScripts", keySegment, "deviceRunStates", keySegment}
	runDevice    = extend(runStatePath, "managedDevice")
	runApps      = extend(runDevice, "detectedApps")
)

func extend(base []string, more ...string) []string {
	return append(base[:len(base):len(base)], more...)
}

// routes is every path the simulator serves. Intune reads are beta only,
// because v1.0's managedDevice lacks beta properties (joinType and others)
// that a client might otherwise select here and be refused by Graph.
var routes = []route{
	// Directory.
	{v1AndBeta, http.MethodGet, []string{"users"}, []permission{permUsers}, optsUsers, 0, listUsers},
	{v1AndBeta, http.MethodGet, []string{"users", keySegment}, []permission{permUsers}, optsEntity, 0, getUser},

	// A user's devices. Graph refuses the key navigation to one of them.
	{betaOnly, http.MethodGet, []string{"users", keySegment, "managedDevices"}, []permission{permDevicesRead}, optsCollection, 0, listUserDevices},
	{betaOnly, http.MethodGet, []string{"users", keySegment, "managedDevices", keySegment}, nil, optsEntity, 0, refuseKeyNavigation},
	{betaOnly, http.MethodPost, []string{"users", keySegment, "managedDevices", keySegment, "requestRemoteAssistance"}, []permission{permDevicesWrite}, optsNone, 1, assistRoute1},

	// Managed devices.
	{betaOnly, http.MethodGet, []string{"deviceManagement", "managedDevices"}, []permission{permDevicesRead}, optsDevices, 0, listDevices},
	{betaOnly, http.MethodGet, []string{"deviceManagement", "managedDevices", keySegment}, []permission{permDevicesRead}, optsEntity, 0, getDevice},
	{betaOnly, http.MethodGet, []string{"deviceManagement", "managedDevices", keySegment, "users"}, []permission{permDevicesRead}, optsEntity, 0, listDeviceUsers},
	{betaOnly, http.MethodGet, []string{"deviceManagement", "managedDevices", keySegment, "detectedApps"}, []permission{permDevicesRead}, optsCollection, 0, listDeviceApps},
	{v1AndBeta, http.MethodPost, []string{"deviceManagement", "managedDevices", keySegment, "requestRemoteAssistance"}, []permission{permDevicesWrite}, optsNone, 2, assistRoute2},

	// Scripts and their runs.
	{betaOnly, http.MethodGet, []string{"deviceManagement", "deviceManagementScripts"}, []permission{permConfigRead}, optsCollection, 0, listScripts},
	{betaOnly, http.MethodGet, []string{"deviceManagement", "deviceManagementScripts", keySegment}, []permission{permConfigRead}, optsEntity, 0, getScript},
	{betaOnly, http.MethodGet, runStatePath[:4], []permission{permConfigRead}, optsRunStates, 0, listRunStates},
	{betaOnly, http.MethodGet, runStatePath, []permission{permConfigRead}, optsRunState, 0, getRunState},
	{betaOnly, http.MethodGet, runDevice, []permission{permConfigRead, permDevicesRead}, optsEntity, 0, getRunDevice},
	{betaOnly, http.MethodGet, runApps, []permission{permConfigRead, permDevicesRead}, optsCollection, 0, listRunDeviceApps},
	{betaOnly, http.MethodPost, extend(runDevice, "requestRemoteAssistance"), []permission{permDevicesWrite}, optsNone, 3, assistRoute3},
	{betaOnly, http.MethodPost, extend(runApps, keySegment, "managedDevices", keySegment, "requestRemoteAssistance"), []permission{permDevicesWrite}, optsNone, 4, assistRoute4},

	// The remote assistance connector that requestRemoteAssistance needs.
	{v1AndBeta, http.MethodGet, []string{"deviceManagement", "remoteAssistancePartners"}, []permission{permServiceConfigRead}, optsCollection, 0, listPartners},
	{v1AndBeta, http.MethodGet, []string{"deviceManagement", "remoteAssistancePartners", keySegment}, []permission{permServiceConfigRead}, optsEntity, 0, getPartner},

	// Detected apps.
	{betaOnly, http.MethodGet, []string{"deviceManagement", "detectedApps", keySegment}, []permission{permDevicesRead}, optsEntity, 0, getApp},
	{betaOnly, http.MethodGet, []string{"deviceManagement", "detectedApps", keySegment, "managedDevices"}, []permission{permDevicesRead}, optsCollection, 0, listAppDevices},
}
