package graphsim

import (
	"slices"
	"strings"
	"unicode"
)

// filterExpr is a parsed OData $filter. The parser knows OData's grammar
// only as far as the simulator needs; what it cannot parse is a syntax
// error, which both the directory and Intune refuse with 400. Whether a
// well-formed filter is supported is each endpoint's own decision.
type filterExpr struct {
	op     string // "and", "or", "not", a comparison ("eq", …), "call", "prop" or "lit"
	name   string // property or function name
	value  string // literal text; string literals are unquoted
	quoted bool   // value was a string literal
	args   []*filterExpr
}

type filterParser struct {
	toks []string
	pos  int
}

func parseFilter(s string) (*filterExpr, bool) {
	toks, ok := lexFilter(s)
	if !ok || len(toks) == 0 {
		return nil, false
	}
	p := &filterParser{toks: toks}
	e := p.binary(0)
	if e == nil || p.pos != len(p.toks) {
		return nil, false
	}
	return e, true
}

// Binary operators by precedence, loosest first.
var filterLevels = [][]string{{"or"}, {"and"}, {"eq", "ne", "gt", "ge", "lt", "le"}}

func (p *filterParser) binary(level int) *filterExpr {
	if level == len(filterLevels) {
		return p.unary()
	}
	left := p.binary(level + 1)
	for left != nil && p.pos < len(p.toks) && slices.Contains(filterLevels[level], p.toks[p.pos]) {
		op := p.toks[p.pos]
		p.pos++
		right := p.binary(level + 1)
		if right == nil {
			return nil
		}
		left = &filterExpr{op: op, args: []*filterExpr{left, right}}
	}
	return left
}

func (p *filterParser) unary() *filterExpr {
	if p.pos < len(p.toks) && p.toks[p.pos] == "not" {
		p.pos++
		if e := p.unary(); e != nil {
			return &filterExpr{op: "not", args: []*filterExpr{e}}
		}
		return nil
	}
	return p.primary()
}

func (p *filterParser) primary() *filterExpr {
	if p.pos >= len(p.toks) {
		return nil
	}
	t := p.toks[p.pos]
	p.pos++
	switch {
	case t == "(":
		e := p.binary(0)
		if e == nil || !p.take(")") {
			return nil
		}
		return e
	case t[0] == '\'':
		return &filterExpr{op: "lit", value: strings.ReplaceAll(t[1:len(t)-1], "''", "'"), quoted: true}
	case t == ")" || t == ",":
		return nil
	case p.take("("):
		call := &filterExpr{op: "call", name: t}
		for !p.take(")") {
			if len(call.args) > 0 && !p.take(",") {
				return nil
			}
			arg := p.binary(0)
			if arg == nil {
				return nil
			}
			call.args = append(call.args, arg)
		}
		return call
	case t == "true" || t == "false" || t == "null":
		return &filterExpr{op: "lit", value: t}
	case unicode.IsLetter(rune(t[0])):
		return &filterExpr{op: "prop", name: t}
	default:
		return &filterExpr{op: "lit", value: t}
	}
}

func (p *filterParser) take(tok string) bool {
	if p.pos < len(p.toks) && p.toks[p.pos] == tok {
		p.pos++
		return true
	}
	return false
}

// lexFilter splits a filter into tokens: punctuation, string literals
// (with their quotes, doubled quotes left as they are) and runs of other
// characters.
func lexFilter(s string) ([]string, bool) {
	var toks []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return nil, false // unterminated literal
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t(),'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, true
}
