package expr

import (
	"math"
	"time"

	exprlang "github.com/expr-lang/expr"
)

// PointEnv is what a point rule sees: one point of a monitor's series as
// its detector judged it. Every field has a static type, so that a
// misspelt name or a comparison of a number with a string fails at load.
//
// The struct tags are the names rules use.
type PointEnv struct {
	Value    float64 `expr:"value"`    // the observed value
	Expected float64 `expr:"expected"` // the baseline's expected value
	Lower    float64 `expr:"lower"`    // lower edge of the normal band
	Upper    float64 `expr:"upper"`    // upper edge of the normal band
	Score    float64 `expr:"score"`    // the detector's anomaly score in [0,1]
	Anomaly  bool    `expr:"anomaly"`  // whether the detector flagged the point
	// Time is the point's timestamp in the monitor's time zone (its
	// calendar's, its own or the global one), which hour, weekday and
	// clock read.
	Time time.Time `expr:"time"`
	// Labels is the label set the point's events carry: the series'
	// labels (its metric name as "metric"), the monitor's labels and
	// alertname.
	Labels map[string]string `expr:"labels"`
}

// pointNames are PointEnv's and the point helpers' names, for hints.
var pointNames = []string{
	"value", "expected", "lower", "upper", "score", "anomaly", "time", "labels",
	"hour", "minute", "weekday", "clock", "pct_change",
}

// weekdays are weekday's results, as the calendar configuration spells them.
var weekdays = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// pointOptions are the compile options of point rules.
func pointOptions() []exprlang.Option {
	return []exprlang.Option{
		exprlang.Env(PointEnv{}),
		exprlang.Function("hour", func(p ...any) (any, error) { return p[0].(time.Time).Hour(), nil },
			new(func(time.Time) int)),
		exprlang.Function("minute", func(p ...any) (any, error) { return p[0].(time.Time).Minute(), nil },
			new(func(time.Time) int)),
		exprlang.Function("weekday", func(p ...any) (any, error) { return weekdays[p[0].(time.Time).Weekday()], nil },
			new(func(time.Time) string)),
		exprlang.Function("clock", func(p ...any) (any, error) { return p[0].(time.Time).Format("15:04"), nil },
			new(func(time.Time) string)),
		exprlang.Function("pct_change", func(p ...any) (any, error) { return PctChange(toFloat(p[0]), toFloat(p[1])), nil },
			new(func(float64, float64) float64)),
	}
}

// toFloat converts a numeric argument: the checker lets int literals
// through where float64 is declared (pct_change(value, 100)).
func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return math.NaN()
}

// PctChange is the change from b to a in percent of |b|: pct_change(110,
// 100) = 10, pct_change(50, 100) = -50. From 0 it is 0 to 0 and ±Inf to
// anything else, so that "a change of more than X%" holds for any growth
// from nothing.
func PctChange(a, b float64) float64 {
	if b == 0 {
		switch {
		case a == 0:
			return 0
		case a > 0:
			return math.Inf(1)
		case a < 0:
			return math.Inf(-1)
		}
		return math.NaN()
	}
	return (a - b) / math.Abs(b) * 100
}

// PointRule is a compiled point rule. It is safe for concurrent use.
type PointRule struct{ p *program }

// CompilePoint compiles a point rule: a boolean expression over PointEnv.
// Errors are *Error with the position in src.
func CompilePoint(src string) (*PointRule, error) {
	p, err := compile(src, pointNames, pointOptions()...)
	if err != nil {
		return nil, err
	}
	return &PointRule{p: p}, nil
}

// Match evaluates the rule on one point.
func (r *PointRule) Match(env PointEnv) (bool, error) { return r.p.run(env) }

// String returns the rule's source text.
func (r *PointRule) String() string { return r.p.src }
