package engine

import (
	"fmt"
	"log/slog"
	"maps"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/rules/expr"
)

// pointRules are a monitor's analyst rules (config.Monitor.Rules) with
// what applying them needs.
type pointRules struct {
	rules *expr.PointRules
	// variants are the label sets the rules add: a series that is normal
	// again resolves its alert under each of them.
	variants []map[string]string
	log      *slog.Logger
	errors   *prometheus.CounterVec // by monitor and rule
}

// newPointRuleErrors registers seismo_point_rule_errors_total.
func newPointRuleErrors(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "seismo_point_rule_errors_total",
		Help: "Points on which a monitor's analyst rule failed to evaluate (the rule then counts as not matching).",
	}, []string{"monitor"})
	reg.MustRegister(c)
	return c
}

// compilePointRules compiles the monitor's analyst rules; a monitor
// without rules keeps points nil and judges as before.
func (m *monitor) compilePointRules(log *slog.Logger, errs *prometheus.CounterVec) error {
	if len(m.cfg.Rules) == 0 {
		return nil
	}
	rules, err := expr.CompilePointRules(m.cfg.Rules)
	if err != nil {
		return err
	}
	m.points = &pointRules{rules: rules, variants: rules.VariantLabels(), log: log.With("monitor", m.name()), errors: errs}
	return nil
}

// addEvents turns one series' judged points into events and records
// whether the series is healthy. Without analyst rules every flagged point
// is an event. With them, each point is put to the rules (expr.PointRules.
// Evaluate): a suppress rule drops its event, a label rule gives a flagged
// point's event its severity, labels and annotations, a raise rule does so
// too and also raises an event for a point the detector did not flag. The
// series is healthy when its newest point raised no event; it then
// resolves its alert under every label set the rules can give it.
func (m *monitor) addEvents(ls labels.Labels, detectorName string, results []detector.Result, res *Result) {
	if m.points == nil {
		for _, r := range results {
			if r.Anomaly {
				res.Events = append(res.Events, m.event(ls, detectorName, r))
			}
		}
		if n := len(results); n > 0 && !results[n-1].Anomaly {
			res.healthy = append(res.healthy, ls)
		}
		return
	}
	lm := ls.Map() // read-only for the rules
	last := false  // whether the newest point raised an event
	var failures int
	var firstErr error
	for _, r := range results {
		v, err := m.points.rules.Evaluate(expr.PointEnv{
			Value: r.Value, Expected: r.Expected, Lower: r.Lower, Upper: r.Upper, Score: r.Score,
			Anomaly: r.Anomaly, Time: r.T.In(m.location), Labels: lm,
		})
		if err != nil {
			failures++
			if firstErr == nil {
				firstErr = err
			}
		}
		last = false
		switch {
		case v.Suppressed:
			continue
		case r.Anomaly || v.Raise:
			res.Events = append(res.Events, m.ruleEvent(ls, detectorName, r, v))
			last = true
		}
	}
	if failures > 0 {
		m.points.errors.WithLabelValues(m.name()).Add(float64(failures))
		m.points.log.Warn("analyst rules failed on some points; they counted as not matching",
			"series", ls.String(), "points", failures, "first_error", firstErr)
	}
	if len(results) > 0 && !last {
		res.healthy = append(res.healthy, ls)
		for _, extra := range m.points.variants {
			res.healthy = append(res.healthy, withLabels(ls, extra))
		}
	}
}

// ruleEvent is the event of a point as the rules' verdict v shapes it.
func (m *monitor) ruleEvent(ls labels.Labels, detectorName string, r detector.Result, v expr.Verdict) alert.Event {
	if v.Rule == "" {
		return m.event(ls, detectorName, r)
	}
	ev := m.event(withLabels(ls, v.Labels), detectorName, r)
	if v.Raise {
		// The detector found the point normal: the default summary's
		// "outside its band" would be wrong.
		if _, ok := m.cfg.Annotations["summary"]; !ok {
			ev.Annotations["summary"] = fmt.Sprintf("%s: rule %s matched: %.4g (expected %.4g, band %.4g..%.4g)",
				m.cfg.Name, v.Rule, r.Value, r.Expected, r.Lower, r.Upper)
		}
		ev.Detector = "rule:" + v.Rule
	}
	maps.Copy(ev.Annotations, v.Annotations)
	ev.Annotations["rule"] = v.Rule
	return ev
}

// withLabels returns ls with extra set on it.
func withLabels(ls labels.Labels, extra map[string]string) labels.Labels {
	if len(extra) == 0 {
		return ls
	}
	b := labels.NewBuilder(ls)
	for k, v := range extra {
		b.Set(k, v)
	}
	return b.Labels()
}
