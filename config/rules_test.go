package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRuleGroups(t *testing.T) {
	cfg, err := Parse([]byte(`
global: {timezone: Asia/Shanghai}
sources:
  vm: {type: prometheus, url: "http://127.0.0.1:8428"}
  prom: {type: prometheus, url: "http://127.0.0.1:9090", dialect: promql}
monitors:
  - name: openings
    schedule: "@every 1m"
    query: {source: vm, expr: 'sum(rate(account_open_total[5m])) by (channel)'}
    rules:
      - {name: overnight, when: 'hour(time) < 6', action: suppress}
      - {name: deep_drop, when: 'value < expected * 0.5', severity: critical}
rule_groups:
  - name: trading-health
    source: vm
    rules:
      - alert: RejectsHigh
        expr: 'range_median(sum(rate(order_rejects_total[1m])) by (market)[10m]) > 3'
        for: 2m
        annotations: {summary: '{{ $labels.market }}: {{ $value | humanize }}/s'}
  - name: prom-health
    source: prom
    schedule: "0 */5 9-15 * * mon-fri"
    rules:
      - {alert: Down, expr: 'up == 0', keep_firing_for: 10m}
`), "seismo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.RuleGroups) != 2 || cfg.RuleGroups[0].Interval.Std() != time.Minute || cfg.RuleGroups[1].Interval != 0 {
		t.Errorf("rule groups = %+v", cfg.RuleGroups)
	}
	if r := cfg.Monitors[0].Rules; len(r) != 2 || r[1].Severity != "critical" {
		t.Errorf("monitor rules = %+v", r)
	}
}

func TestRuleGroupErrors(t *testing.T) {
	_, err := Parse([]byte(`
sources:
  vm: {type: prometheus, url: "http://127.0.0.1:8428"}
  prom: {type: prometheus, url: "http://127.0.0.1:9090", dialect: promql}
  db: {type: sqlite, dsn: "x.db"}
monitors:
  - name: openings
    schedule: "@every 1m"
    query: {source: vm, expr: up}
    rules:
      - {name: typo, when: 'valeu < expected'}
      - {name: raise, when: 'value == 0', action: raise, severity: " critical"}
rule_groups:
  - name: openings
    source: db
    interval: 7m
    rules:
      - {alert: A, expr: 'up == 0'}
  - name: prom
    source: prom
    rules:
      - alert: B
        expr: 'sum(rate(x[5m]) by (a)'
      - {record: 'job:up:sum', expr: 'sum(up) by (job)'}
      - {alert: C, expr: 'range_median(x[5m]) > 1', annotations: {summary: '{{ $labels.a '}}
  - name: vm
    source: nowhere
    rules: [{alert: D, expr: 'up'}]
  - name: fast
    source: vm
    interval: 1s
    rules: [{alert: E, expr: 'up'}]
`), "seismo.yaml")
	if err == nil {
		t.Fatal("invalid rules accepted")
	}
	for _, want := range []string{
		`seismo.yaml:11:22: monitors[0].rules[0].when: 1:1: unknown name valeu (did you mean value?)`,
		`seismo.yaml:12:58: monitors[0].rules[1].severity: severity " critical" has leading or trailing spaces`,
		`seismo.yaml:14:5: rule_groups[0].name: name "openings" is already used by monitors[0]`,
		`seismo.yaml:15:5: rule_groups[0].source: source "db" is a sqlite source: metric rules query a prometheus source`,
		`seismo.yaml:16:5: rule_groups[0].interval: interval 7m must divide a minute, an hour or a day`,
		`seismo.yaml:23:9: rule_groups[1].rules[0].expr: 1:17: invalid PromQL: unexpected <by> in aggregation`,
		`seismo.yaml:24:10: rule_groups[1].rules[1].record: recording rules are not supported`,
		`seismo.yaml:25:20: rule_groups[1].rules[2].expr: 1:1: invalid PromQL: unknown function with name "range_median"`,
		`seismo.yaml:25:67: rule_groups[1].rules[2].annotations.summary: invalid template: summary:1: unclosed action`,
		`seismo.yaml:27:5: rule_groups[2].source: unknown source "nowhere" (defined: db, prom, vm)`,
		`seismo.yaml:31:5: rule_groups[3].interval: interval 1s must be longer than global.max_jitter (2s)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack\n  %s\ngot:\n%s", want, err)
		}
	}
}

// TestRulesDocExample keeps the metric rules example of docs/rules.md valid.
func TestRulesDocExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Metric rules")
	if !ok {
		t.Fatal("docs/rules.md has no \"## Metric rules\" section")
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatal("no yaml block under Metric rules")
	}
	example, _, _ := strings.Cut(rest, "```")
	cfg, err := Parse([]byte(example), "rules.md")
	if err != nil {
		t.Fatalf("the documented example does not load:\n%v", err)
	}
	if len(cfg.RuleGroups) != 1 || len(cfg.RuleGroups[0].Rules) != 2 {
		t.Errorf("rule groups = %+v", cfg.RuleGroups)
	}
}
