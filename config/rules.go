package config

import (
	"github.com/seismo-dev/seismo/rules/expr"
)

// validateRuleGroups checks the metric rule groups: their names (in the
// job namespace), then everything else through metric.GroupConfig.Validate,
// which checks each rule's expression in its source's dialect. It fills
// the groups' defaults first.
func (l *loader) validateRuleGroups(c *Config, jobs map[string]string) {
	for i := range c.RuleGroups {
		p := indexPath("rule_groups", i)
		g := &c.RuleGroups[i]
		g.ApplyDefaults()
		l.validateJobName(jobs, p, "rule_group", g.Name)
		l.errs.Add(p, g.Validate(c.Sources))
		// A run evaluates at its tick truncated to the interval: a start
		// delayed by a whole interval would evaluate the wrong instant.
		if g.Interval > 0 && g.Interval <= c.Global.MaxJitter {
			l.errs.Addf(p+".interval", "interval %s must be longer than global.max_jitter (%s)", g.Interval, c.Global.MaxJitter)
		}
	}
}

// validateMonitorRules compiles a monitor's analyst rules, so that a typo
// in an expression is an error with its position when the configuration
// loads.
func (l *loader) validateMonitorRules(p string, m *Monitor) {
	if len(m.Rules) == 0 {
		return
	}
	_, err := expr.CompilePointRules(m.Rules)
	l.errs.Add(p+".rules", err)
}
