package alert

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/prometheus/model/labels"
)

// This file parses Alertmanager's matcher syntax, as written in routes'
// and inhibit rules' `matchers` lists and in silences:
//
//	foo="bar"             equal
//	foo!="bar"            not equal (also matches when foo is absent)
//	foo=~"a|b"            regex, anchored at both ends
//	foo!~"a|b"            negated regex
//	{foo="bar",baz!~"x"}  several at once, with or without braces
//
// Values may be double-quoted, with Go's escapes (\" \\ \n ...), or bare:
// a bare value runs to the next comma (or the closing brace) and is
// trimmed, so `foo = bar` and `foo="bar"` are the same. A value holding a
// comma must be quoted. Label names may be bare (no spaces, quotes or
// operator characters) or double-quoted for UTF-8 names. An empty list
// ("" or "{}") has no matchers; a trailing comma is accepted.

// ParseMatchers parses a list of matchers in Alertmanager's syntax. The
// regexes are compiled (and anchored) once here, so matching costs no
// parsing later.
func ParseMatchers(s string) ([]*labels.Matcher, error) {
	body := strings.TrimSpace(s)
	if strings.HasPrefix(body, "{") {
		inner, ok := strings.CutSuffix(body[1:], "}")
		if !ok {
			return nil, errors.New("missing closing '}'")
		}
		body = inner
	}
	parts, err := splitMatchers(body)
	if err != nil {
		return nil, err
	}
	ms := make([]*labels.Matcher, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			if i == len(parts)-1 && i > 0 {
				break // a trailing comma
			}
			if len(parts) == 1 {
				break // no matchers at all
			}
			return nil, errors.New("empty matcher between commas")
		}
		m, err := ParseMatcher(p)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// splitMatchers splits s at the commas that are outside double quotes.
func splitMatchers(s string) ([]string, error) {
	var parts []string
	start, inQuote, escaped := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case inQuote && c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if inQuote {
		return nil, errors.New("unterminated quoted string")
	}
	return append(parts, s[start:]), nil
}

// ParseMatcher parses one matcher, such as `foo=~"a|b"`.
func ParseMatcher(s string) (*labels.Matcher, error) {
	rest := strings.TrimLeftFunc(s, unicode.IsSpace)
	var name string
	if strings.HasPrefix(rest, `"`) {
		q, tail, err := cutQuoted(rest)
		if err != nil {
			return nil, fmt.Errorf("label name in %q: %w", s, err)
		}
		name, rest = q, tail
	} else {
		end := strings.IndexFunc(rest, func(r rune) bool {
			return r == '=' || r == '!' || r == '~' || unicode.IsSpace(r)
		})
		if end < 0 {
			return nil, fmt.Errorf("%q has no operator (use =, !=, =~ or !~)", s)
		}
		name, rest = rest[:end], rest[end:]
		if bad := strings.IndexAny(name, `{}",'\`); bad >= 0 {
			r, _ := utf8.DecodeRuneInString(name[bad:])
			return nil, fmt.Errorf("label name %q contains %q (quote it)", name, r)
		}
	}
	if name == "" {
		return nil, fmt.Errorf("%q has no label name", s)
	}
	rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	var typ labels.MatchType
	switch {
	case strings.HasPrefix(rest, "=~"):
		typ, rest = labels.MatchRegexp, rest[2:]
	case strings.HasPrefix(rest, "!~"):
		typ, rest = labels.MatchNotRegexp, rest[2:]
	case strings.HasPrefix(rest, "!="):
		typ, rest = labels.MatchNotEqual, rest[2:]
	case strings.HasPrefix(rest, "=="):
		return nil, fmt.Errorf("%q: unknown operator \"==\" (use =, !=, =~ or !~)", s)
	case strings.HasPrefix(rest, "="):
		typ, rest = labels.MatchEqual, rest[1:]
	default:
		return nil, fmt.Errorf("%q has no operator after the label name (use =, !=, =~ or !~)", s)
	}
	rest = strings.TrimSpace(rest)
	var value string
	if strings.HasPrefix(rest, `"`) {
		q, tail, err := cutQuoted(rest)
		if err != nil {
			return nil, fmt.Errorf("value in %q: %w", s, err)
		}
		if strings.TrimSpace(tail) != "" {
			return nil, fmt.Errorf("%q: unexpected %q after the quoted value", s, strings.TrimSpace(tail))
		}
		value = q
	} else {
		if strings.ContainsRune(rest, '"') {
			return nil, fmt.Errorf("%q: a value must be quoted entirely or not at all", s)
		}
		value = rest
	}
	m, err := labels.NewMatcher(typ, name, value)
	if err != nil {
		return nil, fmt.Errorf("invalid regex %q: %w", value, err)
	}
	return m, nil
}

// cutQuoted unquotes the double-quoted string at the start of s and
// returns it with what follows it.
func cutQuoted(s string) (string, string, error) {
	escaped := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", "", fmt.Errorf("invalid escape in %s", s[:i+1])
			}
			return v, s[i+1:], nil
		}
	}
	return "", "", errors.New("unterminated quoted string")
}

// matchersString formats matchers the way ParseMatchers reads them back:
// `{a="b", c=~"d"}`.
func matchersString(ms []*labels.Matcher) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.String())
	}
	b.WriteByte('}')
	return b.String()
}

// matchAll reports whether every matcher matches ls.
func matchAll(ms []*labels.Matcher, ls labels.Labels) bool {
	for _, m := range ms {
		if !m.Matches(ls.Get(m.Name)) {
			return false
		}
	}
	return true
}

// matchesEverything reports whether m matches any value, including an
// absent label: `a=~".*"` does, `a!="x"` does not.
func matchesEverything(m *labels.Matcher) bool {
	if m.Type != labels.MatchRegexp {
		return false
	}
	v := m.GetRegexString()
	return v == ".*" || v == "(?s:.*)" || v == "(?s).*"
}

// contradiction returns a description of why no label set can match all
// of ms, or "" if it found none. It is sound but not complete: it only
// looks at label names that some equality or literal-alternation matcher
// pins to a finite set of values, and checks whether any of those values
// passes every matcher on that name.
func contradiction(ms []*labels.Matcher) string {
	byName := map[string][]*labels.Matcher{}
	var names []string
	for _, m := range ms {
		if _, ok := byName[m.Name]; !ok {
			names = append(names, m.Name)
		}
		byName[m.Name] = append(byName[m.Name], m)
	}
	for _, name := range names {
		group := byName[name]
		var candidates []string
		pinned := false
		for _, m := range group {
			var vals []string
			switch {
			case m.Type == labels.MatchEqual:
				vals = []string{m.Value}
			case m.Type == labels.MatchRegexp && m.SetMatches() != nil:
				vals = m.SetMatches()
			default:
				continue
			}
			if !pinned {
				candidates, pinned = append([]string(nil), vals...), true
			} else {
				candidates = intersect(candidates, vals)
			}
		}
		if !pinned {
			continue
		}
		ok := false
		for _, v := range candidates {
			all := true
			for _, m := range group {
				if !m.Matches(v) {
					all = false
					break
				}
			}
			if all {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Sprintf("no value of label %q satisfies %s", name, matchersString(group))
		}
	}
	return ""
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// matcherIndex narrows the matcher sets (routes' children, silences,
// inhibit rules' sources) a label set can match without testing each: a
// set with an equality matcher (or a regex that is a list of literals,
// "a|b|c") on some label is filed under that label's values, so a label
// set only tests the sets filed under its own values and those that
// could not be filed. With a thousand routes under one parent, this is
// the difference between a thousand matcher tests and a few.
type matcherIndex struct {
	always []int32              // sets with no indexable matcher
	names  []string             // indexed label names
	byName []map[string][]int32 // per name: value → sets, ascending
}

// minIndexed is the number of sets from which an index pays for its
// lookups.
const minIndexed = 8

func newMatcherIndex(sets [][]*labels.Matcher) *matcherIndex {
	ix := &matcherIndex{}
	nameAt := map[string]int{}
	for i, ms := range sets {
		name, values := indexKey(ms)
		if values == nil {
			ix.always = append(ix.always, int32(i))
			continue
		}
		k, ok := nameAt[name]
		if !ok {
			k = len(ix.names)
			nameAt[name] = k
			ix.names = append(ix.names, name)
			ix.byName = append(ix.byName, map[string][]int32{})
		}
		for _, v := range values {
			ix.byName[k][v] = append(ix.byName[k][v], int32(i))
		}
	}
	return ix
}

// indexKey picks the matcher a set is filed under: the first that pins
// its label to a set of non-empty values.
func indexKey(ms []*labels.Matcher) (string, []string) {
	for _, m := range ms {
		switch {
		case m.Type == labels.MatchEqual && m.Value != "":
			return m.Name, []string{m.Value}
		case m.Type == labels.MatchRegexp:
			if set := m.SetMatches(); len(set) > 0 && !slices.Contains(set, "") {
				return m.Name, set
			}
		}
	}
	return "", nil
}

// candidates appends to buf, in ascending order, the indexes of the sets
// ls may match.
func (ix *matcherIndex) candidates(ls labels.Labels, buf []int32) []int32 {
	buf = append(buf, ix.always...)
	sorted := true
	for k, name := range ix.names {
		v := ls.Get(name)
		if v == "" {
			continue
		}
		for _, i := range ix.byName[k][v] {
			if n := len(buf); n > 0 && buf[n-1] > i {
				sorted = false
			}
			buf = append(buf, i)
		}
	}
	if !sorted {
		slices.Sort(buf)
	}
	return buf
}
