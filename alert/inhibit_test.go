package alert

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

var errBoom = errors.New("boom")

// TestInhibitionRules checks which alerts inhibit which, rule by rule,
// without timers.
func TestInhibitionRules(t *testing.T) {
	cfg := loadConfig(t, `
route: {receiver: rec}
receivers: [{name: rec}]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [service, cluster]
  - source_matchers: ['severity=~"critical|warning"', 'kind="dup"']
    target_matchers: ['severity=~"critical|warning"', 'kind="dup"']
  - source_match: {alertname: DatacenterDown}
    target_match_re: {alertname: '.+'}
    equal: [dc]
`)
	tests := []struct {
		name   string
		fire   [][]string // label pairs of the alerts fired, in order
		target []string   // the alert whose inhibition is checked
		by     [][]string // the alerts that inhibit it
	}{
		{
			name:   "critical inhibits warning of the same service",
			fire:   [][]string{{"alertname", "A", "severity", "critical", "service", "pay"}, {"alertname", "B", "severity", "warning", "service", "pay"}},
			target: []string{"alertname", "B", "severity", "warning", "service", "pay"},
			by:     [][]string{{"alertname", "A", "severity", "critical", "service", "pay"}},
		},
		{
			name:   "different service: not inhibited",
			fire:   [][]string{{"alertname", "A", "severity", "critical", "service", "pay"}, {"alertname", "B", "severity", "warning", "service", "card"}},
			target: []string{"alertname", "B", "severity", "warning", "service", "card"},
		},
		{
			name:   "equal label absent on both counts as equal",
			fire:   [][]string{{"alertname", "A", "severity", "critical"}, {"alertname", "B", "severity", "warning"}},
			target: []string{"alertname", "B", "severity", "warning"},
			by:     [][]string{{"alertname", "A", "severity", "critical"}},
		},
		{
			name:   "equal label present on one only",
			fire:   [][]string{{"alertname", "A", "severity", "critical", "cluster", "x"}, {"alertname", "B", "severity", "warning"}},
			target: []string{"alertname", "B", "severity", "warning"},
		},
		{
			name:   "a critical is not inhibited by the rule",
			fire:   [][]string{{"alertname", "A", "severity", "critical"}, {"alertname", "B", "severity", "critical"}},
			target: []string{"alertname", "B", "severity", "critical"},
		},
		{
			name:   "alerts on both sides do not inhibit each other",
			fire:   [][]string{{"alertname", "A", "severity", "critical", "kind", "dup"}, {"alertname", "B", "severity", "warning", "kind", "dup"}},
			target: []string{"alertname", "B", "severity", "warning", "kind", "dup"},
			// Rule 0 still applies: A is critical, B a warning, and
			// neither has service or cluster.
			by: [][]string{{"alertname", "A", "severity", "critical", "kind", "dup"}},
		},
		{
			name:   "both sides, and rule 0 does not apply",
			fire:   [][]string{{"alertname", "A", "severity", "warning", "kind", "dup"}, {"alertname", "B", "severity", "warning", "kind", "dup"}},
			target: []string{"alertname", "B", "severity", "warning", "kind", "dup"},
		},
		{
			name:   "only-source alert inhibits a both-sides alert",
			fire:   [][]string{{"alertname", "DatacenterDown", "dc", "sh"}, {"alertname", "X", "dc", "sh", "severity", "critical", "kind", "dup"}},
			target: []string{"alertname", "X", "dc", "sh", "severity", "critical", "kind", "dup"},
			by:     [][]string{{"alertname", "DatacenterDown", "dc", "sh"}},
		},
		{
			name:   "a datacenter alert does not inhibit itself",
			fire:   [][]string{{"alertname", "DatacenterDown", "dc", "sh"}},
			target: []string{"alertname", "DatacenterDown", "dc", "sh"},
		},
		{
			name: "several inhibitors are all listed",
			fire: [][]string{
				{"alertname", "DatacenterDown", "dc", "sh"},
				{"alertname", "A", "severity", "critical", "dc", "sh"},
				{"alertname", "B", "severity", "warning", "dc", "sh"},
			},
			target: []string{"alertname", "B", "severity", "warning", "dc", "sh"},
			by:     [][]string{{"alertname", "DatacenterDown", "dc", "sh"}, {"alertname", "A", "severity", "critical", "dc", "sh"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewManager(cfg, Options{Logger: quietLogger})
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range tt.fire {
				m.Fire(Event{Labels: labels.FromStrings(kv...)})
			}
			a, ok := m.Alert(FingerprintOf(labels.FromStrings(tt.target...)))
			if !ok {
				t.Fatal("target alert missing")
			}
			var want []string
			for _, kv := range tt.by {
				want = append(want, FingerprintOf(labels.FromStrings(kv...)).String())
			}
			got := slices.Clone(a.Status.InhibitedBy)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("inhibited by %v, want %v", got, want)
			}
			wantState := AlertStateActive
			if len(want) > 0 {
				wantState = AlertStateSuppressed
			}
			if a.Status.State != wantState {
				t.Errorf("state %s, want %s", a.Status.State, wantState)
			}
		})
	}
}

// TestInhibitionInPipeline checks that inhibited alerts are left out of
// notifications while the source fires, and are notified once it
// resolves or times out.
func TestInhibitionInPipeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, `
route: {receiver: rec, group_by: [service], group_wait: 10s, group_interval: 1m}
receivers: [{name: rec}]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [service]
`, Options{})
		rec := r.recs["rec"]
		crit := []string{"alertname", "Down", "severity", "critical", "service", "pay"}
		warn := []string{"alertname", "Slow", "severity", "warning", "service", "pay"}
		other := []string{"alertname", "Slow", "severity", "warning", "service", "card"}
		r.fire(crit...)
		r.fire(warn...)
		r.fire(other...)
		step(10 * time.Second)
		got := rec.take()
		slices.SortFunc(got, func(a, b sent) int { return compareStrings(a.group, b.group) })
		want := []sent{
			{10 * time.Second, `{service="card"}`, "firing", []string{"firing:Slow"}},
			{10 * time.Second, `{service="pay"}`, "firing", []string{"firing:Down"}},
		}
		checkSentList(t, got, want)

		// The inhibited alert is listed, suppressed.
		a, _ := r.m.Alert(FingerprintOf(labels.FromStrings(warn...)))
		if a.Status.State != AlertStateSuppressed || len(a.Status.InhibitedBy) != 1 {
			t.Errorf("status %+v", a.Status)
		}

		r.resolve(crit...)
		step(time.Minute)
		checkSent(t, rec, []sent{{70 * time.Second, `{service="pay"}`, "firing", []string{"resolved:Down", "firing:Slow"}}})
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func checkSentList(t *testing.T, got, want []sent) {
	t.Helper()
	rec := &recorder{msgs: got}
	checkSent(t, rec, want)
}

// TestInhibitionSourceTimesOut checks that a source that stopped firing
// (resolve_timeout) no longer inhibits, without anyone resolving it.
func TestInhibitionSourceTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := loadConfig(t, `
resolve_timeout: 5m
route: {receiver: rec}
receivers: [{name: rec}]
inhibit_rules: [{source_matchers: [severity="critical"], target_matchers: [severity="warning"]}]
`)
		m, err := NewManager(cfg, Options{Logger: quietLogger})
		if err != nil {
			t.Fatal(err)
		}
		m.Fire(Event{Labels: labels.FromStrings("alertname", "A", "severity", "critical")})
		time.Sleep(4 * time.Minute)
		target := labels.FromStrings("alertname", "B", "severity", "warning")
		m.Fire(Event{Labels: target})
		if a, _ := m.Alert(FingerprintOf(target)); len(a.Status.InhibitedBy) != 1 {
			t.Fatalf("not inhibited while the source fires: %+v", a.Status)
		}
		time.Sleep(time.Minute)
		if a, _ := m.Alert(FingerprintOf(target)); len(a.Status.InhibitedBy) != 0 || a.Status.State != AlertStateActive {
			t.Errorf("still inhibited after the source timed out: %+v", a.Status)
		}
	})
}
