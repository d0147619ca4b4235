package source

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// Sample is one element of an instant query's result: a label set and its
// value at the query's instant.
type Sample struct {
	Labels labels.Labels
	T      time.Time
	V      float64
}

// InstantQuerier evaluates an expression at one instant, the way alerting
// rules are evaluated (Prometheus' /api/v1/query). The prometheus source
// implements it.
type InstantQuerier interface {
	// QueryInstant returns the instant vector expr evaluates to at t,
	// sorted by label set. A scalar result is one sample with no labels
	// (as Prometheus' rule evaluation treats it); a range vector or a
	// string is an error.
	QueryInstant(ctx context.Context, expr string, t time.Time) ([]Sample, error)
}

var _ InstantQuerier = (*promSource)(nil)

// QueryInstant implements InstantQuerier with the query API, with the
// source's per-request timeout and retries.
func (s *promSource) QueryInstant(ctx context.Context, expr string, t time.Time) ([]Sample, error) {
	if t.IsZero() {
		return nil, fmt.Errorf("prometheus source %q: instant query needs a time", s.name)
	}
	out, err := do(ctx, s.retry, "query", func(ctx context.Context) ([]Sample, error) {
		val, warnings, infos, err := s.api.Query(ctx, expr, t, s.queryOptions()...)
		s.logNotes("query", expr, warnings, infos)
		if err != nil {
			return nil, describePromError(err)
		}
		return s.samples(expr, val)
	})
	if err != nil {
		return nil, fmt.Errorf("prometheus source %q: query %q at %s: %w", s.name, expr, t.UTC().Format(time.RFC3339), err)
	}
	return out, nil
}

// samples converts an instant query's result.
func (s *promSource) samples(expr string, val model.Value) ([]Sample, error) {
	switch v := val.(type) {
	case model.Vector:
		out := make([]Sample, 0, len(v))
		for _, e := range v {
			if e.Histogram != nil {
				s.logger.Warn("ignoring native histogram sample", "source", s.name, "query", expr, "series", e.Metric.String())
				continue
			}
			out = append(out, Sample{Labels: metricToLabels(e.Metric), T: e.Timestamp.Time().UTC(), V: float64(e.Value)})
		}
		slices.SortFunc(out, func(a, b Sample) int { return labels.Compare(a.Labels, b.Labels) })
		return out, nil
	case *model.Scalar:
		if v == nil {
			return nil, nil
		}
		return []Sample{{Labels: labels.EmptyLabels(), T: v.Timestamp.Time().UTC(), V: float64(v.Value)}}, nil
	case nil:
		return nil, fmt.Errorf("empty result")
	}
	return nil, fmt.Errorf("result is a %s, want an instant vector or a scalar", val.Type())
}
