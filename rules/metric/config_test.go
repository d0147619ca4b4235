package metric

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/source"
)

func TestValidateExpr(t *testing.T) {
	tests := []struct {
		expr, dialect string
		want          string // "" = valid
	}{
		{`sum(rate(http_requests_total[5m])) by (job) > 3`, source.DialectPromQL, ""},
		{`sum(rate(http_requests_total[5m])) by (job) > 3`, source.DialectMetricsQL, ""},
		{`1`, source.DialectPromQL, ""}, // a scalar: one unlabelled alert
		{`range_median(latency[10m]) > 0.5`, source.DialectMetricsQL, ""},
		{`WITH (ratio(a, b) = a / b) ratio(errors_total, requests_total) > 0.1`, source.DialectMetricsQL, ""},
		{`rate(x)`, source.DialectMetricsQL, ""}, // MetricsQL's implicit window
		{`range_median(latency[10m]) > 0.5`, source.DialectPromQL, `1:1: invalid PromQL: unknown function with name "range_median"`},
		{`sum(rate(x[5m]) by (a)`, source.DialectPromQL, "1:17: invalid PromQL: unexpected <by> in aggregation"},
		{`sum(rate(x[5m]) by (a)`, source.DialectMetricsQL, `1:17: invalid MetricsQL: argList: unexpected token "by"; want ",", ")"`},
		{"sum(\n  rate(x[5m]) +* 2)", source.DialectMetricsQL, `2:16: invalid MetricsQL: singleExpr: unexpected token "*"`},
		{`rate(x[5m]`, source.DialectMetricsQL, `1:11: invalid MetricsQL: argList: unexpected token ""`},
		{`up[5m]`, source.DialectPromQL, "1:1: invalid PromQL: an alerting rule's expression must return an instant vector, not a range vector"},
		{`up[5m]`, source.DialectMetricsQL, "1:1: invalid MetricsQL: an alerting rule's expression must return an instant vector, not a range vector"},
		{`up[5m:1m]`, source.DialectMetricsQL, "not a range vector"},
		{`"text"`, source.DialectPromQL, "not a string"},
		{`"text"`, source.DialectMetricsQL, "not a string"},
	}
	for _, tt := range tests {
		err := ValidateExpr(tt.expr, tt.dialect)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ValidateExpr(%q, %s) = %v, want nil", tt.expr, tt.dialect, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ValidateExpr(%q, %s) = %v, want %q", tt.expr, tt.dialect, err, tt.want)
		}
		var ee *ExprError
		if err != nil && !errors.As(err, &ee) {
			t.Errorf("ValidateExpr(%q) error is %T, want *ExprError", tt.expr, err)
		}
	}
}

func TestIntervalSchedule(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{15 * time.Second, "*/15 * * * * *"},
		{time.Minute, "0 */1 * * * *"},
		{5 * time.Minute, "0 */5 * * * *"},
		{time.Hour, "0 0 */1 * * *"},
		{6 * time.Hour, "0 0 */6 * * *"},
		{24 * time.Hour, "0 0 */24 * * *"},
		{7 * time.Minute, ""},
		{90 * time.Second, ""},
		{1500 * time.Millisecond, ""},
		{48 * time.Hour, ""},
		{0, ""},
	}
	for _, tt := range tests {
		got, err := IntervalSchedule(tt.d)
		if tt.want == "" {
			if err == nil {
				t.Errorf("IntervalSchedule(%s) = %q, want an error", tt.d, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("IntervalSchedule(%s) = %q, %v; want %q", tt.d, got, err, tt.want)
		}
		if _, err := scheduleParser.Parse(got); err != nil {
			t.Errorf("IntervalSchedule(%s) = %q does not parse: %v", tt.d, got, err)
		}
	}
}

func TestGroupValidate(t *testing.T) {
	sources := map[string]source.Config{
		"vm":   {Type: source.TypePrometheus, URL: "http://vm:8428", Dialect: source.DialectMetricsQL},
		"prom": {Type: source.TypePrometheus, URL: "http://prom:9090", Dialect: source.DialectPromQL},
		"db":   {Type: source.TypePostgres},
	}
	ok := RuleConfig{Alert: "Up", Expr: "up == 0"}
	tests := []struct {
		name string
		g    GroupConfig
		want []string
	}{
		{"ok", GroupConfig{Source: "vm", Rules: []RuleConfig{ok}}, nil},
		{"ok schedule", GroupConfig{Source: "vm", Schedule: "0 */5 9-15 * * mon-fri", Timezone: "Asia/Shanghai", Rules: []RuleConfig{ok}}, nil},
		{"no source", GroupConfig{Rules: []RuleConfig{ok}}, []string{"source: a rule group needs a source"}},
		{"unknown source", GroupConfig{Source: "nope", Rules: []RuleConfig{ok}}, []string{`source: unknown source "nope" (defined: db, prom, vm)`}},
		{"sql source", GroupConfig{Source: "db", Rules: []RuleConfig{{Alert: "X", Expr: "SELECT 1"}}},
			[]string{`source: source "db" is a postgres source: metric rules query a prometheus source`}},
		{"dialect from source", GroupConfig{Source: "prom", Rules: []RuleConfig{{Alert: "X", Expr: "range_median(x[5m]) > 1"}}},
			[]string{`rules[0].expr: 1:1: invalid PromQL: unknown function with name "range_median"`}},
		{"both timings", GroupConfig{Source: "vm", Interval: field.Duration(time.Minute), Schedule: "@hourly", Rules: []RuleConfig{ok}},
			[]string{"interval: set either interval or schedule"}},
		{"bad interval", GroupConfig{Source: "vm", Interval: field.Duration(7 * time.Minute), Rules: []RuleConfig{ok}},
			[]string{"interval: interval 7m must divide a minute, an hour or a day"}},
		{"bad schedule", GroupConfig{Source: "vm", Schedule: "every minute", Rules: []RuleConfig{ok}},
			[]string{`schedule: invalid cron expression "every minute"`}},
		{"timezone without schedule", GroupConfig{Source: "vm", Interval: field.Duration(time.Minute), Timezone: "UTC", Rules: []RuleConfig{ok}},
			[]string{"timezone: timezone applies to a schedule"}},
		{"negatives", GroupConfig{Source: "vm", EvalDelay: -1, Concurrency: -1, Limit: -1, Timeout: -1, RestoreMaxAge: -1, Rules: []RuleConfig{ok}},
			[]string{"eval_delay: must not be negative", "concurrency: must not be negative", "limit: must not be negative", "timeout: must not be negative",
				"restore_max_age: must not be negative"}},
		{"no rules", GroupConfig{Source: "vm"}, []string{"rules: a rule group needs at least one rule"}},
		{"group labels", GroupConfig{Source: "vm", Labels: map[string]string{"alertname": "x", "__a": "b", "9": "c"}, Rules: []RuleConfig{ok}},
			[]string{`labels.9: invalid label name "9"`, "labels.__a: label names starting with __ are reserved", `labels.alertname: label "alertname" is reserved`}},
		{"rule problems", GroupConfig{Source: "vm", Rules: []RuleConfig{
			{Record: "job:up:sum", Expr: "sum(up) by (job)"},
			{Expr: "up == 0"},
			{Alert: "bad name!", Expr: ""},
			{Alert: "X", Expr: "up == 0", For: -1, KeepFiringFor: -1},
			{Alert: "Y", Expr: "up == 0", Labels: map[string]string{"sev": "{{ $labels.x "}, Annotations: map[string]string{"summary": "{{ humanise $value }}", "a-b": "x"}},
		}}, []string{
			"rules[0].record: recording rules are not supported",
			"rules[1].alert: a rule needs an alert name",
			`rules[2].alert: invalid alert name "bad name!"`,
			"rules[2].expr: a rule needs an expr",
			"rules[3].for: must not be negative",
			"rules[3].keep_firing_for: must not be negative",
			"rules[4].labels.sev: invalid template: sev:1: unclosed action",
			`rules[4].annotations.a-b: invalid annotation name "a-b"`,
			`rules[4].annotations.summary: invalid template: summary:1: function "humanise" not defined`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.g.ApplyDefaults()
			err := tt.g.Validate(sources)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var list field.List
			if !errors.As(err, &list) {
				t.Fatalf("error = %v, want a field.List", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Path+": "+e.Err.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d = %q, want prefix %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestHumanize(t *testing.T) {
	tests := []struct {
		f    func(any) (string, error)
		in   any
		want string
	}{
		{humanize, 0.0, "0"},
		{humanize, 1234.5, "1.234k"},
		{humanize, -2500000.0, "-2.5M"},
		{humanize, 999.0, "999"},
		{humanize, 0.0012, "1.2m"},
		{humanize, 3e-7, "300n"},
		{humanize, "1500", "1.5k"},
		{humanize, 7, "7"},
		{humanize1024, 2048.0, "2Ki"},
		{humanize1024, 1.5 * 1024 * 1024 * 1024, "1.5Gi"},
		{humanize1024, 0.5, "0.5"},
		{humanizeDuration, 93784.0, "1d 2h 3m 4s"},
		{humanizeDuration, 60.0, "1m"},
		{humanizeDuration, 0.25, "250ms"},
		{humanizeDuration, 0.0, "0s"},
		{humanizeDuration, -90.0, "-1m 30s"},
		{humanizeDuration, 2e-6, "2µs"},
		{humanizePercentage, 0.1234, "12.34%"},
		{humanizeTimestamp, 1700000000.5, "2023-11-14T22:13:20.5Z"},
	}
	for _, tt := range tests {
		got, err := tt.f(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%v → %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := humanize("abc"); err == nil {
		t.Error(`humanize("abc") did not fail`)
	}
	if _, err := humanize([]int{1}); err == nil {
		t.Error(`humanize([]int) did not fail`)
	}
}

func TestTemplateExpansion(t *testing.T) {
	d := &TemplateData{Labels: map[string]string{"instance": "db-1:9100", "job": "node"}, Value: 0.93, AlertName: "DiskFull", Group: "infra"}
	tests := []struct{ text, want string }{
		{"plain {text}", "plain {text}"},
		{"{{ $labels.instance }} at {{ $value | humanizePercentage }}", "db-1:9100 at 93%"},
		{"{{ .Labels.job }}/{{ .AlertName }}", "node/DiskFull"},
		{`{{ reReplaceAll ":[0-9]+$" "" $labels.instance }}`, "db-1"},
		{`{{ if match "^db-" $labels.instance }}database{{ else }}other{{ end }}`, "database"},
		{"[{{ $labels.missing }}]", "[]"},
		{`{{ printf "%.1f" $value }}`, "0.9"},
	}
	// Execution errors give the template's own column, not the header's.
	tp, err := parseTemplate("t", `ab {{ humanize $labels.job }}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tp.expand(d); err == nil || !strings.Contains(err.Error(), `t:1:7: executing "t" at <humanize $labels.job>`) {
		t.Errorf("error = %v, want it at 1:7", err)
	}
	for _, tt := range tests {
		tp, err := parseTemplate("t", tt.text)
		if err != nil {
			t.Errorf("parse %q: %v", tt.text, err)
			continue
		}
		got, err := tp.expand(d)
		if err != nil || got != tt.want {
			t.Errorf("expand %q = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
	// Output is capped.
	tp, err = parseTemplate("big", `{{ $labels.big }}{{ $labels.big }}`)
	if err != nil {
		t.Fatal(err)
	}
	d.Labels["big"] = strings.Repeat("x", 10000)
	if got, err := tp.expand(d); err == nil || got != "<error expanding template: output longer than 16384 bytes>" {
		t.Errorf("a huge expansion gave %d bytes, %v", len(got), err)
	}
}

// FuzzValidateExpr feeds arbitrary text to both dialects' validation: it
// must return nil or an *ExprError whose position lies inside the text.
func FuzzValidateExpr(f *testing.F) {
	for _, s := range []string{
		`sum(rate(x[5m])) by (a) > 3`, `sum(rate(x[5m]) by (a)`, "sum(\n  rate(x[5m]) +* 2)",
		`WITH (f(a) = a * 2) f(x) > 1`, `range_median(x[5m])`, `up[5m:1m]`, `"s"`, `{__name__=~"a|b"}`, `)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []string{source.DialectMetricsQL, source.DialectPromQL} {
			err := ValidateExpr(s, d)
			if err == nil {
				continue
			}
			var ee *ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("%s: error %v is %T, want *ExprError", d, err, err)
			}
			lines := strings.Count(s, "\n") + 1
			if ee.Line < 0 || ee.Line > lines || ee.Column < 0 || (ee.Line == 0) != (ee.Column == 0) {
				t.Fatalf("%s: position %d:%d outside %q", d, ee.Line, ee.Column, s)
			}
		}
	})
}
