package web

import (
	"net/url"

	"github.com/labstack/echo/v4"
)

// Routes lists what the portal routes, for the test that every route but
// the public ones is guarded.
func Routes(h any) []*echo.Route { return h.(portal).echo.Routes() }

// DeviceForm is the request form a page sends for a device, its facts
// signed with key: tests that fire hundreds of requests at once build it
// rather than open a page for each device.
func DeviceForm(key []byte, deviceID, name string) url.Values {
	form := url.Values{}
	for _, f := range newFactsKey(key).fields(deviceFacts{DeviceID: deviceID, Name: name}) {
		form.Set(f.Name, f.Value)
	}
	return form
}
