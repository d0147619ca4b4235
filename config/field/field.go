// Package field holds the small value types that every domain package's
// configuration uses — durations with days and weeks, secrets, and
// errors that name the offending field — so that the config package can turn
// them into "file:line: path: message" reports.
//
// It imports no project package, so every domain package may import it.
package field

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Error is a configuration problem at one field. Path is a dotted path
// such as "monitors[2].query.step"; File, Line and Column are filled in by
// the config loader once the path is resolved against the YAML document.
type Error struct {
	File   string
	Line   int
	Column int
	Path   string
	Err    error
}

// Errorf returns an *Error for path with a formatted message.
func Errorf(path, format string, args ...any) *Error {
	return &Error{Path: path, Err: fmt.Errorf(format, args...)}
}

// Error formats the error as "file:line:col: path: message", leaving out
// the parts that are not known.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, "%d:", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// List collects field errors; the zero value is ready to use.
type List []*Error

// Add records err under path. A nil err is ignored. Field errors inside err
// (an *Error, a List, or errors joined with errors.Join) keep their own
// relative paths, prefixed with path.
func (l *List) Add(path string, err error) {
	if err == nil {
		return
	}
	var list List
	if errors.As(err, &list) {
		for _, e := range list {
			l.Add(path, e)
		}
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			l.Add(path, e)
		}
		return
	}
	var fe *Error
	if errors.As(err, &fe) {
		cp := *fe
		cp.Path = Join(path, fe.Path)
		*l = append(*l, &cp)
		return
	}
	*l = append(*l, &Error{Path: path, Err: err})
}

// Addf records a formatted error under path.
func (l *List) Addf(path, format string, args ...any) {
	*l = append(*l, Errorf(path, format, args...))
}

// Err returns the list as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Error joins the messages, one per line.
func (l List) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Join joins two path fragments: Join("a", "b") = "a.b", Join("a", "[1]") = "a[1]".
func Join(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	}
	return prefix + "." + path
}

// Duration is a time.Duration that reads Prometheus-style strings with days,
// weeks and years ("30s", "1h30m", "28d", "1w").
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats the duration the way it is written in config ("28d").
func (d Duration) String() string { return model.Duration(d).String() }

// ParseDuration parses a Prometheus-style duration string.
func ParseDuration(s string) (Duration, error) {
	md, err := model.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (use e.g. 30s, 5m, 1h30m, 28d, 1w)", s)
	}
	return Duration(md), nil
}

// UnmarshalYAML parses a duration scalar. Errors are reported as
// *yaml.TypeError so the decoder keeps going and reports every bad field
// with its line, not just the first.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return nodeError(n, "expected a duration such as 30s or 28d")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return nodeError(n, "%v", err)
	}
	*d = v
	return nil
}

// MarshalYAML writes the duration in its config form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes the duration in its config form (used by JSON).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func nodeError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, fmt.Sprintf(format, args...))}}
}

// Secret is a configuration value that must never be printed: a password, a
// token, a DSN with credentials. In YAML it is either a literal string or a
// mapping naming where to read it: {env: NAME} or {file: path}. Resolve
// reads it; String, MarshalYAML and MarshalJSON print a placeholder.
type Secret struct {
	Literal string `yaml:"-"`
	Env     string `yaml:"env"`
	File    string `yaml:"file"`
	value   string
}

// Redacted is what a Secret prints instead of its value.
const Redacted = "<secret>"

// UnmarshalYAML accepts a scalar (a literal value) or {env: NAME} / {file: path}.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*s = Secret{Literal: n.Value, value: n.Value}
		return nil
	case yaml.MappingNode:
		// Node.Decode cannot reject unknown keys, so check them here: a
		// misspelt "fiel:" must not pass silently. The known keys are still
		// used, so that one typo does not set off errors about a missing
		// secret.
		var unknown []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value != "env" && k.Value != "file" {
				unknown = append(unknown, fmt.Sprintf("line %d: field %s not found in type field.Secret", k.Line, k.Value))
			}
		}
		type plain struct {
			Env  string `yaml:"env"`
			File string `yaml:"file"`
		}
		var p plain
		if err := n.Decode(&p); err != nil {
			return err
		}
		if (p.Env == "") == (p.File == "") {
			return nodeError(n, "a secret needs exactly one of env or file")
		}
		*s = Secret{Env: p.Env, File: p.File}
		if len(unknown) > 0 {
			return &yaml.TypeError{Errors: unknown}
		}
		return nil
	}
	return nodeError(n, "expected a string or {env: NAME} or {file: path}")
}

// FromEnv returns a Secret read from the environment variable name.
func FromEnv(name string) Secret { return Secret{Env: name} }

// Resolve reads the secret's value from its environment variable or file.
// Relative file paths are taken from baseDir (the config file's folder).
// The error names the variable or file, never the value.
func (s *Secret) Resolve(baseDir string) error {
	switch {
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return fmt.Errorf("environment variable %s is not set", s.Env)
		}
		s.value = v
	case s.File != "":
		p := s.File
		if !filepath.IsAbs(p) && baseDir != "" {
			p = filepath.Join(baseDir, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read secret file: %w", err)
		}
		s.value = strings.TrimRight(string(b), "\r\n")
	default:
		s.value = s.Literal
	}
	return nil
}

// Value returns the resolved secret.
func (s Secret) Value() string { return s.value }

// IsZero reports whether no secret was configured.
func (s Secret) IsZero() bool { return s.Literal == "" && s.Env == "" && s.File == "" }

// String returns a placeholder, never the value.
func (s Secret) String() string { return Redacted }

// GoString returns a placeholder, never the value (for %#v).
func (s Secret) GoString() string { return Redacted }

// MarshalYAML returns a placeholder, never the value.
func (s Secret) MarshalYAML() (any, error) { return Redacted, nil }

// MarshalJSON returns a placeholder, never the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
