package expr

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	exprlang "github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Kinds of difference a consistency check reports for a key (RowEnv.Kind).
const (
	KindMissingLeft  = "missing_left"  // the key is on the right only
	KindMissingRight = "missing_right" // the key is on the left only
	KindMismatched   = "mismatched"    // on both sides, with differing columns
)

// RowEnv is what a row rule sees: one difference found by a consistency
// check. Column values are string, float64, int64, bool, time.Time or nil
// (SQL NULL); the check normalises its databases' types to these.
//
// The struct tags are the names rules use.
type RowEnv struct {
	// Left and Right map column names to the row's values on each side.
	// The side a key is missing from is empty: every column reads nil.
	Left  map[string]any `expr:"left"`
	Right map[string]any `expr:"right"`
	// Key maps the key columns to the key's values.
	Key map[string]any `expr:"key"`
	// Kind is KindMissingLeft, KindMissingRight or KindMismatched.
	Kind string `expr:"kind"`
	// Columns lists the compared columns that differ (mismatched rows
	// only), e.g. `"status" in columns`.
	Columns []string `expr:"columns"`
	// Now is the time of the check's run, so that rules about age
	// (`now - left.updated_at > duration("1h")`) are reproducible.
	Now time.Time `expr:"now"`
}

// rowNames are RowEnv's and the row helpers' names, for hints.
var rowNames = []string{"left", "right", "key", "kind", "columns", "now", "num"}

// rowOptions are the compile options of row rules: RowEnv and the num helper.
func rowOptions() []exprlang.Option {
	return []exprlang.Option{
		exprlang.Env(RowEnv{}),
		exprlang.Function("num", num, new(func(any) float64)),
	}
}

// num converts a column value to a number: int64 and float64 as they are,
// strings (decimals that a database returned as text) parsed, bool as 0
// or 1. nil and unparsable strings are an error: comparing them as numbers
// would silently be wrong.
func num(params ...any) (any, error) {
	switch v := params[0].(type) {
	case float64:
		return v, nil
	case int64:
		return float64(v), nil
	case int:
		return float64(v), nil
	case bool:
		if v {
			return 1.0, nil
		}
		return 0.0, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) {
			return nil, fmt.Errorf("num(%q): not a number", v)
		}
		return f, nil
	case nil:
		return nil, fmt.Errorf("num(nil): the value is NULL or the column is missing")
	}
	return nil, fmt.Errorf("num(%T): not a number", params[0])
}

// RowOption restricts what a row rule may name, so that typos in column
// names fail at load.
type RowOption func(*rowConfig)

type rowConfig struct {
	columns []string // nil: any column name
	keys    []string // nil: any key column name
}

// Columns declares the column names the rows have on both sides (the
// compared columns and any others the check's queries select): a rule
// reading left.x or right.x for another x does not compile.
func Columns(names ...string) RowOption {
	return func(c *rowConfig) { c.columns = slices.Clone(names) }
}

// KeyColumns declares the key column names: a rule reading key.x for
// another x does not compile.
func KeyColumns(names ...string) RowOption {
	return func(c *rowConfig) { c.keys = slices.Clone(names) }
}

// Rule is a compiled row rule. It is safe for concurrent use.
type Rule struct{ p *program }

// CompileRow compiles a row rule: a boolean expression over RowEnv. Errors
// are *Error with the position in src.
func CompileRow(src string, opts ...RowOption) (*Rule, error) {
	var rc rowConfig
	for _, o := range opts {
		o(&rc)
	}
	p, err := compile(src, rowNames, rowOptions()...)
	if err != nil {
		return nil, err
	}
	if err := checkColumns(src, rc); err != nil {
		return nil, err
	}
	return &Rule{p: p}, nil
}

// Match evaluates the rule on one row.
func (r *Rule) Match(env RowEnv) (bool, error) { return r.p.run(env) }

// String returns the rule's source text.
func (r *Rule) String() string { return r.p.src }

// checkColumns reports the first left.x, right.x or key.x (or ["x"]) whose
// x is not a declared column.
func checkColumns(src string, rc rowConfig) error {
	if rc.columns == nil && rc.keys == nil {
		return nil
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return positioned(src, err, nil) // compile already parsed it: not reached
	}
	v := &columnChecker{cfg: rc}
	ast.Walk(&tree.Node, v)
	if v.bad == nil {
		return nil
	}
	line, col := position(src, v.bad.Location().From)
	return &Error{Line: line, Column: col, Msg: v.msg}
}

type columnChecker struct {
	cfg rowConfig
	bad ast.Node
	msg string
}

func (v *columnChecker) Visit(n *ast.Node) {
	m, ok := (*n).(*ast.MemberNode)
	if !ok || v.bad != nil {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return // computed: left[name] is checked at run time, reading nil
	}
	var allowed []string
	switch id.Value {
	case "left", "right":
		allowed = v.cfg.columns
	case "key":
		allowed = v.cfg.keys
	default:
		return
	}
	if allowed == nil || slices.Contains(allowed, prop.Value) {
		return
	}
	v.bad = m
	what := "column"
	if id.Value == "key" {
		what = "key column"
	}
	v.msg = fmt.Sprintf("unknown %s %q in %s.%s", what, prop.Value, id.Value, prop.Value)
	if s := suggest(prop.Value, allowed); s != "" {
		v.msg += fmt.Sprintf(" (did you mean %s?)", s)
	} else {
		v.msg += fmt.Sprintf(" (known: %s)", strings.Join(allowed, ", "))
	}
}
