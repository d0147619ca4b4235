package metric

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metricsql"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/robfig/cron/v3"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/source"
)

// DefaultInterval is how often a group without interval or schedule runs.
const DefaultInterval = field.Duration(time.Minute)

// GroupConfig is a group of metric rules evaluated together, at the same
// instant, against one Prometheus-compatible source — vmalert's and
// Prometheus' rule group, with a source of its own:
//
//	rule_groups:
//	  - name: trading-health
//	    source: vm
//	    interval: 1m
//	    rules:
//	      - alert: OrderRejectsHigh
//	        expr: sum(rate(order_rejects_total[5m])) by (market) > 3
//	        for: 2m
//	        labels: {severity: critical}
//	        annotations:
//	          summary: '{{ $labels.market }}: {{ $value | humanize }} rejects/s'
type GroupConfig struct {
	Name   string `yaml:"name"`   // the job's name; alerts carry it as Event.Job
	Source string `yaml:"source"` // a source of type prometheus
	// Interval runs the group every interval, aligned to the clock (a 5m
	// group runs at :00, :05, ...): it must divide a minute, an hour or a
	// day. Default 1m unless Schedule is set.
	Interval field.Duration `yaml:"interval,omitempty"`
	// Schedule runs the group on a cron schedule instead (with an
	// optional seconds field), in Timezone.
	Schedule string `yaml:"schedule,omitempty"`
	Timezone string `yaml:"timezone,omitempty"` // of Schedule (default global.timezone)
	// EvalDelay evaluates at now − eval_delay, for sources whose newest
	// samples arrive late (vmalert's -rule.evalDelay). Default 0.
	EvalDelay field.Duration `yaml:"eval_delay,omitempty"`
	// Concurrency is how many rules are queried at once (default 1).
	Concurrency int `yaml:"concurrency,omitempty"`
	// Limit fails a rule whose query returns more series than this, rather
	// than flooding the alert router (0: no limit).
	Limit   int               `yaml:"limit,omitempty"`
	Timeout field.Duration    `yaml:"timeout,omitempty"` // of one run of the whole group (default global.job_timeout)
	Labels  map[string]string `yaml:"labels,omitempty"`  // added to every alert of the group (rule labels win)
	// RestoreMaxAge bounds how old the state saved by a previous process
	// may be for a restart to restore it: the time from the last saved
	// evaluation to the first one after the restart. 0 (the default) is,
	// per rule, for + keep_firing_for + 3 intervals (see Group.Restore).
	RestoreMaxAge field.Duration `yaml:"restore_max_age,omitempty"`
	Rules         []RuleConfig   `yaml:"rules"`
}

// RuleConfig is one alerting rule, as Prometheus and vmalert write it.
type RuleConfig struct {
	Alert string `yaml:"alert,omitempty"` // the alert's name: its alertname label
	// Record would name a recording rule's output series. Seismo writes
	// no series, so a recording rule is a configuration error rather than
	// silently ignored.
	Record string `yaml:"record,omitempty"`
	// Expr is PromQL, or MetricsQL when the source's dialect is metricsql
	// (the default): every series it returns is an active alert.
	Expr string `yaml:"expr"`
	// For is how long a series must be returned before its alert fires;
	// until then it is pending. 0 fires at once.
	For field.Duration `yaml:"for,omitempty"`
	// KeepFiringFor keeps an alert firing this long after its series
	// stopped being returned (against flapping).
	KeepFiringFor field.Duration `yaml:"keep_firing_for,omitempty"`
	// Labels and Annotations are Go templates over $labels and $value.
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// ApplyDefaults sets the interval of a group that has neither interval
// nor schedule.
func (g *GroupConfig) ApplyDefaults() {
	if g.Interval == 0 && g.Schedule == "" {
		g.Interval = DefaultInterval
	}
}

// scheduleParser parses cron schedules exactly as config.ScheduleParser
// does (which this package cannot import: config imports it).
var scheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var alertNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_:-]*$`)

// Validate checks the group against the configured sources. Errors are a
// field.List with paths relative to the group ("rules[2].expr: 1:17: ...").
// The group's name is checked by the config loader, which owns the job
// namespace.
func (g GroupConfig) Validate(sources map[string]source.Config) error {
	var errs field.List
	src, ok := sources[g.Source]
	switch {
	case g.Source == "":
		errs.Addf("source", "a rule group needs a source (of type %s)", source.TypePrometheus)
	case !ok:
		names := slices.Sorted(maps.Keys(sources))
		errs.Addf("source", "unknown source %q (defined: %s)", g.Source, strings.Join(names, ", "))
	case src.Type != source.TypePrometheus:
		errs.Addf("source", "source %q is a %s source: metric rules query a %s source (Prometheus or VictoriaMetrics)", g.Source, src.Type, source.TypePrometheus)
		ok = false
	}
	switch {
	case g.Schedule != "" && g.Interval != 0:
		errs.Addf("interval", "set either interval or schedule, not both")
	case g.Schedule != "":
		if _, err := scheduleParser.Parse(g.Schedule); err != nil {
			errs.Addf("schedule", "invalid cron expression %q: %v", g.Schedule, err)
		}
	default:
		if _, err := IntervalSchedule(g.Interval.Std()); err != nil {
			errs.Add("interval", err)
		}
	}
	if g.Timezone != "" {
		if g.Schedule == "" {
			errs.Addf("timezone", "timezone applies to a schedule; an interval is aligned to UTC")
		} else if _, err := time.LoadLocation(g.Timezone); err != nil {
			errs.Addf("timezone", "unknown time zone %q", g.Timezone)
		}
	}
	if g.EvalDelay < 0 {
		errs.Addf("eval_delay", "must not be negative")
	}
	if g.Concurrency < 0 {
		errs.Addf("concurrency", "must not be negative")
	}
	if g.Limit < 0 {
		errs.Addf("limit", "must not be negative")
	}
	if g.Timeout < 0 {
		errs.Addf("timeout", "must not be negative")
	}
	if g.RestoreMaxAge < 0 {
		errs.Addf("restore_max_age", "must not be negative")
	}
	validateLabelNames(&errs, "labels", g.Labels)
	if len(g.Rules) == 0 {
		errs.Addf("rules", "a rule group needs at least one rule")
	}
	dialect := src.Dialect
	if dialect == "" {
		dialect = source.DefaultDialect
	}
	for i, r := range g.Rules {
		p := "rules[" + strconv.Itoa(i) + "]"
		errs.Add(p, r.validate(dialect, ok))
	}
	return errs.Err()
}

// validate checks one rule; the expression only when the source is known
// (its dialect decides the parser).
func (r RuleConfig) validate(dialect string, checkExpr bool) error {
	var errs field.List
	switch {
	case r.Record != "":
		errs.Addf("record", "recording rules are not supported: Seismo writes no series (keep them in Prometheus or vmalert)")
	case r.Alert == "":
		errs.Addf("alert", "a rule needs an alert name")
	case !alertNameRE.MatchString(r.Alert):
		errs.Addf("alert", "invalid alert name %q: use letters, digits, _, : and -, not starting with a digit", r.Alert)
	}
	switch {
	case strings.TrimSpace(r.Expr) == "":
		errs.Addf("expr", "a rule needs an expr")
	case checkExpr:
		errs.Add("expr", ValidateExpr(r.Expr, dialect))
	}
	if r.For < 0 {
		errs.Addf("for", "must not be negative")
	}
	if r.KeepFiringFor < 0 {
		errs.Addf("keep_firing_for", "must not be negative")
	}
	validateLabelNames(&errs, "labels", r.Labels)
	for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
		if _, err := parseTemplate(k, r.Labels[k]); err != nil {
			errs.Add(field.Join("labels", k), err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.Annotations)) {
		p := field.Join("annotations", k)
		if !model.LegacyValidation.IsValidLabelName(k) {
			errs.Addf(p, "invalid annotation name %q: use letters, digits and _, not starting with a digit", k)
			continue
		}
		if _, err := parseTemplate(k, r.Annotations[k]); err != nil {
			errs.Add(p, err)
		}
	}
	return errs.Err()
}

// validateLabelNames checks the names of labels an alert gets from the
// configuration.
func validateLabelNames(errs *field.List, path string, ls map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(ls)) {
		p := field.Join(path, k)
		switch {
		case !model.LegacyValidation.IsValidLabelName(k):
			errs.Addf(p, "invalid label name %q: use letters, digits and _, not starting with a digit", k)
		case strings.HasPrefix(k, "__"):
			errs.Addf(p, "label names starting with __ are reserved")
		case k == model.AlertNameLabel:
			errs.Addf(p, "label %q is reserved: it is the rule's alert name", k)
		}
	}
}

// IntervalSchedule returns the cron schedule that runs every d aligned to
// the clock (in UTC), or an error when d does not divide a minute, an hour
// or a day evenly: an interval like 7m would drift across hours, and a
// group's evaluation instants must be predictable.
func IntervalSchedule(d time.Duration) (string, error) {
	switch {
	case d <= 0:
		return "", errors.New("interval must be positive")
	case d%time.Second != 0:
		return "", fmt.Errorf("interval %s must be a whole number of seconds", d)
	case d < time.Minute && time.Minute%d == 0:
		return fmt.Sprintf("*/%d * * * * *", d/time.Second), nil
	case d < time.Hour && d%time.Minute == 0 && time.Hour%d == 0:
		return fmt.Sprintf("0 */%d * * * *", d/time.Minute), nil
	case d <= 24*time.Hour && d%time.Hour == 0 && (24*time.Hour)%d == 0:
		return fmt.Sprintf("0 0 */%d * * *", d/time.Hour), nil
	}
	return "", fmt.Errorf("interval %s must divide a minute, an hour or a day (e.g. 15s, 1m, 5m, 1h, 6h); use schedule for anything else", field.Duration(d))
}

// ExprError is an invalid rule expression, at a position in its text.
type ExprError struct {
	Line, Column int // 1-based; 0 when the parser gave no position
	Dialect      string
	Msg          string
}

// Error formats the error as "line:column: invalid <dialect>: message".
func (e *ExprError) Error() string {
	name := "PromQL"
	if e.Dialect == source.DialectMetricsQL {
		name = "MetricsQL"
	}
	if e.Line == 0 {
		return fmt.Sprintf("invalid %s: %s", name, e.Msg)
	}
	return fmt.Sprintf("%d:%d: invalid %s: %s", e.Line, e.Column, name, e.Msg)
}

// ValidateExpr parses an alerting rule's expression in the source's
// dialect (source.DialectMetricsQL or source.DialectPromQL) and checks
// that it yields an instant vector or a scalar, as an alert condition
// must. Errors are *ExprError with the position in expr.
func ValidateExpr(expr, dialect string) error {
	if dialect == source.DialectMetricsQL {
		e, err := metricsql.Parse(expr)
		if err != nil {
			return metricsqlError(expr, err)
		}
		if t := metricsqlType(e); t != "" {
			return &ExprError{Line: 1, Column: 1, Dialect: dialect, Msg: "an alerting rule's expression must return an instant vector, not a " + t}
		}
		return nil
	}
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		var perrs parser.ParseErrors
		if errors.As(err, &perrs) && len(perrs) > 0 {
			pe := perrs[0]
			line, col := position(expr, int(pe.PositionRange.Start))
			return &ExprError{Line: line, Column: col, Dialect: dialect, Msg: pe.Err.Error()}
		}
		return &ExprError{Dialect: dialect, Msg: err.Error()}
	}
	switch t := e.Type(); t {
	case parser.ValueTypeVector, parser.ValueTypeScalar:
		return nil
	case parser.ValueTypeMatrix:
		return &ExprError{Line: 1, Column: 1, Dialect: dialect, Msg: "an alerting rule's expression must return an instant vector, not a range vector"}
	default:
		return &ExprError{Line: 1, Column: 1, Dialect: dialect, Msg: fmt.Sprintf("an alerting rule's expression must return an instant vector, not a %s", t)}
	}
}

// metricsqlType names the result type of a top-level MetricsQL expression
// that cannot be an alert condition ("" for the ones that can).
func metricsqlType(e metricsql.Expr) string {
	switch x := e.(type) {
	case *metricsql.StringExpr:
		return "string"
	case *metricsql.RollupExpr:
		if x.Window != nil { // x[5m], or a subquery x[5m:1m]
			return "range vector"
		}
	}
	return ""
}

// metricsqlError locates a metricsql parse error. The parser reports the
// text it could not parse ("...; unparsed data: \"by (a)\""): the error is
// where that text starts, or at the end of the input when it is empty.
func metricsqlError(expr string, err error) *ExprError {
	msg := err.Error()
	e := &ExprError{Dialect: source.DialectMetricsQL, Msg: msg}
	const marker = `; unparsed data: `
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return e
	}
	rest, uerr := strconv.Unquote(msg[i+len(marker):])
	if uerr != nil {
		return e
	}
	e.Msg = msg[:i]
	trimmed := strings.TrimRight(expr, " \t\r\n")
	if !strings.HasSuffix(trimmed, rest) {
		return e
	}
	off := len(trimmed) - len(rest)
	if rest == "" {
		off = len(trimmed)
	}
	e.Line, e.Column = position(expr, off)
	return e
}

// position returns the 1-based line and column (in characters) of the byte
// offset off in s.
func position(s string, off int) (line, col int) {
	line, col = 1, 1
	for i, r := range s {
		if i >= off {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
