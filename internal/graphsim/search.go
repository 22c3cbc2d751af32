package graphsim

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// searchClause is one "property:value" of a $search expression.
type searchClause struct {
	property, value string
}

// searchExpr is an OR of ANDs of clauses: AND binds tighter, as in Graph.
type searchExpr [][]searchClause

// searchable are the user properties the directory's $search indexes.
var searchable = []string{"displayName", "mail", "userPrincipalName"}

// parseSearch parses Graph's directory $search syntax: clauses in double
// quotes (with \" and \\ escapes inside) joined by OR or AND, upper case,
// outside the quotes. A lower-case "or" is a bare search term, which the
// directory does not accept between clauses.
func parseSearch(s string) (searchExpr, *apiError) {
	var expr searchExpr
	var group []searchClause
	wantClause := true
	for i := 0; ; {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			if wantClause {
				return nil, searchSyntax(s, i, "end of input")
			}
			return append(expr, group), nil
		}
		if !wantClause {
			word := s[i:]
			if end := strings.IndexAny(word, ` "`); end >= 0 {
				word = word[:end]
			}
			switch word {
			case "OR":
				expr, group = append(expr, group), nil
			case "AND":
			default:
				return nil, searchSyntax(s, i, fmt.Sprintf("'%s'", word))
			}
			i += len(word)
			wantClause = true
			continue
		}
		if s[i] != '"' {
			return nil, searchSyntax(s, i, fmt.Sprintf("character '%c'", s[i]))
		}
		clause, next, err := parseClause(s, i)
		if err != nil {
			return nil, err
		}
		group = append(group, clause)
		i = next
		wantClause = false
	}
}

// parseClause reads the quoted clause that starts at s[start].
func parseClause(s string, start int) (searchClause, int, *apiError) {
	var b strings.Builder
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 == len(s) || s[i+1] != '"' && s[i+1] != '\\' {
				return searchClause{}, 0, searchSyntax(s, i, "escape")
			}
			i++
			b.WriteByte(s[i])
		case '"':
			property, value, ok := strings.Cut(b.String(), ":")
			if !ok {
				return searchClause{}, 0, unsupportedQuery("Unsupported search clause '%s'; use \"property:value\".", b.String())
			}
			if !slices.Contains(searchable, property) {
				return searchClause{}, 0, unsupportedQuery("Unsupported or invalid query filter clause specified for property '%s' of resource 'User'.", property)
			}
			if value == "" {
				return searchClause{}, 0, searchSyntax(s, i, "empty search value")
			}
			return searchClause{property, value}, i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return searchClause{}, 0, searchSyntax(s, start, "unbalanced quote")
}

func searchSyntax(s string, pos int, what string) *apiError {
	return badRequest("Syntax error: %s is not valid at position %d in '%s'.", what, pos, s)
}

// matches reports whether the user matches the expression the way the
// directory's search index does: case-insensitively, a value matches when
// it is a prefix of the whole property or of any of its words.
func (e searchExpr) matches(u *User) bool {
	for _, group := range e {
		all := true
		for _, c := range group {
			all = all && prefixMatch(userProperty(u, c.property), c.value)
		}
		if all {
			return true
		}
	}
	return false
}

func prefixMatch(property, value string) bool {
	property, value = strings.ToLower(property), strings.ToLower(value)
	if strings.HasPrefix(property, value) {
		return true
	}
	for _, word := range strings.FieldsFunc(property, isWordBreak) {
		if strings.HasPrefix(word, value) {
			return true
		}
	}
	return false
}

func isWordBreak(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("._-@", r)
}

// userProperty reads the user properties that $search and $filter use.
func userProperty(u *User, name string) string {
	switch name {
	case "id":
		return u.ID
	case "displayName":
		return u.DisplayName
	case "givenName":
		return u.GivenName
	case "surname":
		return u.Surname
	case "mail":
		return u.Mail
	case "userPrincipalName":
		return u.UserPrincipalName
	}
	return ""
}
