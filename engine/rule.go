package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/rules/metric"
	"github.com/seismo-dev/seismo/source"
)

// Event kinds of metric rule groups. They are defined here, where the
// events are made, rather than in package alert, which treats every kind
// alike.

// RuleErrorAlertName is the alertname of alert.KindRuleError events.
const RuleErrorAlertName = "MetricRuleFailing"

// ruleJob is the Job of one metric rule group.
type ruleJob struct {
	g       *metric.Group
	loc     *time.Location
	log     *slog.Logger
	metrics *ruleMetrics
	state   ruleState // saved and restored alert state (rule_state.go)
}

// addRules wires the rules of cfg: a job per metric rule group, and the
// analyst rules of every monitor (rule_points.go). New calls it once the
// sources and the monitors exist.
func (e *Engine) addRules(cfg *config.Config, globalLoc *time.Location) error {
	var pointErrors *prometheus.CounterVec
	for _, m := range e.monitors {
		if len(m.cfg.Rules) == 0 {
			continue
		}
		if pointErrors == nil {
			pointErrors = newPointRuleErrors(e.reg)
		}
		if err := m.compilePointRules(e.log, pointErrors); err != nil {
			return fmt.Errorf("monitor %q: rules: %w", m.name(), err)
		}
	}
	if len(cfg.RuleGroups) == 0 {
		return nil
	}
	rm := newRuleMetrics(e.reg)
	for _, gc := range cfg.RuleGroups {
		j, err := e.newRuleJob(gc, globalLoc, rm)
		if err != nil {
			return fmt.Errorf("rule group %q: %w", gc.Name, err)
		}
		e.addJob(j)
	}
	return nil
}

func (e *Engine) newRuleJob(gc metric.GroupConfig, globalLoc *time.Location, rm *ruleMetrics) (*ruleJob, error) {
	src, ok := e.sources[gc.Source]
	if !ok {
		return nil, fmt.Errorf("unknown source %q", gc.Source)
	}
	q, ok := src.(source.InstantQuerier)
	if !ok {
		return nil, fmt.Errorf("source %q cannot evaluate metric rules: it answers no instant queries (use a %s source)", gc.Source, source.TypePrometheus)
	}
	g, err := metric.NewGroup(gc, q)
	if err != nil {
		return nil, err
	}
	loc := time.UTC // an interval is aligned to UTC
	if gc.Schedule != "" {
		loc = globalLoc
		if gc.Timezone != "" {
			if loc, err = time.LoadLocation(gc.Timezone); err != nil {
				return nil, fmt.Errorf("timezone: %w", err)
			}
		}
	}
	return &ruleJob{g: g, loc: loc, log: e.log.With("rule_group", gc.Name), metrics: rm, state: ruleState{store: e.store}}, nil
}

// Name implements Job.
func (j *ruleJob) Name() string { return j.g.Name() }

// Kind implements Job.
func (j *ruleJob) Kind() string { return "rule" }

// Schedule implements Job.
func (j *ruleJob) Schedule() string { return j.g.Schedule() }

// Location implements Job.
func (j *ruleJob) Location() *time.Location { return j.loc }

// Timeout implements Job.
func (j *ruleJob) Timeout() time.Duration { return j.g.Config().Timeout.Std() }

// Run evaluates the group at now (scheduled) or replays it from no state
// (`seismo once`). A rule that fails does not fail the run while another
// rule of the group succeeds: it is logged, counted and raises a
// alert.KindRuleError event. When every rule fails (the source is down, say) the
// run fails, as a monitor's does when its source fails.
func (j *ruleJob) Run(ctx context.Context, now time.Time, scheduled bool) (JobResult, error) {
	var res metric.Result
	if scheduled {
		j.restore(ctx)
		res = j.g.Eval(ctx, now)
		j.restoreReport(res)
	} else {
		res = j.g.Replay(ctx, now)
	}
	if err := ctx.Err(); err != nil {
		return JobResult{}, fmt.Errorf("evaluating at %s: %w", res.Time.UTC().Format(time.RFC3339), err)
	}
	name := j.g.Name()
	var (
		jr                               JobResult
		failed                           []error
		series, pending, firing, resolve int
	)
	for _, rr := range res.Rules {
		for _, w := range rr.Warnings {
			j.log.Warn("rule template", "rule", rr.Alert, "err", w)
		}
		j.metrics.templateErrors.WithLabelValues(name, rr.Alert).Add(float64(len(rr.Warnings)))
		errLabels := j.ruleErrorLabels(rr.Alert)
		if rr.Err != nil {
			j.log.Error("rule evaluation failed", "rule", rr.Alert, "time", rr.Time, "failing_since", rr.FailingSince, "err", rr.Err)
			j.metrics.evaluations.WithLabelValues(name, rr.Alert, "failure").Inc()
			failed = append(failed, fmt.Errorf("rule %s: %w", rr.Alert, rr.Err))
			jr.Events = append(jr.Events, j.ruleErrorEvent(rr, errLabels))
			continue
		}
		j.metrics.evaluations.WithLabelValues(name, rr.Alert, "success").Inc()
		jr.Resolved = append(jr.Resolved, errLabels) // a no-op unless it was failing
		p, f := rr.Counts()
		if scheduled {
			j.metrics.alerts.WithLabelValues(name, rr.Alert, metric.StatePending.String()).Set(float64(p))
			j.metrics.alerts.WithLabelValues(name, rr.Alert, metric.StateFiring.String()).Set(float64(f))
		}
		series += rr.Samples
		pending += p
		firing += f
		resolve += len(rr.Resolved)
		for _, a := range rr.Active {
			if a.State == metric.StateFiring {
				jr.Events = append(jr.Events, j.alertEvent(rr, a))
			}
		}
		for _, a := range rr.Resolved {
			jr.Resolved = append(jr.Resolved, a.Labels)
		}
	}
	if len(failed) > 0 && len(failed) == len(res.Rules) {
		return JobResult{}, fmt.Errorf("every rule failed at %s: %w", res.Time.UTC().Format(time.RFC3339), errors.Join(failed...))
	}
	if scheduled {
		j.persist(ctx, res.Time) // after the all-failed return: no rule confirmed the state then
	}
	how := "evaluated"
	if !scheduled {
		how = "replayed"
	}
	jr.Summary = fmt.Sprintf("rule group %s: %d rules %s at %s, %d series, %d pending, %d firing, %d resolved, %d failed",
		name, len(res.Rules), how, res.Time.UTC().Format(time.RFC3339), series, pending, firing, resolve, len(failed))
	if len(failed) > 0 {
		jr.Summary += " (" + truncateText(errors.Join(failed...).Error(), 300) + ")"
	}
	return jr, nil
}

// alertEvent is the event of a firing alert. Its time is when the alert
// started firing, so that the store keeps one event per firing episode
// while the alert manager is refreshed at every evaluation.
func (j *ruleJob) alertEvent(rr metric.RuleResult, a metric.Alert) alert.Event {
	ann := maps.Clone(a.Annotations)
	if ann == nil {
		ann = map[string]string{}
	}
	if _, ok := ann["summary"]; !ok {
		ann["summary"] = fmt.Sprintf("%s is firing (value %.4g)", rr.Alert, a.Value)
	}
	if _, ok := ann["expr"]; !ok {
		ann["expr"] = rr.Expr
	}
	return alert.Event{
		Kind:        alert.KindMetricRule,
		Job:         j.g.Name(),
		Labels:      a.Labels,
		Annotations: ann,
		Time:        a.FiredAt,
		Value:       a.Value,
		Detector:    string(alert.KindMetricRule),
	}
}

// ruleErrorLabels is the label set of a rule's alert.KindRuleError alert.
func (j *ruleJob) ruleErrorLabels(rule string) labels.Labels {
	b := labels.NewBuilder(labels.EmptyLabels())
	for k, v := range j.g.Config().Labels {
		b.Set(k, v)
	}
	b.Set("alertname", RuleErrorAlertName)
	b.Set("rule_group", j.g.Name())
	b.Set("rule", rule)
	return b.Labels()
}

func (j *ruleJob) ruleErrorEvent(rr metric.RuleResult, ls labels.Labels) alert.Event {
	return alert.Event{
		Kind:   alert.KindRuleError,
		Job:    j.g.Name(),
		Labels: ls,
		Annotations: map[string]string{
			"summary": fmt.Sprintf("metric rule %s of group %s cannot be evaluated: %s", rr.Alert, j.g.Name(), truncateText(rr.Err.Error(), 500)),
			"expr":    rr.Expr,
		},
		Time:     rr.FailingSince,
		Value:    0,
		Detector: string(alert.KindRuleError),
	}
}

// truncateText cuts s to at most n bytes, marking the cut.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// ruleMetrics are the metric rule groups' own metrics.
type ruleMetrics struct {
	evaluations    *prometheus.CounterVec
	alerts         *prometheus.GaugeVec
	templateErrors *prometheus.CounterVec
	// restored counts saved alerts at a restart by result: restored,
	// discarded (too old or inconsistent), unmatched (rule removed or
	// changed); stateSaveFailures the saves of the state that failed.
	restored          *prometheus.CounterVec
	stateSaveFailures *prometheus.CounterVec
}

func newRuleMetrics(reg prometheus.Registerer) *ruleMetrics {
	m := &ruleMetrics{
		evaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seismo_rule_evaluations_total",
			Help: "Evaluations of metric rules by group, rule and result (success or failure).",
		}, []string{"group", "rule", "result"}),
		alerts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "seismo_rule_alerts",
			Help: "Active alerts of metric rules by group, rule and state (pending or firing), as of the last scheduled evaluation.",
		}, []string{"group", "rule", "state"}),
		templateErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seismo_rule_template_errors_total",
			Help: "Label and annotation templates of metric rules that failed to expand.",
		}, []string{"group", "rule"}),
	}
	m.restored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "seismo_rule_state_restored_alerts_total",
		Help: "Saved alerts of metric rules at a restart by group and result: restored, discarded (too old or inconsistent), unmatched (rule removed or changed).",
	}, []string{"group", "result"})
	m.stateSaveFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "seismo_rule_state_save_failures_total",
		Help: "Saves of metric rule groups' alert state that failed.",
	}, []string{"group"})
	reg.MustRegister(m.evaluations, m.alerts, m.templateErrors, m.restored, m.stateSaveFailures)
	return m
}
