package components

import (
	"context"

	"github.com/assistdesk/assistdesk/views/i18n"
)

// enrollmentTypes are the catalogue's words for Intune's
// deviceEnrollmentType values: how a device came under management.
var enrollmentTypes = map[string]string{
	"unknown":                               "enrollment.unknown",
	"userEnrollment":                        "enrollment.userEnrollment",
	"deviceEnrollmentManager":               "enrollment.deviceEnrollmentManager",
	"appleBulkWithUser":                     "enrollment.appleBulkWithUser",
	"appleBulkWithoutUser":                  "enrollment.appleBulkWithoutUser",
	"windowsAzureADJoin":                    "enrollment.windowsAzureADJoin",
	"windowsBulkUserless":                   "enrollment.windowsBulkUserless",
	"windowsAutoEnrollment":                 "enrollment.windowsAutoEnrollment",
	"windowsBulkAzureDomainJoin":            "enrollment.windowsBulkAzureDomainJoin",
	"windowsCoManagement":                   "enrollment.windowsCoManagement",
	"windowsAzureADJoinUsingDeviceAuth":     "enrollment.windowsAzureADJoinUsingDeviceAuth",
	"appleUserEnrollment":                   "enrollment.appleUserEnrollment",
	"appleUserEnrollmentWithServiceAccount": "enrollment.appleUserEnrollmentWithServiceAccount",
	"azureAdJoinUsingAzureVmExtension":      "enrollment.azureAdJoinUsingAzureVmExtension",
	"androidEnterpriseDedicatedDevice":      "enrollment.androidEnterpriseDedicatedDevice",
	"androidEnterpriseFullyManaged":         "enrollment.androidEnterpriseFullyManaged",
	"androidEnterpriseCorporateWorkProfile": "enrollment.androidEnterpriseCorporateWorkProfile",
}

// managementStates are the catalogue's words for Intune's managementState
// values.
var managementStates = map[string]string{
	"managed":        "management.managed",
	"retirePending":  "management.retirePending",
	"retireFailed":   "management.retireFailed",
	"wipePending":    "management.wipePending",
	"wipeFailed":     "management.wipeFailed",
	"unhealthy":      "management.unhealthy",
	"deletePending":  "management.deletePending",
	"retireIssued":   "management.retireIssued",
	"wipeIssued":     "management.wipeIssued",
	"wipeCanceled":   "management.wipeCanceled",
	"retireCanceled": "management.retireCanceled",
	"discovered":     "management.discovered",
}

// intuneWords is an Intune value in the technician's words. A value the
// catalogue does not know (Intune adds to its lists) is shown as Intune
// wrote it, which still tells support something; a missing one is a dash.
func intuneWords(ctx context.Context, words map[string]string, value string) string {
	if key, ok := words[value]; ok {
		return i18n.T(ctx, key)
	}
	return orDash(value)
}
