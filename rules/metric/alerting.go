package metric

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/source"
)

// State is the state of one series of an alerting rule.
type State int

// States of a series. Inactive series are not kept: a series the query
// stops returning is forgotten once nothing depends on it any more.
const (
	StateInactive State = iota // not returned by the query (and not kept firing)
	StatePending               // returned, for less than the rule's for
	StateFiring                // returned for at least for, or kept firing
)

// String returns the state's name as Prometheus' ALERTS series spells it.
func (s State) String() string {
	switch s {
	case StatePending:
		return "pending"
	case StateFiring:
		return "firing"
	}
	return "inactive"
}

// Alert is one series of an alerting rule that is, or just was, active.
type Alert struct {
	// Labels: the series' labels without the metric name, the group's
	// labels, the rule's (expanded) labels, and alertname.
	Labels      labels.Labels
	Annotations map[string]string // expanded at the latest evaluation that returned the series
	State       State
	Value       float64   // at the latest evaluation that returned the series
	ActiveAt    time.Time // the evaluation that first returned it (start of pending)
	FiredAt     time.Time // the evaluation at which it started firing; zero while pending
	LastSeen    time.Time // the latest evaluation that returned it
	// KeepFiringSince is the first evaluation that no longer returned a
	// firing series that keep_firing_for keeps firing; zero otherwise.
	KeepFiringSince time.Time
	ResolvedAt      time.Time // set on the alerts of RuleResult.Resolved
}

// clone returns a copy sharing nothing mutable with a.
func (a *Alert) clone() Alert {
	c := *a
	c.Annotations = maps.Clone(a.Annotations)
	return c
}

// RuleResult is one evaluation of one alerting rule.
type RuleResult struct {
	Key     string    // the rule's state key (see SavedAlert.Rule)
	Alert   string    // the rule's alert name
	Expr    string    // its expression
	Time    time.Time // the evaluation instant
	Samples int       // series the query returned
	// Active lists the pending and firing alerts after the evaluation,
	// sorted by label set; Resolved the firing alerts that resolved at it.
	// Both are empty when Err is set.
	Active   []Alert
	Resolved []Alert
	// Err is why the evaluation failed (the query, the limit, clashing
	// label sets); the rule's state is then as it was before.
	Err error
	// FailingSince is the first evaluation of the current run of failures;
	// zero when Err is nil.
	FailingSince time.Time
	// Warnings are template expansion errors; the alerts still go out,
	// with the error in place of the text.
	Warnings []error
	// Restored and Discarded count the saved alerts the first evaluation
	// after Group.Restore installed, and the ones it dropped as too old
	// or inconsistent.
	Restored, Discarded int
}

// Counts returns how many alerts are pending and firing.
func (r RuleResult) Counts() (pending, firing int) {
	for _, a := range r.Active {
		switch a.State {
		case StatePending:
			pending++
		case StateFiring:
			firing++
		}
	}
	return pending, firing
}

// rule is a compiled alerting rule.
type rule struct {
	cfg         RuleConfig
	group       string
	groupLabels map[string]string
	labels      map[string]*tmpl
	annotations map[string]*tmpl
	limit       int
}

func newRule(cfg RuleConfig, group string, groupLabels map[string]string, limit int) (*rule, error) {
	r := &rule{cfg: cfg, group: group, groupLabels: groupLabels, limit: limit,
		labels: map[string]*tmpl{}, annotations: map[string]*tmpl{}}
	for k, v := range cfg.Labels {
		t, err := parseTemplate(k, v)
		if err != nil {
			return nil, fmt.Errorf("labels.%s: %w", k, err)
		}
		r.labels[k] = t
	}
	for k, v := range cfg.Annotations {
		t, err := parseTemplate(k, v)
		if err != nil {
			return nil, fmt.Errorf("annotations.%s: %w", k, err)
		}
		r.annotations[k] = t
	}
	return r, nil
}

// ruleState is the memory of one rule: its active alerts by label set.
type ruleState struct {
	active       map[string]*Alert // key: Labels.String()
	failingSince time.Time
}

func newRuleState() *ruleState { return &ruleState{active: map[string]*Alert{}} }

// candidate is an alert as one evaluation's sample proposes it.
type candidate struct {
	ls    labels.Labels
	value float64
	data  TemplateData
}

// eval advances st with the samples the rule's query returned at ts. On
// an error the state is left as it was.
func (r *rule) eval(st *ruleState, ts time.Time, samples []source.Sample) RuleResult {
	res := RuleResult{Alert: r.cfg.Alert, Expr: r.cfg.Expr, Time: ts, Samples: len(samples)}
	if r.limit > 0 && len(samples) > r.limit {
		res.Err = fmt.Errorf("the query returned %d series, more than the group's limit of %d", len(samples), r.limit)
		return res
	}
	cands := make(map[string]*candidate, len(samples))
	for _, s := range samples {
		c, warns := r.candidate(s)
		res.Warnings = append(res.Warnings, warns...)
		key := c.ls.String()
		if _, dup := cands[key]; dup {
			res.Err = fmt.Errorf("the query returned two series with the label set %s once the metric name is dropped and the rule's labels added; "+
				"aggregate them or keep the label that tells them apart", key)
			return res
		}
		cands[key] = c
	}

	for key, c := range cands {
		a := st.active[key]
		if a == nil {
			a = &Alert{Labels: c.ls, State: StatePending, ActiveAt: ts}
			st.active[key] = a
		}
		a.Value, a.LastSeen, a.KeepFiringSince = c.value, ts, time.Time{}
		if a.State == StatePending && ts.Sub(a.ActiveAt) >= r.cfg.For.Std() {
			a.State, a.FiredAt = StateFiring, ts
		}
		c.data.ActiveAt = a.ActiveAt
		a.Annotations, res.Warnings = r.expandAll(r.annotations, &c.data, res.Warnings)
	}
	for key, a := range st.active {
		if _, ok := cands[key]; ok {
			continue
		}
		switch {
		case a.State == StatePending:
			delete(st.active, key) // never fired: nothing to resolve
		case r.cfg.KeepFiringFor > 0:
			if a.KeepFiringSince.IsZero() {
				a.KeepFiringSince = ts
			}
			if ts.Sub(a.KeepFiringSince) < r.cfg.KeepFiringFor.Std() {
				continue
			}
			fallthrough
		default:
			delete(st.active, key)
			a.State, a.ResolvedAt = StateInactive, ts
			res.Resolved = append(res.Resolved, a.clone())
		}
	}
	for _, a := range st.active {
		res.Active = append(res.Active, a.clone())
	}
	slices.SortFunc(res.Active, func(a, b Alert) int { return labels.Compare(a.Labels, b.Labels) })
	slices.SortFunc(res.Resolved, func(a, b Alert) int { return labels.Compare(a.Labels, b.Labels) })
	return res
}

// candidate builds the alert label set one sample proposes: its labels
// without the metric name, the group's labels, the rule's expanded labels
// (each overriding the ones before), then alertname.
func (r *rule) candidate(s source.Sample) (*candidate, []error) {
	c := &candidate{value: s.V, data: TemplateData{
		Labels: s.Labels.Map(), Value: s.V, Expr: r.cfg.Expr, AlertName: r.cfg.Alert, Group: r.group,
	}}
	b := labels.NewBuilder(s.Labels)
	b.Del(model.MetricNameLabel)
	for k, v := range r.groupLabels {
		b.Set(k, v)
	}
	extra, warns := r.expandAll(r.labels, &c.data, nil)
	for k, v := range extra {
		b.Set(k, v) // an empty value deletes the label, as in Prometheus
	}
	b.Set(model.AlertNameLabel, r.cfg.Alert)
	c.ls = b.Labels()
	return c, warns
}

// expandAll expands every template of ts with d.
func (r *rule) expandAll(ts map[string]*tmpl, d *TemplateData, warns []error) (map[string]string, []error) {
	if len(ts) == 0 {
		return nil, warns
	}
	out := make(map[string]string, len(ts))
	for k, t := range ts {
		v, err := t.expand(d)
		if err != nil {
			warns = append(warns, fmt.Errorf("alert %s: %s: %w", r.cfg.Alert, k, err))
		}
		out[k] = v
	}
	return out, warns
}

// errNoQuerier is returned by a group built without a source.
var errNoQuerier = errors.New("the rule group has no source to query")
