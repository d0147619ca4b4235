package expr

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/seismo-dev/seismo/config/field"
)

// Actions of a rule (RuleConfig.Action).
const (
	// ActionLabel (the default) gives a finding the rule's severity,
	// labels and annotations. The first label rule that matches decides.
	ActionLabel = "label"
	// ActionSuppress drops a finding: no event, no alert. Any suppress
	// rule that matches decides, before label and raise rules.
	ActionSuppress = "suppress"
	// ActionRaise (point rules only) is a label rule that also applies to
	// points the detector did not flag: it raises an event for them.
	ActionRaise = "raise"
)

// SeverityLabel is the label a rule's severity sets.
const SeverityLabel = "severity"

var ruleNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_:-]*$`)

// RuleConfig is one analyst rule as configured, for the rows of a check
// (its when is a row rule) or the points of a monitor (a point rule), for
// example
//
//	{name: frozen_vs_normal, when: 'left.status == "FROZEN"', severity: critical}
type RuleConfig struct {
	Name        string            `yaml:"name"`
	When        string            `yaml:"when"`                  // the expression
	Action      string            `yaml:"action,omitempty"`      // label (default), suppress or raise
	Severity    string            `yaml:"severity,omitempty"`    // sets the severity label
	Labels      map[string]string `yaml:"labels,omitempty"`      // added to the finding's label set
	Annotations map[string]string `yaml:"annotations,omitempty"` // added to the finding's annotations
}

// Validate checks everything but the expression, whose environment
// depends on where the rule is used (CompileRowRules, CompilePointRules).
// Errors are a field.List with paths relative to the rule.
func (c RuleConfig) Validate() error {
	var errs field.List
	switch {
	case c.Name == "":
		errs.Addf("name", "a rule needs a name")
	case !ruleNameRE.MatchString(c.Name):
		errs.Addf("name", "invalid rule name %q: use letters, digits, _, : and -, not starting with a digit", c.Name)
	}
	switch c.Action {
	case "", ActionLabel, ActionRaise:
	case ActionSuppress:
		if c.Severity != "" || len(c.Labels) > 0 || len(c.Annotations) > 0 {
			errs.Addf("action", "a suppress rule drops the finding: severity, labels and annotations would never be used")
		}
	default:
		errs.Addf("action", "unknown action %q (valid: %s, %s, %s)", c.Action, ActionLabel, ActionSuppress, ActionRaise)
	}
	if c.Severity != "" && strings.TrimSpace(c.Severity) != c.Severity {
		errs.Addf("severity", "severity %q has leading or trailing spaces", c.Severity)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
		p := field.Join("labels", k)
		switch {
		case !model.LegacyValidation.IsValidLabelName(k):
			errs.Addf(p, "invalid label name %q: use letters, digits and _, not starting with a digit", k)
		case strings.HasPrefix(k, "__"):
			errs.Addf(p, "label names starting with __ are reserved")
		case k == model.AlertNameLabel:
			errs.Addf(p, "label %q is reserved: it names the job that raised the finding", k)
		case k == SeverityLabel && c.Severity != "":
			errs.Addf(p, "set the severity either with severity: or with labels.severity, not both")
		}
	}
	return errs.Err()
}

// labels returns the labels the rule adds, severity included.
func (c RuleConfig) labels() map[string]string {
	out := maps.Clone(c.Labels)
	if c.Severity != "" {
		if out == nil {
			out = map[string]string{}
		}
		out[SeverityLabel] = c.Severity
	}
	return out
}

func (c RuleConfig) action() string {
	if c.Action == "" {
		return ActionLabel
	}
	return c.Action
}

// Verdict is what a rule set decided about one finding.
type Verdict struct {
	// Rule names the rule that decided; "" when none matched.
	Rule string
	// Suppressed: a suppress rule matched; drop the finding.
	Suppressed bool
	// Raise: a raise rule matched a point the detector did not flag;
	// raise an event for it.
	Raise bool
	// Labels (severity included) and Annotations of the deciding label
	// or raise rule, to add to the finding's. Nil when none matched.
	Labels      map[string]string
	Annotations map[string]string
}

// compiledRule is one rule of a set.
type compiledRule struct {
	cfg   RuleConfig
	match func(env any) (bool, error)
}

// ruleSet holds compiled rules in their configured order.
type ruleSet struct{ rules []compiledRule }

// compileSet validates and compiles cfgs, reporting every problem with a
// path relative to the list ("[2].when").
func compileSet(cfgs []RuleConfig, allowRaise bool, comp func(src string) (func(any) (bool, error), error)) (ruleSet, error) {
	var errs field.List
	var set ruleSet
	seen := map[string]int{}
	for i, c := range cfgs {
		p := "[" + strconv.Itoa(i) + "]"
		errs.Add(p, c.Validate())
		if j, dup := seen[c.Name]; dup && c.Name != "" {
			errs.Addf(p+".name", "rule name %q is already used by [%d]", c.Name, j)
		} else {
			seen[c.Name] = i
		}
		if c.Action == ActionRaise && !allowRaise {
			errs.Addf(p+".action", "action raise applies to a monitor's points only: every row a check reports is already a finding")
		}
		if strings.TrimSpace(c.When) == "" {
			errs.Addf(p+".when", "a rule needs a when expression")
			continue
		}
		m, err := comp(c.When)
		if err != nil {
			errs.Add(p+".when", err)
			continue
		}
		set.rules = append(set.rules, compiledRule{cfg: c, match: m})
	}
	if err := errs.Err(); err != nil {
		return ruleSet{}, err
	}
	return set, nil
}

// evaluate applies the set to one finding. flagged says whether the
// finding exists without the rules (a row always does; a point when the
// detector flagged it). A rule that fails to evaluate counts as not
// matching, so a broken rule never hides a finding; its error is returned
// (joined with the others') next to the verdict, which stays valid.
func (s ruleSet) evaluate(env any, flagged bool) (Verdict, error) {
	var errs []error
	try := func(r compiledRule) bool {
		ok, err := r.match(env)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %q: %w", r.cfg.Name, err))
		}
		return ok
	}
	for _, r := range s.rules {
		if r.cfg.action() == ActionSuppress && try(r) {
			return Verdict{Rule: r.cfg.Name, Suppressed: true}, errors.Join(errs...)
		}
	}
	for _, r := range s.rules {
		switch a := r.cfg.action(); {
		case a == ActionSuppress:
			continue
		case a == ActionLabel && !flagged:
			continue
		}
		if try(r) {
			return Verdict{
				Rule:        r.cfg.Name,
				Raise:       !flagged,
				Labels:      r.cfg.labels(),
				Annotations: maps.Clone(r.cfg.Annotations),
			}, errors.Join(errs...)
		}
	}
	return Verdict{}, errors.Join(errs...)
}

// Len returns the number of rules in the set.
func (s ruleSet) Len() int { return len(s.rules) }

// RowRules is a compiled list of row rules. The zero value (no rules)
// decides nothing. It is safe for concurrent use.
type RowRules struct{ set ruleSet }

// CompileRowRules validates and compiles the rules of a check. Errors are
// a field.List with paths relative to the list ("[1].when: 1:6: ...").
func CompileRowRules(cfgs []RuleConfig, opts ...RowOption) (*RowRules, error) {
	set, err := compileSet(cfgs, false, func(src string) (func(any) (bool, error), error) {
		r, err := CompileRow(src, opts...)
		if err != nil {
			return nil, err
		}
		return func(env any) (bool, error) { return r.Match(env.(RowEnv)) }, nil
	})
	if err != nil {
		return nil, err
	}
	return &RowRules{set: set}, nil
}

// Evaluate decides about one row: a matching suppress rule drops it;
// otherwise the first matching label rule gives it its severity, labels
// and annotations. The error lists the rules that failed to evaluate; the
// verdict is valid even then (failed rules count as not matching).
func (r *RowRules) Evaluate(env RowEnv) (Verdict, error) {
	if r == nil {
		return Verdict{}, nil
	}
	return r.set.evaluate(env, true)
}

// Len returns the number of rules.
func (r *RowRules) Len() int {
	if r == nil {
		return 0
	}
	return r.set.Len()
}

// PointRules is a compiled list of point rules. It is safe for
// concurrent use; a nil *PointRules decides nothing.
type PointRules struct{ set ruleSet }

// CompilePointRules validates and compiles the rules of a monitor. Errors
// are a field.List with paths relative to the list.
func CompilePointRules(cfgs []RuleConfig) (*PointRules, error) {
	set, err := compileSet(cfgs, true, func(src string) (func(any) (bool, error), error) {
		r, err := CompilePoint(src)
		if err != nil {
			return nil, err
		}
		return func(env any) (bool, error) { return r.Match(env.(PointEnv)) }, nil
	})
	if err != nil {
		return nil, err
	}
	return &PointRules{set: set}, nil
}

// Evaluate decides about one point: a matching suppress rule drops its
// event; otherwise, for a point the detector flagged (env.Anomaly), the
// first matching label or raise rule gives the event its severity, labels
// and annotations, and for a point it did not flag, the first matching
// raise rule raises an event. The error lists the rules that failed to
// evaluate; the verdict is valid even then.
func (r *PointRules) Evaluate(env PointEnv) (Verdict, error) {
	if r == nil {
		return Verdict{}, nil
	}
	return r.set.evaluate(env, env.Anomaly)
}

// Len returns the number of rules.
func (r *PointRules) Len() int {
	if r == nil {
		return 0
	}
	return r.set.Len()
}

// VariantLabels returns, for each label or raise rule, the labels it adds
// (severity included), in order. A series that returns to normal resolves
// the alerts of every variant of its label set.
func (r *PointRules) VariantLabels() []map[string]string {
	if r == nil {
		return nil
	}
	var out []map[string]string
	for _, c := range r.set.rules {
		if c.cfg.action() != ActionSuppress {
			if ls := c.cfg.labels(); len(ls) > 0 {
				out = append(out, ls)
			}
		}
	}
	return out
}
