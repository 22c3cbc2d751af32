package graphsim

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// keySegment marks where a route pattern takes a key (an id or a UPN).
const keySegment = "{}"

// route is one Graph path the simulator serves.
type route struct {
	versions []string
	method   string
	pattern  []string     // after the version; keySegment where a key goes
	perms    []permission // each must be granted
	options  []string     // allowed system query options
	action   int          // requestRemoteAssistance route number; 0 for reads
	handle   func(*call) *apiError
}

// call is one request on its way through the simulator.
type call struct {
	s                          *Server
	w                          http.ResponseWriter
	r                          *http.Request
	requestID, clientRequestID string
	token                      token
	segs                       []string // decoded path segments, the version first
	route                      *route
	keys                       []string // decoded keys, in path order
	query                      url.Values
	fault                      string     // the injected fault that answered or held the request
	writeSlot                  *writeSlot // held against the write limit
}

func (c *call) serve() {
	if err := c.dispatch(); err != nil && err != errNoAnswer {
		c.writeError(err)
	}
}

// dispatch checks in Graph's order: token, route, method, query options,
// then the injected faults, routing refusals, permission; then the handler
// looks up the data.
func (c *call) dispatch() *apiError {
	var err *apiError
	if c.token, err = c.s.authenticate(c.r); err != nil {
		return err
	}
	if err := c.match(); err != nil {
		return err
	}
	if err := c.parseQuery(); err != nil {
		return err
	}
	if err := c.admit(); err != nil {
		return err
	}
	if c.s.faults.refused(c.route.action) {
		return routingRefusal(c)
	}
	for _, p := range c.route.perms {
		if err := p.check(c); err != nil {
			return err
		}
	}
	return c.route.handle(c)
}

func (c *call) match() *apiError {
	escaped := strings.TrimPrefix(c.r.URL.EscapedPath(), "/")
	for _, s := range strings.Split(escaped, "/") {
		seg, err := url.PathUnescape(s)
		if err != nil {
			return badRequest("Invalid URI: the path segment '%s' is not correctly escaped.", s)
		}
		c.segs = append(c.segs, seg)
	}
	version, rest := c.segs[0], c.segs[1:]
	if version != "v1.0" && version != "beta" {
		return badRequest("Invalid version: %s", version)
	}
	if len(rest) == 0 {
		return badRequest("Resource not found for the segment '%s'.", version)
	}
	deepest := 0
	var allowed []string
	for i := range routes {
		rt := &routes[i]
		if !slices.Contains(rt.versions, version) {
			continue
		}
		n := matchedPrefix(rt.pattern, rest)
		if n < len(rest) || n < len(rt.pattern) {
			deepest = max(deepest, n)
			continue
		}
		if rt.method != c.r.Method {
			allowed = append(allowed, rt.method)
			continue
		}
		c.route = rt
		for j, p := range rt.pattern {
			if p == keySegment {
				c.keys = append(c.keys, rest[j])
			}
		}
		return nil
	}
	if len(allowed) > 0 {
		c.w.Header().Set("Allow", strings.Join(allowed, ", "))
		code := codeBadRequest
		if rest[0] == "users" && len(rest) <= 2 {
			code = codeRequestBadRequest // the directory's spelling
		}
		return &apiError{http.StatusMethodNotAllowed, code,
			fmt.Sprintf("The HTTP method '%s' is not supported.", c.r.Method)}
	}
	if deepest >= len(rest) {
		deepest = len(rest) - 1
	}
	return badRequest("Resource not found for the segment '%s'.", rest[deepest])
}

// matchedPrefix counts the leading segments of path that fit pattern.
// Graph's segment names are case-insensitive; keys must not be empty.
func matchedPrefix(pattern, path []string) int {
	n := 0
	for n < len(pattern) && n < len(path) {
		p, s := pattern[n], path[n]
		if p == keySegment && s == "" || p != keySegment && !strings.EqualFold(p, s) {
			break
		}
		n++
	}
	return n
}

// parseQuery refuses what OData refuses before any handler runs: malformed
// or repeated query options, and system options the route does not allow.
func (c *call) parseQuery() *apiError {
	q, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		return badRequest("The query string is not valid: %v", err)
	}
	for name, values := range q {
		if !strings.HasPrefix(name, "$") {
			continue // Graph ignores parameters that are not OData's
		}
		if len(values) > 1 {
			return badRequest("Query option '%s' was specified more than once, but it must be specified at most once.", name)
		}
		if !slices.Contains(c.route.options, name) {
			return badRequest("Query option '%s' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.", strings.TrimPrefix(name, "$"))
		}
	}
	c.query = q
	return nil
}

// routingRefusal is Graph's answer to a route it has declined to serve,
// which means the action was not executed.
func routingRefusal(c *call) *apiError {
	if c.route.action == 1 {
		return badRequest("No method match route template")
	}
	return badRequest("No OData route exists that match template ~/singleton/navigation/key/navigation/key/navigation/action with http verb POST for request %s.", intunePath(c))
}
