package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/assistdesk/assistdesk/internal/auth"
	"github.com/assistdesk/assistdesk/views/i18n"
)

// languageCookie holds the language a technician chose in the header; it
// outlives the session, so a ticket's link opened next week keeps it.
const languageCookie = "assistdesk_lang"

// localLanguage puts the request's language in its context: the one the
// technician chose, else the best for the browser's Accept-Language.
func localLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		chosen := ""
		if ck, err := c.Cookie(languageCookie); err == nil {
			chosen = ck.Value
		}
		r := c.Request()
		l := i18n.Choose(chosen, r.Header.Get("Accept-Language"))
		c.SetRequest(r.WithContext(i18n.With(r.Context(), l)))
		return next(c)
	}
}

// language remembers the language chosen in the header (?to=de) and goes
// back to the page it was chosen on (?return_to=, this site's only). It
// is a link, not a form: it works before sign-in, without JavaScript, and
// changes nothing but how pages read.
func language(secure bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		l := i18n.ByCode(c.QueryParam("to"))
		if l == nil {
			return echo.NewHTTPError(http.StatusBadRequest, i18n.M("params.badLanguage"))
		}
		c.SetCookie(&http.Cookie{Name: languageCookie, Value: l.Code(), Path: "/", MaxAge: 400 * 24 * 60 * 60,
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.Redirect(http.StatusSeeOther, auth.SafeReturnTo(c.QueryParam("return_to")))
	}
}
