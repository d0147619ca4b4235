package check

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// batchRows is how many rows a reader hands to the merge at once, and
// queueBatches how many batches may wait for the merge (and how many
// merged ones may wait to be filled again): with the one being filled and
// the one being merged, at most (2·queueBatches+2)·batchRows rows per side
// are in memory, whatever the size of the tables.
const (
	batchRows    = 512
	queueBatches = 4
)

// row is one row of a side, normalised. all holds every column in plan
// order (side.perm): the key columns, then the compared ones in compare
// order, then the others; key and vals are its first two parts. The key's
// text columns as read, trailing spaces included, are kept to query the
// key again where those matter.
type row struct {
	all     []Value
	key     []Value // all[:len(key)]
	vals    []Value // the compared values, after the key in all
	keyText []string
	nullKey bool // a key column is NULL
}

// batch is a run of rows in key order, or the error that ended the stream.
// vals and texts are the arenas its rows' values live in, kept so that the
// consumer can hand the batch back for reuse.
type batch struct {
	rows  []row
	vals  []Value
	texts []string
	err   error
}

// streamSpec says what a reader reads.
type streamSpec struct {
	where string // filter on q, "" for none
	args  []any
	// free, when set, brings back batches the consumer is done with, to
	// be filled again instead of allocating new ones.
	free <-chan batch
}

// orderError is a problem with the order of a side's rows: a duplicate key
// or a key out of order. The run fails with it rather than reporting
// differences that are not there.
type orderError struct{ msg string }

func (e *orderError) Error() string { return e.msg }

// stream runs the side's query ordered by key and sends its rows in
// batches on out, verifying on the way that every key is greater than the
// one before. It closes out when done; an error is the last batch. The
// consumer must read out until it is closed.
func (s *side) stream(ctx context.Context, spec streamSpec, out chan<- batch) {
	defer close(out)
	n, err := s.streamRows(ctx, spec, out)
	if err != nil {
		var oe *orderError
		if !errors.As(err, &oe) {
			err = fmt.Errorf("%s: after %d rows: %w", s.describe(), n, err)
		}
		// Sent even when ctx is done (a timeout): a stream that ends
		// without its error would read as a side with fewer rows. The
		// consumer drains the channel until it is closed.
		out <- batch{err: err}
	}
}

func (s *side) streamRows(ctx context.Context, spec streamSpec, out chan<- batch) (int64, error) {
	text := wrap(s.sql, "", spec.where, s.d.orderBy(s.keyCols()))
	rows, done, err := s.query(ctx, text, spec.args...)
	if err != nil {
		return 0, err
	}
	defer done()
	defer rows.Close()

	ncols := len(s.cols)
	if got, err := rows.Columns(); err == nil && len(got) != ncols {
		return 0, fmt.Errorf("the query returned %d columns, then %d", ncols, len(got))
	}
	nk, nv := len(s.key), len(s.cmp)
	sc := newRowScanner(s)
	var (
		n        int64
		prev     = make([]Value, nk)
		havePrev bool
		cur      []row
		vals     []Value  // arena for the batch's normalised values
		texts    []string // arena for the key columns' text as read
	)
	newBatch := func() {
		select {
		case b := <-spec.free:
			cur, vals, texts = b.rows[:0], b.vals, b.texts
		default:
			cur = make([]row, 0, batchRows)
			vals = make([]Value, batchRows*ncols)
			texts = make([]string, batchRows*nk)
		}
	}
	newBatch()
	for rows.Next() {
		if err := rows.Scan(sc.ptrs...); err != nil {
			return n, err
		}
		n++
		i := len(cur)
		all := vals[i*ncols : (i+1)*ncols : (i+1)*ncols]
		r := row{all: all, key: all[:nk:nk], vals: all[nk : nk+nv : nk+nv], keyText: texts[i*nk : (i+1)*nk : (i+1)*nk]}
		if err := sc.values(r.all, n); err != nil {
			return n, err
		}
		for j, at := range s.key {
			r.keyText[j] = sc.text(at)
			r.nullKey = r.nullKey || r.key[j].k == KindNull
		}
		// Keys with a NULL sort where each engine puts NULLs; the cursor
		// sets them aside, so they take no part in the order.
		if !r.nullKey {
			if havePrev {
				if err := s.checkOrder(prev, r.key, n); err != nil {
					return n, err
				}
			}
			copy(prev, r.key)
			havePrev = true
		}
		cur = append(cur, r)
		if len(cur) == batchRows {
			select {
			case out <- batch{rows: cur, vals: vals, texts: texts}:
			case <-ctx.Done():
				return n, ctx.Err()
			}
			newBatch()
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if len(cur) > 0 {
		select {
		case out <- batch{rows: cur, vals: vals, texts: texts}:
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
	return n, nil
}

// checkOrder verifies that key follows prev strictly.
func (s *side) checkOrder(prev, key []Value, n int64) error {
	switch c := compareKeys(prev, key); {
	case c == 0:
		return &orderError{fmt.Sprintf("%s: duplicate key %s (rows %d and %d in key order): the key columns %s do not identify a row on this side; fix the key or the query (no differences were computed)",
			s.describe(), formatKey(s.keyNames(), key), n-1, n, strings.Join(s.keyNames(), ", "))}
	case c > 0:
		return &orderError{fmt.Sprintf("%s: key %s came after %s although it sorts before it: the database's order of the key columns is not Seismo's (a key column whose type sorts differently, e.g. text compared as numbers, mixed types, or a collation that cannot be made byte-wise); cast the key in the query (no differences were computed)",
			s.describe(), formatKey(s.keyNames(), key), formatKey(s.keyNames(), prev))}
	}
	return nil
}

func (s *side) keyNames() []string {
	out := make([]string, len(s.key))
	for i, k := range s.key {
		out[i] = s.cols[k].name
	}
	return out
}

// compareKeys orders two keys column by column (Order).
func compareKeys(a, b []Value) int {
	for i := range a {
		if c := Order(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

// formatKey renders a key for messages: (card_no=A001, market=1).
func formatKey(names []string, key []Value) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range key {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(names[i])
		b.WriteByte('=')
		if v.k == KindText {
			fmt.Fprintf(&b, "%q", truncate(v.s, 60))
		} else {
			b.WriteString(v.String())
		}
	}
	b.WriteByte(')')
	return b.String()
}

// maxNullKeyRows bounds the rows with a NULL in the key that a side may
// have: they are held in memory until the end of the merge.
const maxNullKeyRows = 100000

// cursor reads a side's batches one row at a time, setting aside the rows
// with a NULL in the key (nulls).
type cursor struct {
	s     *side
	ch    <-chan batch
	free  chan<- batch // where finished batches go back to the reader; nil: nowhere
	b     batch        // the batch being read
	i     int
	rows  int64
	nulls []row
}

// next returns the next row with a complete key, nil at the end, or the
// stream's error. The row is valid until the following call: with free
// set, its batch is then reused.
func (c *cursor) next() (*row, error) {
	for {
		for c.i >= len(c.b.rows) {
			if c.free != nil && c.b.rows != nil {
				// The caller is done with the last row handed out: the
				// batch can be filled again.
				select {
				case c.free <- c.b:
				default:
				}
			}
			b, ok := <-c.ch
			if !ok {
				c.b = batch{}
				return nil, nil
			}
			if b.err != nil {
				return nil, b.err
			}
			c.b, c.i = b, 0
		}
		r := &c.b.rows[c.i]
		c.i++
		c.rows++
		if !r.nullKey {
			return r, nil
		}
		if len(c.nulls) == maxNullKeyRows {
			return nil, fmt.Errorf("%s: more than %d rows have a NULL in a key column; filter them out in the query", c.s.describe(), maxNullKeyRows)
		}
		// A copy, so that the row does not hold its whole batch.
		all := slices.Clone(r.all)
		nk, nv := len(r.key), len(r.vals)
		c.nulls = append(c.nulls, row{all: all, key: all[:nk:nk], vals: all[nk : nk+nv : nk+nv], keyText: slices.Clone(r.keyText), nullKey: true})
	}
}
