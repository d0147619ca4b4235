package check

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/seismo-dev/seismo/source"
)

// destKind is how one column is scanned.
type destKind uint8

const (
	destAny    destKind = iota // *any: the driver's value as it is
	destString                 // sql.NullString: text without the copy *any makes of MySQL's bytes
	destInt                    // sql.NullInt64: an integer without boxing
	destFloat                  // sql.NullFloat64: a double without boxing
)

// dest is one column's scan destination.
type dest struct {
	kind   destKind
	strict bool // a key or compared column: a value that does not normalise fails the run
	any    any
	str    sql.NullString
	i64    sql.NullInt64
	f64    sql.NullFloat64
}

// rowScanner scans the rows of a side into destinations chosen per column,
// so that the common types cost no allocation beyond the text a value
// holds: MySQL's text protocol returns bytes, which database/sql would
// copy into an *any before normalisation copied them again, and integers
// and doubles that it would box.
type rowScanner struct {
	s    *side
	dest []dest
	ptrs []any
}

func newRowScanner(s *side) *rowScanner {
	sc := &rowScanner{s: s, dest: make([]dest, len(s.cols)), ptrs: make([]any, len(s.cols))}
	for j := range s.cols {
		d := &sc.dest[j]
		d.kind = destKindOf(s.d.typ, &s.cols[j])
		d.strict = slices.Contains(s.key, j) || slices.Contains(s.cmp, j)
		switch d.kind {
		case destString:
			sc.ptrs[j] = &d.str
		case destInt:
			sc.ptrs[j] = &d.i64
		case destFloat:
			sc.ptrs[j] = &d.f64
		default:
			sc.ptrs[j] = &d.any
		}
	}
	return sc
}

// destKindOf picks a column's destination. Only MySQL's columns gain from
// typed destinations: pgx and SQLite's driver hand over strings and boxed
// numbers already.
func destKindOf(typ string, c *column) destKind {
	if typ != source.TypeMySQL {
		return destAny
	}
	switch c.class {
	case classText:
		return destString
	case classNumber:
		switch c.dbType {
		case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT", "YEAR":
			return destInt
		case "DECIMAL", "NUMERIC":
			return destString
		case "DOUBLE", "REAL":
			return destFloat
		}
	}
	return destAny // FLOAT (float32, read at its own precision), unsigned, BIT, times
}

// values normalises the scanned row into all, in plan order (side.pos).
// A key or compared column
// whose value does not normalise fails the row; another keeps its text.
func (sc *rowScanner) values(all []Value, n int64) error {
	for j := range sc.dest {
		d := &sc.dest[j]
		col := &sc.s.cols[j]
		var (
			v   Value
			err error
		)
		switch d.kind {
		case destString:
			if d.str.Valid {
				v, err = normalizeText(d.str.String, col)
			}
		case destInt:
			if d.i64.Valid {
				v = Int(d.i64.Int64)
			}
		case destFloat:
			if d.f64.Valid {
				v = Float(d.f64.Float64)
			}
		default:
			v, err = normalize(d.any, col)
		}
		if err != nil {
			if d.strict {
				what := "column"
				if slices.Contains(sc.s.key, j) {
					what = "key column"
				}
				return fmt.Errorf("row %d: %s %q: %w", n, what, col.name, err)
			}
			v = Text(fmt.Sprint(sc.raw(j)))
		}
		all[sc.s.pos[j]] = v
	}
	return nil
}

// raw returns column j's scanned value, for a message.
func (sc *rowScanner) raw(j int) any {
	d := &sc.dest[j]
	switch d.kind {
	case destString:
		return d.str.String
	case destInt:
		return d.i64.Int64
	case destFloat:
		return d.f64.Float64
	}
	return d.any
}

// text returns column j's text as read when the driver gave a string,
// "" otherwise (without allocating).
func (sc *rowScanner) text(j int) string {
	d := &sc.dest[j]
	switch d.kind {
	case destString:
		return d.str.String
	case destAny:
		if s, ok := d.any.(string); ok {
			return s
		}
	}
	return ""
}

// trimmedDiffers reports whether text read from a database differs from
// its normalised form (trailing spaces), so that both must be bound to
// find it again.
func trimmedDiffers(s string) bool { return strings.HasSuffix(s, " ") }
