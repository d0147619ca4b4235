package source

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// sqlSpan is a byte range of an SQL text: code, or a literal or comment
// whose content must not be interpreted (no placeholders, no statement
// separators).
type sqlSpan struct {
	start, end int
	code       bool
}

// splitSQL cuts q into code and non-code spans. It knows '...' strings,
// "..." and `...` quoted names, -- and /* */ comments, PostgreSQL's
// $tag$...$tag$ strings and, when mysql is set, MySQL's backslash escapes
// and # comments. It is a guard against mistakes, not a full SQL lexer.
func splitSQL(q string, mysql bool) ([]sqlSpan, error) {
	var spans []sqlSpan
	codeStart := 0
	flush := func(end int) {
		if end > codeStart {
			spans = append(spans, sqlSpan{codeStart, end, true})
		}
	}
	i := 0
	for i < len(q) {
		c := q[i]
		var end int // end of the non-code span starting at i, or 0 if none starts
		switch {
		case c == '\'' || c == '"' || c == '`':
			end = quotedEnd(q, i, c, mysql && c != '`')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted text starting at offset %d", i)
			}
		case c == '-' && strings.HasPrefix(q[i:], "--"), mysql && c == '#':
			end = strings.IndexByte(q[i:], '\n')
			if end < 0 {
				end = len(q)
			} else {
				end += i + 1
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("unterminated comment starting at offset %d", i)
			}
			end = i + 2 + j + 2
		case c == '$' && !mysql:
			tag, ok := dollarTag(q[i:])
			if !ok {
				i++
				continue
			}
			j := strings.Index(q[i+len(tag):], tag)
			if j < 0 {
				return nil, fmt.Errorf("unterminated %s string starting at offset %d", tag, i)
			}
			end = i + len(tag) + j + len(tag)
		default:
			i++
			continue
		}
		flush(i)
		spans = append(spans, sqlSpan{i, end, false})
		i, codeStart = end, end
	}
	flush(len(q))
	return spans, nil
}

// quotedEnd returns the index after the closing quote of the quoted text
// starting at q[start], or -1. A doubled quote is an escaped quote.
func quotedEnd(q string, start int, quote byte, backslash bool) int {
	for i := start + 1; i < len(q); i++ {
		switch q[i] {
		case '\\':
			if backslash {
				i++
			}
		case quote:
			if i+1 < len(q) && q[i+1] == quote {
				i++
				continue
			}
			return i + 1
		}
	}
	return -1
}

// dollarTag returns the $tag$ opening a PostgreSQL dollar-quoted string at
// the start of s. $1 (a positional parameter) is not a tag.
func dollarTag(s string) (string, bool) {
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == '$' {
			return s[:i+1], true
		}
		if !(c == '_' || isLetter(c) || (i > 1 && isDigit(c))) {
			return "", false
		}
	}
	return "", false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdent(c byte) bool  { return c == '_' || isLetter(c) || isDigit(c) }

// validateSQL accepts a single SELECT or WITH statement, optionally ending
// in a semicolon. It keeps monitors from running DML by mistake; use a
// read-only database user for real protection.
func validateSQL(q string, mysql bool) error {
	if strings.TrimSpace(q) == "" {
		return errors.New("empty query")
	}
	spans, err := splitSQL(q, mysql)
	if err != nil {
		return err
	}
	var code strings.Builder
	for _, s := range spans {
		if s.code {
			code.WriteString(q[s.start:s.end])
		} else {
			code.WriteByte(' ') // a comment separates tokens
		}
	}
	text := strings.TrimSpace(code.String())
	if i := strings.IndexByte(text, ';'); i >= 0 {
		if strings.TrimSpace(strings.Trim(text[i:], "; \t\r\n")) != "" {
			return errors.New("only one statement is allowed")
		}
		text = strings.TrimSpace(text[:i])
	}
	first := strings.TrimLeft(text, "( \t\r\n")
	n := 0
	for n < len(first) && isIdent(first[n]) {
		n++
	}
	switch kw := strings.ToUpper(first[:n]); kw {
	case "SELECT", "WITH":
		return nil
	case "":
		return errors.New("no statement (only comments)")
	default:
		return fmt.Errorf("only SELECT or WITH queries are allowed, not %s", kw)
	}
}

// Placeholders a SQL query may use, bound at every query.
const (
	phStart       = "start"        // range start as a timestamp
	phEnd         = "end"          // range end as a timestamp
	phStartUnix   = "start_unix"   // range start in unix seconds
	phEndUnix     = "end_unix"     // range end in unix seconds
	phStepSeconds = "step_seconds" // step in seconds
)

var placeholders = []string{phStart, phEnd, phStartUnix, phEndUnix, phStepSeconds}

// bindStyle is how a driver writes bind parameters.
type bindStyle int

const (
	bindQuestion bindStyle = iota // ? (mysql, sqlite): one argument per occurrence
	bindDollar                    // $1 (postgres): one argument per name
)

// rewritePlaceholders replaces the :name placeholders in the code spans of
// q with the driver's bind syntax and returns the placeholder names in
// argument order. Unknown :names (MySQL's :=, slices like a[1:n]) and
// PostgreSQL casts (::date) are left alone.
func rewritePlaceholders(q string, style bindStyle, mysql bool) (string, []string, error) {
	spans, err := splitSQL(q, mysql)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	var names []string
	for _, s := range spans {
		if !s.code {
			b.WriteString(q[s.start:s.end])
			continue
		}
		code := q[s.start:s.end]
		for i := 0; i < len(code); i++ {
			c := code[i]
			if c != ':' || (i > 0 && (code[i-1] == ':' || isIdent(code[i-1]))) {
				b.WriteByte(c)
				continue
			}
			j := i + 1
			for j < len(code) && isIdent(code[j]) {
				j++
			}
			name := code[i+1 : j]
			if !isPlaceholder(name) {
				b.WriteByte(c)
				continue
			}
			switch style {
			case bindDollar:
				n := slices.Index(names, name)
				if n < 0 {
					names = append(names, name)
					n = len(names) - 1
				}
				b.WriteString("$" + strconv.Itoa(n+1))
			default:
				names = append(names, name)
				b.WriteByte('?')
			}
			i = j - 1
		}
	}
	return b.String(), names, nil
}

func isPlaceholder(name string) bool { return slices.Contains(placeholders, name) }
