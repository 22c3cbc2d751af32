package web

import (
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/graph"
	"github.com/assistdesk/assistdesk/views/i18n"
)

// Ids have one spelling from the moment they are read: GUIDs and
// detected-app ids in lower case, UPNs as given.
func TestIDParamsAreCanonical(t *testing.T) {
	for raw, want := range map[string]string{
		"04E0775D-1F2D-4A5B-8C9D-0E1F2A3B4C5D":                             "04e0775d-1f2d-4a5b-8c9d-0e1f2a3b4c5d",
		"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789": "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
		"Adele.Vance@Contoso.example":                                      "Adele.Vance@Contoso.example",
	} {
		c := echo.New().NewContext(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())
		c.SetParamNames("id")
		c.SetParamValues(raw)
		valid := func(s string) bool { return graph.IsUserRef(s) || graph.IsDetectedAppID(s) }
		if got, err := idParam(c, "id", valid, i18n.M("params.badUserRef")); err != nil || got != want {
			t.Errorf("idParam(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
}
