package graphsim

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

// basicProfile is what User.ReadBasic.All may read; the directory leaves
// every other property out of the response.
var basicProfile = []string{"id", "displayName", "givenName", "surname", "mail", "userPrincipalName"}

// fullProfile are the scopes that may read more than the basic profile.
var fullProfile = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}

func (c *call) userView() (*view, *apiError) {
	v, err := c.newView(userType)
	if err != nil || c.token.has(fullProfile...) {
		return v, err
	}
	return v.without(func(p string) bool { return !slices.Contains(basicProfile, p) }), nil
}

// eventual reports whether the request opted into advanced queries, which
// the directory requires for $search and $count and which nextLink does
// not carry.
func (c *call) eventual() bool {
	return strings.EqualFold(c.r.Header.Get("ConsistencyLevel"), "eventual")
}

func listUsers(c *call) *apiError {
	v, err := c.userView()
	if err != nil {
		return err
	}
	var matched []*User
	if s, ok := c.query["$search"]; ok {
		if !c.eventual() {
			return unsupportedQuery("Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
		}
		expr, err := parseSearch(s[0])
		if err != nil {
			return err
		}
		matched = c.s.data.searchUsers(expr)
	} else {
		matched = make([]*User, 0, len(c.s.data.t.Users))
		for i := range c.s.data.t.Users {
			matched = append(matched, &c.s.data.t.Users[i])
		}
	}
	count := false
	if s, ok := c.query["$count"]; ok {
		if s[0] != "true" && s[0] != "false" {
			return badRequest("The value '%s' is not valid for $count.", s[0])
		}
		if !c.eventual() {
			return &apiError{http.StatusBadRequest, codeRequestBadRequest, "$count is not currently supported."}
		}
		count = s[0] == "true"
	}
	if f, ok := c.query["$filter"]; ok {
		keep, err := userFilter(f[0])
		if err != nil {
			return err
		}
		matched = slices.DeleteFunc(matched, func(u *User) bool { return !keep(u) })
	}
	if err := c.orderUsers(matched); err != nil {
		return err
	}
	return writePage(c, v, "users", matched, pageOptions{maxTop: maxTopDirectory, count: count})
}

// orderUsers applies $orderby. The directory sorts a filtered list only as
// an advanced query.
func (c *call) orderUsers(users []*User) *apiError {
	o, ok := c.query["$orderby"]
	if !ok {
		return nil
	}
	if _, filtered := c.query["$filter"]; filtered && !c.eventual() {
		return unsupportedQuery("Sorting not supported for current query.")
	}
	property, direction, _ := strings.Cut(strings.TrimSpace(o[0]), " ")
	if property != "displayName" && property != "userPrincipalName" || direction != "" && direction != "asc" && direction != "desc" {
		return unsupportedQuery("Order by '%s' not supported.", o[0])
	}
	slices.SortStableFunc(users, func(a, b *User) int {
		n := cmp.Compare(strings.ToLower(userProperty(a, property)), strings.ToLower(userProperty(b, property)))
		if direction == "desc" {
			return -n
		}
		return n
	})
	return nil
}

func getUser(c *call) *apiError {
	v, err := c.userView()
	if err != nil {
		return err
	}
	u := c.s.data.user(c.keys[0])
	if u == nil {
		return directoryNotFound(c.keys[0])
	}
	return c.writeEntity(v, "users", u)
}

// userFilter compiles the $filter forms the directory supports on users
// without advanced query: startswith and eq on string properties, joined by
// and/or. Anything else is refused, never ignored.
func userFilter(s string) (func(*User) bool, *apiError) {
	e, ok := parseFilter(s)
	if !ok {
		return nil, badRequest("Invalid filter clause: syntax error in '%s'.", s)
	}
	return compileUserFilter(e)
}

var userFilterProps = []string{"id", "displayName", "givenName", "surname", "mail", "userPrincipalName"}

func compileUserFilter(e *filterExpr) (func(*User) bool, *apiError) {
	switch e.op {
	case "and", "or":
		left, err := compileUserFilter(e.args[0])
		if err != nil {
			return nil, err
		}
		right, err := compileUserFilter(e.args[1])
		if err != nil {
			return nil, err
		}
		if e.op == "and" {
			return func(u *User) bool { return left(u) && right(u) }, nil
		}
		return func(u *User) bool { return left(u) || right(u) }, nil
	case "eq", "call":
		if e.op == "call" && e.name != "startswith" || len(e.args) != 2 {
			break
		}
		prop, lit := e.args[0], e.args[1]
		if prop.op != "prop" || lit.op != "lit" || !lit.quoted {
			break
		}
		if !slices.Contains(userFilterProps, prop.name) {
			return nil, unsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource 'User'.", prop.name)
		}
		if e.op == "eq" {
			return func(u *User) bool { return strings.EqualFold(userProperty(u, prop.name), lit.value) }, nil
		}
		return func(u *User) bool {
			return strings.HasPrefix(strings.ToLower(userProperty(u, prop.name)), strings.ToLower(lit.value))
		}, nil
	}
	return nil, unsupportedQuery("Unsupported Query.")
}
