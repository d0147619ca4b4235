package check

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
)

// Re-check batches: keys per query, so that a query has at most about a
// thousand bind parameters (SQLite's historical limit was 999).
const (
	recheckKeys          = 500
	recheckCompositeArgs = 900
)

// keyString encodes a normalised key as a map key. Kinds are part of it,
// so the integer 1 and the text "1" stay apart.
func keyString(key []Value) string {
	var b []byte
	for _, v := range key {
		b = append(b, byte(v.k))
		switch v.k {
		case KindInt:
			b = binary.BigEndian.AppendUint64(b, uint64(v.i))
		case KindTime:
			b = binary.BigEndian.AppendUint64(b, uint64(v.i))
			b = binary.BigEndian.AppendUint32(b, uint32(v.n))
		case KindDec, KindText:
			b = binary.AppendUvarint(b, uint64(len(v.s)))
			b = append(b, v.s...)
		}
	}
	return string(b)
}

// recheck reads the differing keys again, after the grace period, and
// returns the differences with their fresh state: still there (possibly
// of another kind, with fresh values) or transient. Keys whose columns
// are integers or text are queried by key, in batches (`WHERE k IN (...)`,
// or `(k1 = ? AND k2 = ?) OR ...` for a composite key), on each side; the
// rows that come back are matched to the keys in Go after normalisation,
// so a filter that returns more (a case-insensitive collation, say) is
// harmless. Other keys (decimals, times) are not bound exactly the same
// way by every driver and engine, so the whole comparison runs again and
// the differences it finds are matched to the first ones.
func (p *plan) recheck(ctx context.Context, diffs []Difference, truncated bool, max int, res *Result) ([]Difference, error) {
	if p.bindable(diffs) {
		return p.recheckKeys(ctx, diffs)
	}
	res.Notes = append(res.Notes, "re-checked by running the comparison again: the key has a column that is neither an integer nor text")
	col := p.newCollector(max)
	if _, _, err := p.merge(ctx, streamSpec{}, streamSpec{}, col); err != nil {
		return nil, err
	}
	again := make(map[string]*Difference, len(col.diffs))
	for i := range col.diffs {
		again[keyString(col.diffs[i].Key)] = &col.diffs[i]
	}
	out := make([]Difference, len(diffs))
	for i, d := range diffs {
		if n, ok := again[keyString(d.Key)]; ok {
			out[i] = *n
		} else {
			out[i] = d
			// Not found again: cleared, unless the second pass dropped
			// differences beyond the cap (then it is unknown, and kept).
			out[i].Transient = col.dropped == 0
		}
	}
	return out, nil
}

// bindable reports whether every key of diffs can be bound as a query
// parameter that each engine compares exactly: integers and text.
func (p *plan) bindable(diffs []Difference) bool {
	for _, d := range diffs {
		for _, v := range d.Key {
			if v.k != KindInt && v.k != KindText {
				return false
			}
		}
	}
	return true
}

// recheckKeys queries each side for the keys of diffs and compares again.
func (p *plan) recheckKeys(ctx context.Context, diffs []Difference) ([]Difference, error) {
	lrows, err := p.l.fetchKeys(ctx, diffs, func(d *Difference) []any { return d.leftKey }, func(d *Difference) []any { return d.rightKey })
	if err != nil {
		return nil, err
	}
	rrows, err := p.r.fetchKeys(ctx, diffs, func(d *Difference) []any { return d.rightKey }, func(d *Difference) []any { return d.leftKey })
	if err != nil {
		return nil, err
	}
	out := make([]Difference, len(diffs))
	for i, d := range diffs {
		ks := keyString(d.Key)
		l, r := lrows[ks], rrows[ks]
		switch {
		case l == nil && r == nil:
			out[i] = d
			out[i].Transient = true // gone from both sides
		case l == nil:
			out[i] = p.difference(KindMissingLeft, nil, r, nil)
		case r == nil:
			out[i] = p.difference(KindMissingRight, l, nil, nil)
		default:
			if cols := p.compareRows(l, r); cols != nil {
				out[i] = p.difference(KindMismatched, l, r, cols)
			} else {
				// Agreeing now: keep the difference as it was found, so
				// that the record shows what cleared.
				out[i] = d
				out[i].Transient = true
			}
		}
	}
	return out, nil
}

// fetchKeys reads the rows of the side whose keys are among diffs' keys,
// by normalised key. own returns a difference's raw key as this side's
// driver returned it (nil if the key was missing here), other the other
// side's: both are bound besides the normalised key when they differ from
// it, so that text with trailing spaces is found on engines that compare
// them (SQLite).
func (s *side) fetchKeys(ctx context.Context, diffs []Difference, own, other func(*Difference) []any) (map[string]*row, error) {
	want := make(map[string]bool, len(diffs))
	var tuples [][]any
	seen := map[string]bool{}
	addTuple := func(t []any) {
		id := fmt.Sprintf("%#v", t)
		if !seen[id] {
			seen[id] = true
			tuples = append(tuples, t)
		}
	}
	for i := range diffs {
		d := &diffs[i]
		want[keyString(d.Key)] = true
		norm := make([]any, len(d.Key))
		for j, v := range d.Key {
			if v.k == KindInt {
				norm[j] = v.i
			} else {
				norm[j] = v.s
			}
		}
		addTuple(norm)
		for _, raw := range [][]any{own(d), other(d)} {
			if raw == nil {
				continue
			}
			t := make([]any, len(raw))
			for j, x := range raw {
				switch y := x.(type) {
				case []byte:
					t[j] = string(y)
				case string:
					t[j] = y
				default:
					t[j] = norm[j] // integers: the normalised value binds the same
				}
			}
			addTuple(t)
		}
	}
	per := recheckKeys
	if len(s.key) > 1 {
		per = max(1, recheckCompositeArgs/len(s.key))
	}
	found := make(map[string]*row, len(diffs))
	for start := 0; start < len(tuples); start += per {
		end := min(start+per, len(tuples))
		where, args := s.keyFilter(tuples[start:end])
		ch := make(chan batch, queueBatches)
		sctx, cancel := context.WithCancel(ctx)
		go s.stream(sctx, streamSpec{where: where, args: args}, ch)
		cur := &cursor{s: s, ch: ch}
		var err error
		for {
			var r *row
			if r, err = cur.next(); err != nil || r == nil {
				break
			}
			ks := keyString(r.key)
			if want[ks] {
				cp := *r
				found[ks] = &cp
			}
		}
		cancel()
		for range ch {
		}
		if err != nil {
			return nil, err
		}
	}
	return found, nil
}

// keyFilter builds the WHERE clause selecting the given key tuples.
func (s *side) keyFilter(tuples [][]any) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, len(tuples)*len(s.key))
	if len(s.key) == 1 {
		b.WriteString("q." + s.d.quote(s.cols[s.key[0]].name) + " IN (")
		for i, t := range tuples {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, t[0])
			b.WriteString(s.d.param(len(args)))
		}
		b.WriteString(")")
		return b.String(), args
	}
	for i, t := range tuples {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(")
		for j, k := range s.key {
			if j > 0 {
				b.WriteString(" AND ")
			}
			args = append(args, t[j])
			b.WriteString("q." + s.d.quote(s.cols[k].name) + " = " + s.d.param(len(args)))
		}
		b.WriteString(")")
	}
	return b.String(), args
}
