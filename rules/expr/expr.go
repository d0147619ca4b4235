// Package expr is Seismo's analyst rule language: small boolean
// expressions, written in YAML by operations analysts, that decide what to
// do with one row of a consistency check or one point of a monitor. For
// example
//
//	left.status == "FROZEN" && right.status == "NORMAL"
//	value < expected * 0.5 && hour(time) >= 9
//
// The language is github.com/expr-lang/expr's, restricted to what a rule
// needs: the environment of a row (RowEnv) or of a point (PointEnv), a
// curated list of pure built-in functions and a few helpers of our own.
// Rules are compiled and type-checked when the configuration loads, so a
// misspelt variable or a comparison of a number with a string is a
// configuration error with its line and column, not a surprise at 3 a.m.
//
// Safety: nothing in the language reads or writes the outside world (the
// library's now() and date() are left out too, so that a rule's result
// depends only on its input). Execution is bounded: expressions are at most
// MaxSourceBytes long and MaxNodes nodes big, there are no loops other than
// the built-ins over collections, and the virtual machine's memory budget
// stops an expression that builds large collections (a range like 1..1e9
// fails at once instead of allocating).
//
// The package is pure: no I/O, no goroutines, no global state besides
// read-only tables.
package expr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	exprlang "github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Limits on one expression. They are far beyond what a readable rule
// needs and keep compile and run time small whatever a YAML file says.
const (
	MaxSourceBytes = 4096 // length of an expression's source text
	MaxNodes       = 1000 // syntax tree nodes of one expression
	// MemoryBudget bounds what one evaluation may allocate, in the
	// virtual machine's units (about one per element of a collection or
	// range it builds). 1e5 is ample for a rule over a few dozen columns.
	MemoryBudget = 100_000
)

// Error is a problem in an expression, at a position in its source text.
// Line and Column are 1-based and count characters (not bytes); both are 0
// when the problem has no position (an empty expression, say).
type Error struct {
	Line   int
	Column int
	Msg    string
}

// Error formats the error as "line:column: message", as Prometheus reports
// positions in PromQL.
func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg)
}

// builtins are the library's built-in functions a rule may use: pure,
// deterministic and bounded by their input. Left out on purpose: now and
// date (the host's clock and time zone), repeat (output far larger than its
// input), toJSON/fromJSON/toBase64/fromBase64 (no use in a rule), and the
// rest of the collection transformers nobody needs in a boolean rule.
var builtins = []string{
	// predicates and aggregates over collections
	"all", "none", "any", "one", "filter", "map", "count", "sum", "find",
	"len", "max", "min", "mean", "median", "first", "last", "keys", "values",
	// numbers
	"abs", "ceil", "floor", "round", "int", "float",
	// strings
	"string", "trim", "trimPrefix", "trimSuffix", "upper", "lower", "split",
	"replace", "join", "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix",
	// times
	"duration",
	// types
	"type",
}

// baseOptions are the compile options every rule shares.
func baseOptions() []exprlang.Option {
	opts := []exprlang.Option{
		exprlang.AsBool(),
		exprlang.MaxNodes(MaxNodes),
		exprlang.DisableAllBuiltins(),
	}
	for _, b := range builtins {
		opts = append(opts, exprlang.EnableBuiltin(b))
	}
	return opts
}

// program is a compiled rule expression, safe for concurrent use (each run
// gets a virtual machine of its own).
type program struct {
	src  string
	prog *vm.Program
}

// compile checks src's size, then compiles it with opts after the shared
// ones. known lists the environment's names, for "did you mean" hints.
func compile(src string, known []string, opts ...exprlang.Option) (*program, error) {
	switch {
	case strings.TrimSpace(src) == "":
		return nil, &Error{Msg: "empty expression"}
	case len(src) > MaxSourceBytes:
		return nil, &Error{Msg: fmt.Sprintf("expression is %d bytes long; the limit is %d", len(src), MaxSourceBytes)}
	case !utf8.ValidString(src):
		return nil, &Error{Msg: "expression is not valid UTF-8"}
	}
	p, err := exprlang.Compile(src, append(baseOptions(), opts...)...)
	if err != nil {
		return nil, positioned(src, err, known)
	}
	return &program{src: src, prog: p}, nil
}

// run evaluates the program on env, which must be of the type it was
// compiled for, and returns its boolean result.
func (p *program) run(env any) (bool, error) {
	machine := vm.VM{MemoryBudget: MemoryBudget}
	out, err := machine.Run(p.prog, env)
	if err != nil {
		return false, positioned(p.src, err, nil)
	}
	b, ok := out.(bool)
	if !ok {
		// AsBool makes the compiler reject other types; a nil (from a
		// missing map key, say) is the only way here.
		return false, &Error{Msg: fmt.Sprintf("expression returned %T, want bool", out)}
	}
	return b, nil
}

// positioned turns the library's error into an *Error with a 1-based line
// and column, adding a "did you mean" hint for unknown names.
func positioned(src string, err error, known []string) error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		msg := err.Error()
		if got, ok := strings.CutPrefix(msg, "expected bool, but got "); ok {
			msg = "a rule must be a condition (true or false), but this expression is a " + got
		}
		return &Error{Msg: msg}
	}
	msg := fe.Message
	if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
		if s := suggest(name, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
	}
	if fe.Line == 0 {
		// Runtime errors carry a location but are not bound to lines.
		fe = fe.Bind(file.NewSource(src))
	}
	return &Error{Line: fe.Line, Column: fe.Column + 1, Msg: msg}
}

// position returns the 1-based line and column of the rune offset off in src.
func position(src string, off int) (line, col int) {
	line, col = 1, 1
	i := 0
	for _, r := range src {
		if i == off {
			break
		}
		i++
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// suggest returns the name in known closest to name when it is within two
// edits (and name is not too short for a guess to help), or "".
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(name, k); d < bestD && d < len(k) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes (the
// names it compares are ASCII identifiers).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
