// Package logformat splits log lines into their fields: a Loghub-style
// <Name> format or a regular expression with named groups, and JSON or
// logfmt lines. It extracts the message a template miner mines, and the
// time and level of the record. It does no I/O.
package logformat

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// A Format splits a log line into its header fields and its message,
// the free text a template miner sees.
//
// It is built either from a Loghub-style format (Parse), where
// each <Name> captures one field and everything else is literal regular
// expression text, or from a regular expression with named groups
// (NewRegexp). Either way the format must capture a field named
// Content: the message. Fields named Time and Level, if present, are also
// returned on their own because log streams use them (the time stamp of a
// record and its severity). These three names are matched without regard
// to case, so <content>, <time> and <level> work too.
//
// Lines are matched after trimming leading and trailing white space, which
// also drops the CR of CRLF files, exactly as the Loghub benchmark does.
// A Format is immutable and safe for concurrent use.
type Format struct {
	format  string // the <Name> format, or the expression for NewRegexp
	re      *regexp.Regexp
	fields  []string // named groups in order of appearance
	groups  []int    // groups[i] is the submatch index of fields[i]
	content int      // submatch index of Content
	time    int      // submatch index of Time, or -1
	level   int      // submatch index of Level, or -1
}

// Record is one line split by a Format.
type Record struct {
	Content string   // the message: the text a template miner mines
	Time    string   // the field named Time, "" if the format has none
	Level   string   // the field named Level, "" if the format has none
	Fields  []string // every named field, in the order of Format.Fields
}

// logFormatField is a <Name> placeholder of a Loghub-style format. The
// benchmark splits on <[^<>]+>; names are then checked separately so that
// a bad name is reported as such instead of as a regexp syntax error.
var (
	logFormatField = regexp.MustCompile(`<[^<>]+>`)
	logFieldName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	spaceRun       = regexp.MustCompile(` +`)
)

// Parse compiles a Loghub-style log format such as
//
//	<Date> <Time> <Level> \[<Process>\] <Component>: <Content>
//
// into its header regular expression the way the Loghub benchmark does:
// each <Name> becomes the lazy named group (?P<Name>.*?), each run of
// spaces in the literal text becomes \s+, and the whole is anchored with
// ^ and $. The literal text is regular-expression syntax already (write
// \[ for a bracket, ( ... )? for an optional part). The format must have a
// <Content> field and no field twice.
func Parse(format string) (*Format, error) {
	if strings.TrimSpace(format) == "" {
		return nil, fmt.Errorf("log format: empty")
	}
	var b strings.Builder
	b.WriteByte('^')
	last := 0
	for _, loc := range logFormatField.FindAllStringIndex(format, -1) {
		b.WriteString(spaceRun.ReplaceAllLiteralString(format[last:loc[0]], `\s+`))
		name := format[loc[0]+1 : loc[1]-1]
		if !logFieldName.MatchString(name) {
			return nil, fmt.Errorf("log format %q: field <%s>: a name has letters, digits and _ and does not start with a digit", format, name)
		}
		b.WriteString("(?P<" + name + ">.*?)")
		last = loc[1]
	}
	b.WriteString(spaceRun.ReplaceAllLiteralString(format[last:], `\s+`))
	b.WriteByte('$')
	f, err := newFormat(b.String())
	if err != nil {
		return nil, fmt.Errorf("log format %q: %w", format, err)
	}
	f.format = format
	return f, nil
}

// NewRegexp builds a Format from a regular expression (Go
// RE2 syntax) whose named groups are the fields, for lines a <Name>
// format cannot describe. It must have a group named Content. The
// expression is used as written: add ^ and $ to anchor it.
func NewRegexp(expr string) (*Format, error) {
	f, err := newFormat(expr)
	if err != nil {
		return nil, fmt.Errorf("log format regexp %q: %w", expr, err)
	}
	f.format = expr
	return f, nil
}

func newFormat(expr string) (*Format, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	f := &Format{re: re, content: -1, time: -1, level: -1}
	seen := map[string]bool{}
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		if seen[name] {
			return nil, fmt.Errorf("field %q appears twice", name)
		}
		seen[name] = true
		f.fields = append(f.fields, name)
		f.groups = append(f.groups, i)
		for _, special := range []struct {
			name string
			idx  *int
		}{{"Content", &f.content}, {"Time", &f.time}, {"Level", &f.level}} {
			if !strings.EqualFold(name, special.name) {
				continue
			}
			if *special.idx >= 0 {
				return nil, fmt.Errorf("field %s appears twice (names differing only in case)", special.name)
			}
			*special.idx = i
		}
	}
	if f.content < 0 {
		return nil, fmt.Errorf("no Content field: the format must capture the message")
	}
	return f, nil
}

// String returns the format the Format was built from.
func (f *Format) String() string { return f.format }

// Regexp returns the header regular expression, e.g.
// ^(?P<Time>.*?)\s+(?P<Content>.*?)$ for "<Time> <Content>".
func (f *Format) Regexp() string { return f.re.String() }

// Fields returns the names of the captured fields in order of appearance.
// The caller must not modify the slice.
func (f *Format) Fields() []string { return f.fields }

// Parse splits line (trimmed of leading and trailing white space first).
// It reports false if the line does not match the format; the caller
// decides what a non-matching line means (a continuation of a multi-line
// record, or a line to count as malformed). A field in an optional part
// that did not participate in the match is "".
//
// A record of several lines (a stack trace joined to the line that
// logged it) is matched on its first line; when the message ends that
// line, the following lines belong to the message, verbatim.
func (f *Format) Parse(line string) (Record, bool) {
	line, m := f.match(line)
	if m == nil {
		return Record{}, false
	}
	group := func(i int) string {
		if i < 0 || m[2*i] < 0 {
			return ""
		}
		return line[m[2*i]:m[2*i+1]]
	}
	r := Record{
		Content: group(f.content),
		Time:    group(f.time),
		Level:   group(f.level),
		Fields:  make([]string, len(f.groups)),
	}
	for i, g := range f.groups {
		r.Fields[i] = group(g)
	}
	return r, true
}

// Content returns only the message of line, as Parse does, without
// allocating the other fields; ok is false if the line does not match.
func (f *Format) Content(line string) (content string, ok bool) {
	line, m := f.match(line)
	if m == nil {
		return "", false
	}
	if m[2*f.content] < 0 {
		return "", true
	}
	return line[m[2*f.content]:m[2*f.content+1]], true
}

// match trims line, matches its first line and returns the trimmed line
// and the submatch indexes into it (nil if no match), with Content
// stretched to the end of a multi-line record when it ends the first line.
func (f *Format) match(line string) (string, []int) {
	line = strings.TrimSpace(line)
	first := line
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		first = strings.TrimRightFunc(line[:i], unicode.IsSpace)
	}
	m := f.re.FindStringSubmatchIndex(first)
	if m == nil {
		return "", nil
	}
	if c := 2 * f.content; len(first) < len(line) && m[c] >= 0 && m[c+1] == len(first) {
		m[c+1] = len(line)
	}
	return line, m
}
