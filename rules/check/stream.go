package check

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// batchRows is how many rows a reader hands to the merge at once, and
// queueBatches how many batches may wait: with the one being filled and
// the one being merged, at most (queueBatches+2)·batchRows rows per side
// are in memory, whatever the size of the tables.
const (
	batchRows    = 512
	queueBatches = 4
)

// row is one row of a side: its normalised key and compared values, and
// every column as the driver returned it (for differences, which show the
// whole row, and for analyst rules).
type row struct {
	key     []Value
	vals    []Value
	raw     []any
	nullKey bool // a key column is NULL
}

// batch is a run of rows in key order, or the error that ended the stream.
type batch struct {
	rows []row
	err  error
}

// streamSpec says what a reader reads.
type streamSpec struct {
	where string // filter on q, "" for none
	args  []any
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
	ptrs := make([]any, ncols)
	var (
		n        int64
		prev     = make([]Value, nk)
		havePrev bool
		cur      []row
		vals     []Value // arena for the batch's normalised values
		raws     []any   // arena for the batch's raw values
		keyCs    = s.keyCols()
		cmpCs    = make([]*column, nv)
	)
	for i, c := range s.cmp {
		cmpCs[i] = &s.cols[c]
	}
	newBatch := func() {
		cur = make([]row, 0, batchRows)
		vals = make([]Value, batchRows*(nk+nv))
		raws = make([]any, batchRows*ncols)
	}
	newBatch()
	for rows.Next() {
		i := len(cur)
		raw := raws[i*ncols : (i+1)*ncols : (i+1)*ncols]
		for j := range ptrs {
			ptrs[j] = &raw[j]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
		base := i * (nk + nv)
		r := row{key: vals[base : base+nk : base+nk], vals: vals[base+nk : base+nk+nv : base+nk+nv], raw: raw}
		for j, at := range s.key {
			v, err := normalize(raw[at], keyCs[j])
			if err != nil {
				return n, fmt.Errorf("row %d: key column %q: %w", n, keyCs[j].name, err)
			}
			r.key[j] = v
			r.nullKey = r.nullKey || v.k == KindNull
		}
		for j, at := range s.cmp {
			v, err := normalize(raw[at], cmpCs[j])
			if err != nil {
				return n, fmt.Errorf("row %d: column %q: %w", n, cmpCs[j].name, err)
			}
			r.vals[j] = v
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
			case out <- batch{rows: cur}:
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
		case out <- batch{rows: cur}:
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
	cur   []row
	i     int
	rows  int64
	nulls []row
}

// next returns the next row with a complete key, nil at the end, or the
// stream's error.
func (c *cursor) next() (*row, error) {
	for {
		for c.i >= len(c.cur) {
			b, ok := <-c.ch
			if !ok {
				return nil, nil
			}
			if b.err != nil {
				return nil, b.err
			}
			c.cur, c.i = b.rows, 0
		}
		r := &c.cur[c.i]
		c.i++
		c.rows++
		if !r.nullKey {
			return r, nil
		}
		if len(c.nulls) == maxNullKeyRows {
			return nil, fmt.Errorf("%s: more than %d rows have a NULL in a key column; filter them out in the query", c.s.describe(), maxNullKeyRows)
		}
		// A copy, so that the row does not hold its whole batch.
		c.nulls = append(c.nulls, row{
			key: slices.Clone(r.key), vals: slices.Clone(r.vals), raw: slices.Clone(r.raw), nullKey: true,
		})
	}
}
