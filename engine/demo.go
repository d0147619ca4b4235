package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/source"
)

// demoSource serves the synthetic brokerage data of package datasets as a
// time-series source. Its values are a pure function of time, so the "live
// feed" is simply the data up to now: the source never answers with points
// from the future.
type demoSource struct {
	demo *datasets.Demo
	now  func() time.Time
}

// Query selects demo series with a PromQL metric selector such as
// `account_openings{channel="app"}`.
func (s *demoSource) Query(ctx context.Context, q source.Query) ([]series.Series, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	matchers, err := parser.NewParser(parser.Options{}).ParseMetricSelector(q.Expr)
	if err != nil {
		return nil, fmt.Errorf("demo source: %w", err)
	}
	end := q.End
	if now := s.now(); end.After(now) {
		end = now
	}
	var out []series.Series
	for _, ls := range s.demo.Series() {
		ok := true
		for _, m := range matchers {
			if !m.Matches(ls.Get(m.Name)) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, series.Series{Labels: ls, Points: s.demo.Range(ls, q.Start, end, q.Step)})
		}
	}
	return out, nil
}

// Close does nothing: the demo holds no resources.
func (s *demoSource) Close() error { return nil }

// validateDemoExpr checks a demo query at engine construction.
func validateDemoExpr(expr string) error {
	_, err := parser.NewParser(parser.Options{}).ParseMetricSelector(expr)
	return err
}
