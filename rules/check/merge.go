package check

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// collector gathers a run's differences: the first max are kept in full,
// the rest only counted, so a table that differs everywhere cannot
// exhaust memory.
type collector struct {
	p         *plan
	max       int
	diffs     []Difference
	dropped   int64
	droppedBy [3]int64 // missing_left, missing_right, mismatched
}

func (p *plan) newCollector(max int) *collector { return &collector{p: p, max: max} }

// add records a difference between l and r (either may be nil).
func (c *collector) add(kind string, l, r *row, cols []string) {
	if len(c.diffs) >= c.max {
		c.dropped++
		c.droppedBy[kindIndex(kind)]++
		return
	}
	c.diffs = append(c.diffs, c.p.difference(kind, l, r, cols))
}

func kindIndex(kind string) int {
	switch kind {
	case KindMissingLeft:
		return 0
	case KindMissingRight:
		return 1
	}
	return 2
}

// difference builds a Difference from the rows, copying what it keeps
// out of their batches (which are reused).
func (p *plan) difference(kind string, l, r *row, cols []string) Difference {
	d := Difference{Kind: kind, Columns: cols}
	if l != nil {
		d.Key = slices.Clone(l.key)
		d.Left = p.l.columnOrder(l.all)
		d.leftKey = rawKey(l)
	}
	if r != nil {
		if d.Key == nil {
			d.Key = slices.Clone(r.key)
		}
		d.Right = p.r.columnOrder(r.all)
		d.rightKey = rawKey(r)
	}
	return d
}

// columnOrder copies a row's values from plan order to column order.
func (s *side) columnOrder(all []Value) []Value {
	out := make([]Value, len(all))
	for p, v := range all {
		out[s.perm[p]] = v
	}
	return out
}

// rawKey returns a row's key as it would be bound to query it again:
// text columns as read, trailing spaces included.
func rawKey(r *row) []any {
	out := make([]any, len(r.key))
	for i, v := range r.key {
		switch {
		case v.k == KindText && trimmedDiffers(r.keyText[i]):
			out[i] = r.keyText[i]
		case v.k == KindText:
			out[i] = v.s
		case v.k == KindInt:
			out[i] = v.i
		default:
			out[i] = v.String()
		}
	}
	return out
}

// compareRows returns the compared columns on which l and r disagree.
func (p *plan) compareRows(l, r *row) []string {
	var cols []string
	for i := range p.rules {
		if !p.rules[i].equal(l.vals[i], r.vals[i]) {
			cols = append(cols, p.rules[i].name)
		}
	}
	return cols
}

// merge streams both sides (filtered by their specs) and compares them
// row by row in key order, sending differences to col. It returns the
// rows read on each side.
func (p *plan) merge(ctx context.Context, lspec, rspec streamSpec, col *collector) (lrows, rrows int64, err error) {
	ctx, cancel := context.WithCancel(ctx)
	lch, rch := make(chan batch, queueBatches), make(chan batch, queueBatches)
	lfree, rfree := make(chan batch, queueBatches), make(chan batch, queueBatches)
	lspec.free, rspec.free = lfree, rfree
	var wg sync.WaitGroup
	wg.Go(func() { p.l.stream(ctx, lspec, lch) })
	wg.Go(func() { p.r.stream(ctx, rspec, rch) })
	lc, rc := &cursor{s: p.l, ch: lch, free: lfree}, &cursor{s: p.r, ch: rch, free: rfree}
	defer func() {
		// Stop the readers and let them finish before the caller closes
		// the databases. Draining unblocks a reader waiting to send.
		cancel()
		for range lch {
		}
		for range rch {
		}
		wg.Wait()
		lrows, rrows = lc.rows, rc.rows
	}()
	err = p.mergeCursors(lc, rc, col)
	if err == nil {
		// Both streams ended: a context that ended too means a stream may
		// have stopped early, and the comparison is not complete.
		err = ctx.Err()
	}
	return 0, 0, err
}

// mergeCursors is the merge proper.
func (p *plan) mergeCursors(lc, rc *cursor, col *collector) error {
	l, err := lc.next()
	if err != nil {
		return err
	}
	r, err := rc.next()
	if err != nil {
		return err
	}
	for l != nil || r != nil {
		var c int
		switch {
		case l == nil:
			c = 1
		case r == nil:
			c = -1
		default:
			if c, err = p.compareKeysAcross(l.key, r.key); err != nil {
				return err
			}
		}
		switch {
		case c < 0:
			col.add(KindMissingRight, l, nil, nil)
			if l, err = lc.next(); err != nil {
				return err
			}
		case c > 0:
			col.add(KindMissingLeft, nil, r, nil)
			if r, err = rc.next(); err != nil {
				return err
			}
		default:
			if cols := p.compareRows(l, r); cols != nil {
				col.add(KindMismatched, l, r, cols)
			}
			if l, err = lc.next(); err != nil {
				return err
			}
			if r, err = rc.next(); err != nil {
				return err
			}
		}
	}
	return p.mergeNullKeys(lc.nulls, rc.nulls, col)
}

// mergeNullKeys compares the rows set aside for a NULL in their key: by
// normalised key (NULL matching NULL), left ones first.
func (p *plan) mergeNullKeys(ls, rs []row, col *collector) error {
	if len(ls) == 0 && len(rs) == 0 {
		return nil
	}
	index := func(s *side, rows []row) (map[string]*row, error) {
		m := make(map[string]*row, len(rows))
		for i := range rows {
			k := keyString(rows[i].key)
			if m[k] != nil {
				return nil, &orderError{fmt.Sprintf("%s: duplicate key %s: the key columns %s do not identify a row on this side; fix the key or the query (no differences were computed)",
					s.describe(), formatKey(s.keyNames(), rows[i].key), strings.Join(s.keyNames(), ", "))}
			}
			m[k] = &rows[i]
		}
		return m, nil
	}
	lm, err := index(p.l, ls)
	if err != nil {
		return err
	}
	rm, err := index(p.r, rs)
	if err != nil {
		return err
	}
	for i := range ls {
		l := &ls[i]
		r := rm[keyString(l.key)]
		switch {
		case r == nil:
			col.add(KindMissingRight, l, nil, nil)
		default:
			if cols := p.compareRows(l, r); cols != nil {
				col.add(KindMismatched, l, r, cols)
			}
		}
	}
	for i := range rs {
		if lm[keyString(rs[i].key)] == nil {
			col.add(KindMissingLeft, nil, &rs[i], nil)
		}
	}
	return nil
}

// compareKeysAcross orders a left key and a right key. Keys whose columns
// hold different kinds of value on the two sides (a number on one, text
// on the other) cannot be merged: their databases order them differently.
func (p *plan) compareKeysAcross(a, b []Value) (int, error) {
	for i := range a {
		ka, kb := a[i].k, b[i].k
		if ka != kb && ka != KindNull && kb != KindNull && !(ka.isNumber() && kb.isNumber()) {
			name := p.l.cols[p.l.key[i]].name
			return 0, &orderError{fmt.Sprintf("key column %q holds %s on the left (%s) and %s on the right (%s): both sides must sort it the same way; cast it to one type in one of the queries (no differences were computed)",
				name, ka, p.l.cols[p.l.key[i]].dbType, kb, p.r.cols[p.r.key[i]].dbType)}
		}
		if c := Order(a[i], b[i]); c != 0 {
			return c, nil
		}
	}
	return 0, nil
}
