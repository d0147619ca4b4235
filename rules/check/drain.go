package check

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Drain reads both sides as a run does — the same wrapped queries ordered
// by key, both at once, every value scanned — and discards the rows
// without normalising or comparing them. It is the floor under a run's
// time: benchmarks/checkbench measures runs against it.
func (c *Check) Drain(ctx context.Context) (left, right int64, err error) {
	l, r, err := c.open(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer func() { err = errors.Join(err, l.db.Close(), r.db.Close()) }()
	if _, err := c.plan(l, r); err != nil {
		return 0, 0, err
	}
	var (
		wg         sync.WaitGroup
		lerr, rerr error
	)
	wg.Go(func() { left, lerr = l.drain(ctx) })
	wg.Go(func() { right, rerr = r.drain(ctx) })
	wg.Wait()
	return left, right, errors.Join(lerr, rerr)
}

func (s *side) drain(ctx context.Context) (int64, error) {
	rows, done, err := s.query(ctx, wrap(s.sql, "", "", s.d.orderBy(s.keyCols())))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", s.describe(), err)
	}
	defer done()
	defer rows.Close()
	vals := make([]any, len(s.cols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("%s: %w", s.describe(), err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("%s: %w", s.describe(), err)
	}
	return n, nil
}
