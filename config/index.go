package config

import (
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/config/field"
)

// position is where a field starts in the YAML text.
type position struct {
	Line, Column int
}

// entry is one field of the document: the key that names it (nil for
// sequence items and the root) and its value.
type entry struct {
	path  string
	depth int
	key   *yaml.Node
	value *yaml.Node
}

// pos is where an error about the field points: its key, so that
// "monitors[0].schedule" points at "schedule:", or the item itself for
// sequence items.
func (e *entry) pos() position {
	if e.key != nil {
		return position{e.key.Line, e.key.Column}
	}
	return position{e.value.Line, e.value.Column}
}

// index maps dotted field paths to their place in the YAML document. yaml.v3
// reports decode errors with a line only, and domain validators report paths
// only; the index connects the two.
type index struct {
	byPath  map[string]*entry
	entries []*entry // document order
}

func newIndex(root *yaml.Node) *index {
	ix := &index{byPath: map[string]*entry{}}
	if root != nil {
		ix.walk("", 0, nil, root)
	}
	return ix
}

func (ix *index) walk(path string, depth int, key, n *yaml.Node) {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			ix.walk(path, depth, key, c)
		}
		return
	}
	e := &entry{path: path, depth: depth, key: key, value: n}
	ix.entries = append(ix.entries, e)
	if _, dup := ix.byPath[path]; !dup {
		ix.byPath[path] = e // a duplicated key keeps its first place, like the error yaml.v3 reports
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			ix.walk(field.Join(path, k.Value), depth+1, k, v)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			ix.walk(path+"["+strconv.Itoa(i)+"]", depth+1, nil, c)
		}
	}
	// Aliases are not followed: their target is indexed where it is
	// defined, and following them could loop.
}

// lookup returns the entry for path or, when the field is absent from the
// document (a missing required key, a default), its nearest ancestor.
func (ix *index) lookup(path string) *entry {
	for {
		if e, ok := ix.byPath[path]; ok {
			return e
		}
		if path == "" {
			return nil
		}
		path = parent(path)
	}
}

// parent strips the last element of a dotted path: "a.b[2]" → "a.b",
// "a.b" → "a", "a" → "".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// within reports whether path is prefix or below it.
func within(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	rest := path[len(prefix):]
	return rest == "" || prefix == "" || rest[0] == '.' || rest[0] == '['
}

var (
	lineRE       = regexp.MustCompile(`^line (\d+): (.*)$`)
	notFoundRE   = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	alreadySetRE = regexp.MustCompile(`^field (.+) already set in type \S+$`)
	duplicateRE  = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	unmarshalRE  = regexp.MustCompile("^cannot unmarshal (\\S+)(?: `(.*)`)? into (.+)$")
)

// decodeError is one yaml.v3 type error turned into a field error, with the
// subtree whose later errors it makes redundant.
type decodeError struct {
	err      *field.Error
	suppress string // errors at or below this path repeat this one
}

// typeError turns one message of a *yaml.TypeError ("line 12: field foo
// not found in type config.Query") into a field error naming the field.
func (ix *index) typeError(msg string) decodeError {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return decodeError{err: &field.Error{Err: plainError(msg)}}
	}
	line, _ := strconv.Atoi(m[1])
	msg = m[2]
	fe := &field.Error{Line: line}
	var e *entry
	suppressParent := false
	if sm := notFoundRE.FindStringSubmatch(msg); sm != nil {
		e = ix.keyAt(line, sm[1])
		fe.Err = plainError("unknown field " + strconv.Quote(sm[1]))
	} else if sm := alreadySetRE.FindStringSubmatch(msg); sm != nil {
		e = ix.keyAt(line, sm[1])
		fe.Err = plainError("field " + strconv.Quote(sm[1]) + " is set twice")
	} else if sm := duplicateRE.FindStringSubmatch(msg); sm != nil {
		e = ix.keyAt(line, sm[1])
		fe.Err = plainError("key " + strconv.Quote(sm[1]) + " already defined at line " + sm[2])
		// yaml.v3 skips the whole mapping, so its other fields look missing.
		suppressParent = true
	} else if sm := unmarshalRE.FindStringSubmatch(msg); sm != nil {
		e = ix.valueAt(line, sm[2], true)
		got := yamlKind(sm[1])
		if sm[2] != "" {
			got += " " + strconv.Quote(sm[2])
		}
		fe.Err = plainError("expected " + goTypeName(sm[3]) + ", got " + got)
	} else {
		// An UnmarshalYAML of field.Duration, field.Secret or a domain
		// type: its message usually quotes the value.
		e = ix.valueAt(line, msg, false)
		fe.Err = plainError(msg)
	}
	if e == nil {
		return decodeError{err: fe}
	}
	fe.Path = e.path
	p := e.pos()
	fe.Line, fe.Column = p.Line, p.Column
	sup := e.path
	if suppressParent {
		sup = parent(e.path)
	}
	return decodeError{err: fe, suppress: sup}
}

// keyAt finds the mapping key name on line.
func (ix *index) keyAt(line int, name string) *entry {
	for _, e := range ix.entries {
		if e.key != nil && e.key.Line == line && e.key.Value == name {
			return e
		}
	}
	return nil
}

// valueAt finds the field whose value starts on line. Several fields can
// share a line in flow style ("{step: 5x, history: 1y}"); the one whose
// value the message quotes wins (truncated is yaml.v3's "abcdefg..." form),
// then the shallowest.
func (ix *index) valueAt(line int, quoted string, truncated bool) *entry {
	var best *entry
	for _, e := range ix.entries {
		if e.value.Line != line {
			continue
		}
		if e.value.Kind == yaml.ScalarNode && e.value.Value != "" && quotes(quoted, e.value.Value, truncated) {
			return e
		}
		if best == nil || e.depth < best.depth {
			best = e
		}
	}
	return best
}

func quotes(msg, value string, truncated bool) bool {
	if truncated {
		if p, ok := strings.CutSuffix(msg, "..."); ok {
			return strings.HasPrefix(value, p)
		}
		return msg == value
	}
	return strings.Contains(msg, strconv.Quote(value)) || strings.Contains(msg, "`"+value+"`")
}

// goTypeName turns the Go type yaml.v3 names into what the user wrote.
func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case strings.HasPrefix(t, "*"):
		return goTypeName(t[1:])
	case strings.Contains(t, "."):
		return "a mapping"
	}
	switch t {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	return t
}

// yamlKind names a YAML tag the way a user thinks of it.
func yamlKind(tag string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	case "!!timestamp":
		return "a timestamp"
	}
	return tag
}

// plainError is an error with a fixed message.
type plainError string

func (e plainError) Error() string { return string(e) }
