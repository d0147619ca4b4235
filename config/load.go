package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/config/field"
)

// Load reads the configuration file at path. See Parse.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes, completes and validates a configuration. file names the
// configuration in error messages, and its folder is where relative paths
// (holidays files, secret files, SQLite databases, CSV files) are taken
// from; "" means an embedded configuration, whose relative paths are taken
// from the working directory.
//
// The returned Config has every default filled in, its secrets resolved and
// its calendars' holidays files merged into Holidays. On failure the error
// is a field.List holding every problem found, not just the first, each
// with its file, line and field path, sorted by line.
func Parse(data []byte, file string) (*Config, error) {
	l := &loader{file: file}
	if file != "" {
		l.dir = filepath.Dir(file)
	}
	root := l.parseNode(data)
	if root == nil {
		return nil, l.finish()
	}
	l.ix = newIndex(root)

	cfg := &Config{File: file}
	l.decode(data, cfg)
	l.applyDefaults(cfg)
	l.resolveSecrets(cfg)
	l.resolvePaths(cfg)
	l.loadHolidays(cfg)
	l.validate(cfg)
	if err := l.finish(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// loader carries one Parse call's state.
type loader struct {
	file string
	dir  string // base for relative paths; "" = working directory
	ix   *index

	decodeErrs field.List // from yaml.v3, already positioned
	suppress   []string   // subtrees whose decoding failed
	errs       field.List // from defaults, secrets and validation: paths only
}

var syntaxLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). yaml.v3 reports their lines 0-based, and the scanner's 1-based;
// both leave the line out when it is the first.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
}

// scannerProblems are the scanner's messages that can come without a line
// because they are on the first one. Other errors without a line (invalid
// UTF-8, unknown anchors) really have no known position.
var scannerProblems = []string{
	"mapping values are not allowed in this context",
	"mapping keys are not allowed in this context",
	"block sequence entries are not allowed in this context",
	"found character that cannot start any token",
	"found a tab character",
	"found unexpected end of stream",
	"found unexpected document indicator",
	"found unknown escape character",
	"found invalid Unicode character escape code",
	"did not find expected",
	"could not find expected",
	"found an indentation indicator equal to 0",
	"found unexpected non-alphabetical character",
	"found unknown directive name",
	"found extremely long version number",
}

// syntaxError turns a yaml.v3 parse error into a field error with the
// 1-based line it is about.
func (l *loader) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := syntaxLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	hasPrefix := func(p string) bool { return strings.HasPrefix(msg, p) }
	switch {
	case slices.ContainsFunc(parserProblems, hasPrefix):
		line++
	case line == 0 && slices.ContainsFunc(scannerProblems, hasPrefix):
		line = 1
	}
	l.decodeErrs = append(l.decodeErrs, &field.Error{Line: line, Err: errors.New("invalid YAML: " + msg)})
}

// parseNode parses the text into a node tree, checking that it is one YAML
// document holding a mapping. It returns nil after recording an error.
func (l *loader) parseNode(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.decodeErrs = append(l.decodeErrs, &field.Error{Err: errors.New("the configuration is empty")})
		} else {
			l.syntaxError(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		l.decodeErrs = append(l.decodeErrs, &field.Error{
			Line: next.Line, Column: next.Column,
			Err: errors.New("found a second YAML document: a configuration is a single document"),
		})
		return nil
	case !errors.Is(err, io.EOF):
		l.syntaxError(err)
		return nil
	}
	if len(doc.Content) != 1 {
		l.decodeErrs = append(l.decodeErrs, &field.Error{Err: errors.New("the configuration is empty")})
		return nil
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null" {
		l.decodeErrs = append(l.decodeErrs, &field.Error{Line: top.Line, Column: top.Column, Err: errors.New("the configuration is empty")})
		return nil
	}
	if top.Kind != yaml.MappingNode {
		what := "a scalar"
		switch top.Kind {
		case yaml.SequenceNode:
			what = "a list"
		case yaml.AliasNode:
			what = "an alias"
		}
		l.decodeErrs = append(l.decodeErrs, &field.Error{
			Line: top.Line, Column: top.Column,
			Err: fmt.Errorf("the configuration must be a mapping (global:, sources:, monitors:, ...), got %s", what),
		})
		return nil
	}
	return &doc
}

// decode fills cfg from the text, rejecting unknown keys. yaml.v3 keeps
// going after a type error, so every bad field is reported.
func (l *loader) decode(data []byte, cfg *Config) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if err == nil {
		return
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		l.syntaxError(err)
		l.suppress = append(l.suppress, "") // nothing is known to be decoded
		return
	}
	for _, msg := range te.Errors {
		de := l.ix.typeError(msg)
		l.decodeErrs = append(l.decodeErrs, de.err)
		if de.err.Path != "" {
			l.suppress = append(l.suppress, de.suppress)
		}
	}
}

// finish positions every error, drops those that only repeat a decode
// error, and returns the sorted list, or nil.
func (l *loader) finish() error {
	all := slices.Clone(l.decodeErrs)
	for _, e := range l.errs {
		if slices.ContainsFunc(l.suppress, func(p string) bool { return within(e.Path, p) }) {
			continue
		}
		if e.Line == 0 && l.ix != nil {
			if ent := l.ix.lookup(e.Path); ent != nil {
				p := ent.pos()
				e.Line, e.Column = p.Line, p.Column
			}
		}
		all = append(all, e)
	}
	for _, e := range all {
		e.File = l.file
	}
	slices.SortStableFunc(all, func(a, b *field.Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return all.Err()
}

// present reports whether path is written in the document with a value
// that decoded, as opposed to being absent or null ("step:"), which get
// defaults. A value that failed to decode is reported once and then
// treated as absent, so that its zero value raises no further errors.
func (l *loader) present(path string) bool {
	e, ok := l.ix.byPath[path]
	if !ok || e.value.ShortTag() == "!!null" {
		return false
	}
	return !slices.ContainsFunc(l.suppress, func(p string) bool { return within(path, p) })
}
