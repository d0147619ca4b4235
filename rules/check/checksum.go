package check

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seismo-dev/seismo/source"
)

// Checksum mode, for tables too large to send over the network every run:
//
//  1. Boundaries: the left database numbers its keys in key order
//     (ROW_NUMBER) and returns every chunk_rows-th key; only those keys
//     travel.
//  2. Checksums: each database assigns every row to its key range with a
//     binary search written as nested CASE expressions on the boundaries,
//     and returns per range the row count and the sum of a 60-bit hash of
//     the row's canonical text (MD5 of the key and compared columns,
//     normalised in SQL as Seismo normalises values in Go). One scan per
//     side, both sides at once.
//  3. Drill-down: the ranges whose counts or sums differ (adjacent ones
//     joined) are compared with the merge, restricted to the range.
//
// The checksum is only a filter: a range whose checksums agree is taken to
// agree (a 60-bit sum collision is the only way to miss a difference),
// and a range whose checksums differ is merged row by row, so where the
// SQL text of a value differs between the engines for equal values (float
// formatting, a tolerance, bytes against text) the cost is a merge of that
// range, never a false difference.

// rangeable reports whether both sides' key columns bind exactly as range
// bounds: integers and text.
func (p *plan) rangeable() bool {
	for _, s := range []*side{p.l, p.r} {
		for _, k := range s.key {
			c := &s.cols[k]
			if c.class == classText {
				continue
			}
			if c.class == classNumber && isIntegerType(c.dbType) {
				continue
			}
			return false
		}
	}
	return true
}

func isIntegerType(t string) bool {
	t = strings.TrimPrefix(t, "UNSIGNED ")
	switch t {
	case "INT2", "INT4", "INT8", "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT", "YEAR":
		return true
	}
	return false
}

// chunkSum is one key range's count and hash sum on one side.
type chunkSum struct {
	count int64
	sum   string // canonical decimal
}

// checksum runs checksum mode, adding the differences of the ranges that
// differ to col.
func (p *plan) checksum(ctx context.Context, chunkRows int, col *collector, res *Result) error {
	bounds, err := p.l.boundaries(ctx, chunkRows)
	if err != nil {
		return err
	}
	var (
		wg           sync.WaitGroup
		lsums, rsums map[int]chunkSum
		lerr, rerr   error
	)
	wg.Go(func() { lsums, lerr = p.l.chunkSums(ctx, bounds, p, true) })
	wg.Go(func() { rsums, rerr = p.r.chunkSums(ctx, bounds, p, false) })
	wg.Wait()
	if lerr != nil {
		return lerr
	}
	if rerr != nil {
		return rerr
	}
	res.Chunks = len(bounds) + 1
	for _, s := range lsums {
		res.Left += s.count
	}
	for _, s := range rsums {
		res.Right += s.count
	}
	// Ranges to merge: runs of adjacent differing chunks, and the chunk
	// of keys with a NULL (-1), which no range bound selects.
	var differing []int
	for i := -1; i < len(bounds)+1; i++ {
		if lsums[i] != rsums[i] {
			differing = append(differing, i)
		}
	}
	res.ChunksDiffering = len(differing)
	for i := 0; i < len(differing); {
		j := i
		for j+1 < len(differing) && differing[j+1] == differing[j]+1 && differing[i] >= 0 {
			j++
		}
		lo, hi := differing[i], differing[j]
		var lspec, rspec streamSpec
		if lo < 0 {
			lspec.where, rspec.where = p.l.nullKeyFilter(), p.r.nullKeyFilter()
		} else {
			lspec.where, lspec.args = p.l.rangeFilter(bounds, lo, hi)
			rspec.where, rspec.args = p.r.rangeFilter(bounds, lo, hi)
		}
		if _, _, err := p.merge(ctx, lspec, rspec, col); err != nil {
			return err
		}
		i = j + 1
	}
	return nil
}

// boundaries returns the lower bounds of the second to last key ranges:
// every chunkRows-th key in key order, numbered by the database.
func (s *side) boundaries(ctx context.Context, chunkRows int) ([][]any, error) {
	keys := make([]string, len(s.key))
	for i, k := range s.key {
		keys[i] = "q." + s.d.quote(s.cols[k].name)
	}
	var order strings.Builder
	for i, c := range s.keyCols() {
		if i > 0 {
			order.WriteString(", ")
		}
		order.WriteString(s.d.sortExpr(c))
	}
	inner := wrap(s.sql, strings.Join(keys, ", ")+", ROW_NUMBER() OVER (ORDER BY "+order.String()+") AS seismo_rn", "NOT "+s.nullKeyFilter(), "")
	names := make([]string, len(s.key))
	for i, k := range s.key {
		names[i] = "b." + s.d.quote(s.cols[k].name)
	}
	text := "SELECT " + strings.Join(names, ", ") + " FROM (\n" + inner + "\n) b WHERE MOD(b.seismo_rn - 1, " + strconv.Itoa(chunkRows) + ") = 0 AND b.seismo_rn > 1 ORDER BY b.seismo_rn"
	rows, done, err := s.query(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("%s: key ranges: %w", s.describe(), err)
	}
	defer done()
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(s.key))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("%s: key ranges: %w", s.describe(), err)
		}
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				return nil, fmt.Errorf("%s: key ranges: a key column is NULL in the middle of the keys", s.describe())
			case []byte:
				vals[i] = string(x)
			}
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: key ranges: %w", s.describe(), err)
	}
	return out, nil
}

// keyTuple is the side's key as one comparable SQL expression: the key's
// sort expression, or a row of them for a composite key.
func (s *side) keyTuple() string {
	cols := s.keyCols()
	if len(cols) == 1 {
		return s.d.sortExpr(cols[0])
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = s.d.sortExpr(c)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// boundTuple appends the parameters of bound b and returns their SQL.
func (s *side) boundTuple(b []any, args *[]any) string {
	parts := make([]string, len(b))
	for i, v := range b {
		*args = append(*args, v)
		parts[i] = s.d.param(len(*args))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// nullKeyFilter selects the rows with a NULL in a key column.
func (s *side) nullKeyFilter() string {
	parts := make([]string, len(s.key))
	for i, k := range s.key {
		parts[i] = "q." + s.d.quote(s.cols[k].name) + " IS NULL"
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// rangeFilter selects the keys of chunks lo..hi (chunk i holds the keys
// from bounds[i-1], inclusive, to bounds[i], exclusive).
func (s *side) rangeFilter(bounds [][]any, lo, hi int) (string, []any) {
	var args []any
	conds := []string{"NOT " + s.nullKeyFilter()}
	if lo > 0 {
		conds = append(conds, s.keyTuple()+" >= "+s.boundTuple(bounds[lo-1], &args))
	}
	if hi < len(bounds) {
		conds = append(conds, s.keyTuple()+" < "+s.boundTuple(bounds[hi], &args))
	}
	return strings.Join(conds, " AND "), args
}

// chunkExpr assigns a row to its chunk by binary search over bounds[lo:hi]
// (chunks lo..hi), as nested CASE expressions.
func (s *side) chunkExpr(bounds [][]any, lo, hi int, args *[]any) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	mid := (lo + hi + 1) / 2 // chunk mid starts at bounds[mid-1]
	cond := s.keyTuple() + " < " + s.boundTuple(bounds[mid-1], args)
	return "CASE WHEN " + cond + " THEN " + s.chunkExpr(bounds, lo, mid-1, args) + " ELSE " + s.chunkExpr(bounds, mid, hi, args) + " END"
}

// chunkSums asks the side's database for every chunk's count and hash
// sum. Chunk -1 holds the keys with a NULL.
func (s *side) chunkSums(ctx context.Context, bounds [][]any, p *plan, left bool) (map[int]chunkSum, error) {
	var args []any
	chunk := "CASE WHEN " + s.nullKeyFilter() + " THEN -1 ELSE " + s.chunkExpr(bounds, 0, len(bounds), &args) + " END"
	inner := wrap(s.sql, chunk+" AS seismo_chunk, "+s.rowHash(p, left)+" AS seismo_h", "", "")
	text := "SELECT c.seismo_chunk, COUNT(*), SUM(c.seismo_h) FROM (\n" + inner + "\n) c GROUP BY c.seismo_chunk"
	rows, done, err := s.query(ctx, text, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: checksums: %w", s.describe(), err)
	}
	defer done()
	defer rows.Close()
	out := map[int]chunkSum{}
	for rows.Next() {
		var (
			id    int64
			count int64
			sum   any
		)
		if err := rows.Scan(&id, &count, &sum); err != nil {
			return nil, fmt.Errorf("%s: checksums: %w", s.describe(), err)
		}
		var text string
		switch x := sum.(type) {
		case []byte:
			text = string(x)
		case string:
			text = x
		case int64:
			text = strconv.FormatInt(x, 10)
		case float64:
			return nil, fmt.Errorf("%s: checksums: the sum came back as a float, which loses digits", s.describe())
		}
		c, ok := canonDecimal(text)
		if !ok {
			return nil, fmt.Errorf("%s: checksums: sum %q is not a number", s.describe(), text)
		}
		out[int(id)] = chunkSum{count: count, sum: c}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: checksums: %w", s.describe(), err)
	}
	return out, nil
}

// rowHash is the SQL of a row's 60-bit hash: MD5 of the canonical text of
// the key and compared columns, separated by the unit separator, NULL as
// the byte 1. 60 bits (15 hex digits) keep the value a non-negative
// BIGINT in PostgreSQL and an exact unsigned in MySQL, so that the sums
// agree.
func (s *side) rowHash(p *plan, left bool) string {
	var parts []string
	for _, k := range s.key {
		parts = append(parts, s.canonSQL(&s.cols[k], nil, left))
	}
	for i, k := range s.cmp {
		parts = append(parts, s.canonSQL(&s.cols[k], &p.rules[i], left))
	}
	if s.d.typ == source.TypePostgres {
		return "('x' || substr(md5(concat_ws(chr(31), " + strings.Join(parts, ", ") + ")), 1, 15))::bit(60)::bigint"
	}
	return "CAST(CONV(SUBSTR(MD5(CONCAT_WS(CHAR(31 USING utf8mb4), " + strings.Join(parts, ", ") + ")), 1, 15), 16, 10) AS UNSIGNED)"
}

// canonSQL is the SQL of a column's canonical text, as close as SQL gets
// to Value.String of the normalised value: integers as digits, decimals
// without trailing zeros, text without trailing spaces, times in UTC as
// 'YYYY-MM-DD HH:MM:SS.ffffff'. Rules that can be written in SQL are
// applied (ci, trim, a left map); tolerances cannot, and those columns are
// hashed exactly (a range that differs within a tolerance is merged).
func (s *side) canonSQL(c *column, rule *colRule, left bool) string {
	ref := "q." + s.d.quote(c.name)
	pg := s.d.typ == source.TypePostgres
	var e string
	switch c.class {
	case classNumber:
		switch {
		case pg && c.dbType == "BOOL":
			e = "CAST(CAST(" + ref + " AS INT) AS TEXT)"
		case c.dbType == "NUMERIC" || c.dbType == "DECIMAL":
			txt := "CAST(" + ref + " AS TEXT)"
			if !pg {
				txt = "CAST(" + ref + " AS CHAR)"
			}
			e = "CASE WHEN " + txt + " LIKE '%.%' THEN TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM " + txt + ")) ELSE " + txt + " END"
		case pg:
			e = "CAST(" + ref + " AS TEXT)"
		default:
			e = "CAST(" + ref + " AS CHAR)"
		}
	case classText:
		switch {
		case pg && c.dbType == "BYTEA":
			e = "encode(" + ref + ", 'escape')"
		case pg:
			e = "rtrim(CAST(" + ref + " AS TEXT), ' ')"
		default:
			e = "TRIM(TRAILING ' ' FROM CONVERT(" + ref + " USING utf8mb4))"
		}
	case classTime:
		e = s.timeSQL(c, ref)
	default:
		if pg {
			e = "CAST(" + ref + " AS TEXT)"
		} else {
			e = "CAST(" + ref + " AS CHAR)"
		}
	}
	if rule != nil {
		if left && rule.mapping != nil {
			keys := make([]string, 0, len(rule.mapping))
			for k := range rule.mapping {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			subject := e
			switch rule.rule {
			case RuleCI:
				subject = "LOWER(" + e + ")"
			case RuleTrim:
				subject = "TRIM(" + e + ")"
			}
			var b strings.Builder
			b.WriteString("CASE " + subject)
			for _, k := range keys {
				b.WriteString(" WHEN " + s.literal(k) + " THEN " + s.literal(rule.mapping[k]))
			}
			b.WriteString(" ELSE " + e + " END")
			e = b.String()
		}
		switch rule.rule {
		case RuleCI:
			e = "LOWER(" + e + ")"
		case RuleTrim:
			e = "TRIM(" + e + ")"
		}
	}
	if pg {
		return "COALESCE(" + e + ", chr(1))"
	}
	return "COALESCE(" + e + ", CHAR(1 USING utf8mb4))"
}

// timeSQL renders a time column in UTC.
func (s *side) timeSQL(c *column, ref string) string {
	if s.d.typ == source.TypePostgres {
		const format = "'YYYY-MM-DD HH24:MI:SS.US'"
		if c.wall == nil {
			return "to_char(" + ref + " AT TIME ZONE 'UTC', " + format + ")"
		}
		return "to_char((CAST(" + ref + " AS TIMESTAMP) AT TIME ZONE " + s.literal(c.wall.String()) + ") AT TIME ZONE 'UTC', " + format + ")"
	}
	const format = "'%Y-%m-%d %H:%i:%s.%f'"
	if c.wall == nil || c.wall.String() == "UTC" {
		return "DATE_FORMAT(" + ref + ", " + format + ")"
	}
	// Named zones need MySQL's time zone tables, which are often not
	// loaded (CONVERT_TZ is then NULL): a zone without daylight saving
	// time in recent decades is written as its offset instead. Otherwise,
	// and for older times in such a zone, the checksums differ and the
	// range is merged: slower, not wrong.
	zone := c.wall.String()
	if off, ok := fixedOffset(c.wall); ok {
		zone = off
	}
	return "DATE_FORMAT(CONVERT_TZ(" + ref + ", " + s.literal(zone) + ", '+00:00'), " + format + ")"
}

// fixedOffset returns loc's offset as +hh:mm when it has been the same in
// winter and summer from 1992 to 2040 (Asia/Shanghai, say).
func fixedOffset(loc *time.Location) (string, bool) {
	_, off := time.Date(1992, 1, 1, 0, 0, 0, 0, loc).Zone()
	for y := 1992; y <= 2040; y++ {
		for _, m := range []time.Month{time.January, time.July} {
			if _, o := time.Date(y, m, 1, 0, 0, 0, 0, loc).Zone(); o != off {
				return "", false
			}
		}
	}
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off%3600/60), true
}

// literal quotes a string literal.
func (s *side) literal(v string) string {
	v = strings.ReplaceAll(v, "'", "''")
	if s.d.typ == source.TypeMySQL {
		v = strings.ReplaceAll(v, `\`, `\\`)
	}
	return "'" + v + "'"
}
