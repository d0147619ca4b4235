package metric

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/source"
)

func mustRule(t *testing.T, cfg RuleConfig, groupLabels map[string]string, limit int) *rule {
	t.Helper()
	r, err := newRule(cfg, "g", groupLabels, limit)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sample(v float64, kv ...string) source.Sample {
	return source.Sample{Labels: labels.FromStrings(kv...), V: v}
}

// step is one evaluation of a state machine test: what the query returns
// and what the rule reports.
type step struct {
	samples  []source.Sample
	active   map[string]State // label set → state
	resolved []string         // label sets
}

func runSteps(t *testing.T, r *rule, start time.Time, every time.Duration, steps []step) {
	t.Helper()
	st := newRuleState()
	for i, s := range steps {
		ts := start.Add(time.Duration(i) * every)
		res := r.eval(st, ts, s.samples)
		if res.Err != nil {
			t.Fatalf("step %d: %v", i, res.Err)
		}
		got := map[string]State{}
		for _, a := range res.Active {
			got[a.Labels.String()] = a.State
		}
		if s.active == nil {
			s.active = map[string]State{}
		}
		if diff := cmp.Diff(s.active, got); diff != "" {
			t.Errorf("step %d (%s): active (-want +got):\n%s", i, ts.Format("15:04"), diff)
		}
		var resolved []string
		for _, a := range res.Resolved {
			resolved = append(resolved, a.Labels.String())
			if !a.ResolvedAt.Equal(ts) || a.State != StateInactive {
				t.Errorf("step %d: resolved alert %s: at %v state %v", i, a.Labels, a.ResolvedAt, a.State)
			}
		}
		if diff := cmp.Diff(s.resolved, resolved); diff != "" {
			t.Errorf("step %d (%s): resolved (-want +got):\n%s", i, ts.Format("15:04"), diff)
		}
	}
}

func TestRuleStateMachine(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	a := sample(5, "__name__", "errors", "instance", "a")
	b := sample(7, "__name__", "errors", "instance", "b")
	const la, lb = `{alertname="Errors", instance="a", severity="page"}`, `{alertname="Errors", instance="b", severity="page"}`
	labelsCfg := map[string]string{"severity": "page"}

	t.Run("for 2m: pending, firing, resolved", func(t *testing.T) {
		r := mustRule(t, RuleConfig{Alert: "Errors", Expr: "errors > 0", For: field.Duration(2 * time.Minute), Labels: labelsCfg}, nil, 0)
		runSteps(t, r, start, time.Minute, []step{
			{samples: nil},
			{samples: []source.Sample{a}, active: map[string]State{la: StatePending}},
			{samples: []source.Sample{a, b}, active: map[string]State{la: StatePending, lb: StatePending}},
			{samples: []source.Sample{a, b}, active: map[string]State{la: StateFiring, lb: StatePending}}, // a: 2m since 09:31
			{samples: []source.Sample{a}, active: map[string]State{la: StateFiring}},                      // b never fired: dropped, not resolved
			{samples: nil, resolved: []string{la}},
			{samples: nil},
		})
	})
	t.Run("for 0 fires at once", func(t *testing.T) {
		r := mustRule(t, RuleConfig{Alert: "Errors", Expr: "errors > 0", Labels: labelsCfg}, nil, 0)
		runSteps(t, r, start, time.Minute, []step{
			{samples: []source.Sample{a}, active: map[string]State{la: StateFiring}},
			{samples: nil, resolved: []string{la}},
		})
	})
	t.Run("keep_firing_for 2m", func(t *testing.T) {
		r := mustRule(t, RuleConfig{Alert: "Errors", Expr: "errors > 0", For: field.Duration(time.Minute),
			KeepFiringFor: field.Duration(2 * time.Minute), Labels: labelsCfg}, nil, 0)
		runSteps(t, r, start, time.Minute, []step{
			{samples: []source.Sample{a}, active: map[string]State{la: StatePending}},
			{samples: []source.Sample{a}, active: map[string]State{la: StateFiring}},
			{samples: nil, active: map[string]State{la: StateFiring}},                // kept since 09:32
			{samples: []source.Sample{a}, active: map[string]State{la: StateFiring}}, // back: the keep clock resets
			{samples: nil, active: map[string]State{la: StateFiring}},                // kept since 09:34
			{samples: nil, active: map[string]State{la: StateFiring}},                // 1m < 2m
			{samples: nil, resolved: []string{la}},                                   // 2m: resolved
		})
	})
	t.Run("a pending alert that flaps starts over", func(t *testing.T) {
		r := mustRule(t, RuleConfig{Alert: "Errors", Expr: "errors > 0", For: field.Duration(2 * time.Minute), Labels: labelsCfg}, nil, 0)
		runSteps(t, r, start, time.Minute, []step{
			{samples: []source.Sample{a}, active: map[string]State{la: StatePending}},
			{samples: []source.Sample{a}, active: map[string]State{la: StatePending}},
			{samples: nil},
			{samples: []source.Sample{a}, active: map[string]State{la: StatePending}},
			{samples: []source.Sample{a}, active: map[string]State{la: StatePending}},
			{samples: []source.Sample{a}, active: map[string]State{la: StateFiring}},
		})
	})
}

func TestRuleAlertFields(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	r := mustRule(t, RuleConfig{
		Alert: "LatencyHigh", Expr: "latency > 0.5", For: field.Duration(time.Minute),
		Labels: map[string]string{"severity": "critical", "team": "", "sys": "{{ $labels.system | toUpper }}"},
		Annotations: map[string]string{
			"summary":     "{{ $labels.system }} p99 is {{ $value | humanize }}s",
			"description": "{{ $alertName }} in {{ $group }} since {{ $activeAt.Format \"15:04\" }}; expr {{ $expr }}",
		},
	}, map[string]string{"team": "oms", "env": "prod"}, 0)
	st := newRuleState()
	s := sample(0.734, "__name__", "latency", "system", "oms", "env", "uat")
	r.eval(st, start, []source.Sample{s})
	s.V = 1234.5
	res := r.eval(st, start.Add(time.Minute), []source.Sample{s})
	if res.Err != nil || len(res.Warnings) > 0 {
		t.Fatalf("eval: %v %v", res.Err, res.Warnings)
	}
	if len(res.Active) != 1 {
		t.Fatalf("active = %v", res.Active)
	}
	got := res.Active[0]
	// The metric name is dropped; group labels override the series', rule
	// labels the group's; an empty rule label deletes the label.
	wantLabels := labels.FromStrings("alertname", "LatencyHigh", "env", "prod", "severity", "critical", "sys", "OMS", "system", "oms")
	if !labels.Equal(got.Labels, wantLabels) {
		t.Errorf("labels = %s, want %s", got.Labels, wantLabels)
	}
	want := Alert{
		Labels: wantLabels, State: StateFiring, Value: 1234.5,
		ActiveAt: start, FiredAt: start.Add(time.Minute), LastSeen: start.Add(time.Minute),
		Annotations: map[string]string{
			"summary":     "oms p99 is 1.234ks", // 1234.5 to four significant digits
			"description": "LatencyHigh in g since 09:30; expr latency > 0.5",
		},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(labels.Equal)); diff != "" {
		t.Errorf("alert (-want +got):\n%s", diff)
	}
}

func TestRuleEvalErrors(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	t.Run("duplicate label sets", func(t *testing.T) {
		r := mustRule(t, RuleConfig{Alert: "X", Expr: "x"}, nil, 0)
		st := newRuleState()
		r.eval(st, start, []source.Sample{sample(1, "__name__", "x", "i", "1")})
		res := r.eval(st, start.Add(time.Minute), []source.Sample{sample(1, "__name__", "x", "i", "1"), sample(1, "__name__", "y", "i", "1")})
		if res.Err == nil || !strings.Contains(res.Err.Error(), `two series with the label set {alertname="X", i="1"}`) {
			t.Errorf("err = %v", res.Err)
		}
		if len(st.active) != 1 || st.active[`{alertname="X", i="1"}`].LastSeen != start {
			t.Errorf("a failed evaluation changed the state: %v", st.active)
		}
	})
	t.Run("limit", func(t *testing.T) {
		r := mustRule(t, RuleConfig{Alert: "X", Expr: "x"}, nil, 1)
		res := r.eval(newRuleState(), start, []source.Sample{sample(1, "i", "1"), sample(1, "i", "2")})
		if res.Err == nil || !strings.Contains(res.Err.Error(), "returned 2 series, more than the group's limit of 1") {
			t.Errorf("err = %v", res.Err)
		}
	})
	t.Run("template error", func(t *testing.T) {
		r := mustRule(t, RuleConfig{Alert: "X", Expr: "x", Annotations: map[string]string{"summary": "{{ $labels.i | humanize }}"}}, nil, 0)
		res := r.eval(newRuleState(), start, []source.Sample{sample(1, "i", "abc")})
		if res.Err != nil || len(res.Warnings) != 1 || len(res.Active) != 1 {
			t.Fatalf("res = %+v", res)
		}
		if s := res.Active[0].Annotations["summary"]; !strings.HasPrefix(s, "<error expanding template:") || !strings.Contains(s, `not a number: "abc"`) {
			t.Errorf("summary = %q", s)
		}
	})
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{StateInactive: "inactive", StatePending: "pending", StateFiring: "firing"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), want)
		}
	}
}
