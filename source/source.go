// Package source reads the outside world: time series from CSV files, SQL
// databases and Prometheus-compatible query_range APIs (TimeSeries), and
// log records from files followed like tail -F, the standard input and
// Kafka topics (LogInput).
package source

import (
	"context"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// Query asks a source for the series an expression selects over a time range.
// Expr is source-specific: PromQL/MetricsQL for prometheus, SQL for databases,
// a column selector for CSV.
type Query struct {
	Expr  string
	Start time.Time
	End   time.Time
	Step  time.Duration
}

// TimeSeries is a source of time series. Implementations must honour ctx
// cancellation and deadlines, and return points that may still contain
// NaN, duplicates or disorder: callers clean them with series.Clean.
type TimeSeries interface {
	Query(ctx context.Context, q Query) ([]series.Series, error)
	Close() error
}
