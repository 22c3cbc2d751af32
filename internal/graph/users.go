package graph

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// User is the part of a Graph user the portal shows.
type User struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
	Mail              string `json:"mail"`
}

const userSelect = "id,displayName,userPrincipalName,mail"

// MaxQuery is the longest search text the portal sends.
const MaxQuery = 256

// SearchExpression builds a $search value that matches q in the display
// name, mail or UPN. Inside a quoted clause Graph takes `\"` and `\\` as
// escapes, so those two are escaped and nothing else is needed.
func SearchExpression(q string) string {
	escaped := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(q)
	clauses := make([]string, 0, 3)
	for _, prop := range []string{"displayName", "mail", "userPrincipalName"} {
		clauses = append(clauses, `"`+prop+`:`+escaped+`"`)
	}
	return strings.Join(clauses, " OR ")
}

// SearchUsers returns up to limit users whose name, mail or UPN matches q.
func (c *Client) SearchUsers(ctx context.Context, token, q string, limit int) ([]User, error) {
	q = strings.TrimSpace(q)
	if q == "" || utf8.RuneCountInString(q) > MaxQuery || !utf8.ValidString(q) || strings.ContainsFunc(q, unicode.IsControl) {
		return nil, ErrInvalidID
	}
	return getAll[User](ctx, c, token, request{
		method:   "GET",
		endpoint: "GET /users?$search",
		path:     "/v1.0/users",
		query: [][2]string{
			{"$search", SearchExpression(q)},
			{"$select", userSelect},
			{"$top", strconv.Itoa(limit)},
			{"$count", "true"},
		},
		eventual: true,
	}, limit)
}

// User fetches one user by object id or UPN.
func (c *Client) User(ctx context.Context, token, ref string) (User, error) {
	if !IsUserRef(ref) {
		return User{}, ErrInvalidID
	}
	var u User
	err := c.getJSON(ctx, token, request{
		method:   "GET",
		endpoint: "GET /users/{id}",
		path:     "/v1.0/users/" + url.PathEscape(ref),
		query:    [][2]string{{"$select", userSelect}},
	}, &u)
	return u, err
}
