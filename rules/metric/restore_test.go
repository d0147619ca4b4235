package metric

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
)

// restoreStep is one evaluation after a restore: whether the series is
// returned and what the rule reports.
type restoreStep struct {
	at       time.Duration // after t0
	returned bool
	state    string    // "", pending, firing or resolved
	activeAt time.Time // of the active alert, when state is pending or firing
	firedAt  time.Time // of a firing alert
}

func TestGroupRestore(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC) // a Monday
	const expr = "errors > 0"
	alertLabels := labels.FromStrings("alertname", "Errors", "i", "a")
	groupCfg := func(mod func(*GroupConfig)) GroupConfig {
		g := GroupConfig{Name: "g", Source: "vm", Interval: field.Duration(30 * time.Second), Rules: []RuleConfig{
			{Alert: "Errors", Expr: expr, For: field.Duration(2 * time.Minute)},
		}}
		if mod != nil {
			mod(&g)
		}
		return g
	}
	pending := func(activeAt time.Time) SavedAlert {
		return SavedAlert{Labels: alertLabels, State: StatePending, ActiveAt: activeAt}
	}
	firing := func(activeAt, firedAt time.Time) SavedAlert {
		return SavedAlert{Labels: alertLabels, State: StateFiring, ActiveAt: activeAt, FiredAt: firedAt}
	}
	min := func(n float64) time.Duration { return time.Duration(n * float64(time.Minute)) }
	friday := time.Date(2026, 2, 27, 15, 55, 0, 0, time.UTC)

	for _, tc := range []struct {
		name        string
		cfg         func(*GroupConfig)
		saved       SavedAlert
		otherKey    bool          // save it under a rule key the group no longer has
		evaluatedAt time.Duration // of the saved state, after t0
		steps       []restoreStep
		restored    int
		discarded   int
	}{
		{
			name: "pending 90s of for 2m fires 30s after the restart", saved: pending(t0), evaluatedAt: min(1.5),
			steps:    []restoreStep{{at: min(2), returned: true, state: "firing", activeAt: t0, firedAt: t0.Add(min(2))}},
			restored: 1,
		},
		{
			name: "pending 90s, a restart that misses one evaluation fires at the first", saved: pending(t0), evaluatedAt: min(1.5),
			steps:    []restoreStep{{at: min(2.5), returned: true, state: "firing", activeAt: t0, firedAt: t0.Add(min(2.5))}},
			restored: 1,
		},
		{
			name: "firing keeps its start", saved: firing(t0, t0.Add(min(2))), evaluatedAt: min(10),
			steps: []restoreStep{
				{at: min(10.5), returned: true, state: "firing", activeAt: t0, firedAt: t0.Add(min(2))},
				{at: min(11), returned: false, state: "resolved"},
			},
			restored: 1,
		},
		{
			name: "a pending alert whose condition ended is forgotten", saved: pending(t0), evaluatedAt: min(1.5),
			steps:    []restoreStep{{at: min(2), returned: false, state: ""}, {at: min(2.5), returned: true, state: "pending", activeAt: t0.Add(min(2.5))}},
			restored: 1,
		},
		{
			name: "keep_firing_for carries on from its saved start",
			cfg:  func(g *GroupConfig) { g.Rules[0].KeepFiringFor = field.Duration(2 * time.Minute) },
			saved: SavedAlert{Labels: alertLabels, State: StateFiring, ActiveAt: t0, FiredAt: t0.Add(min(2)),
				KeepFiringSince: t0.Add(min(5))},
			evaluatedAt: min(6),
			steps: []restoreStep{
				{at: min(6.5), returned: false, state: "firing", activeAt: t0, firedAt: t0.Add(min(2))},
				{at: min(7), returned: false, state: "resolved"}, // 2m since 09:35
			},
			restored: 1,
		},
		{
			// Default bound: for 2m + 3 × 30s = 3m30s.
			name: "at the default bound it is restored", saved: pending(t0), evaluatedAt: min(1.5),
			steps:    []restoreStep{{at: min(5), returned: true, state: "firing", activeAt: t0, firedAt: t0.Add(min(5))}},
			restored: 1,
		},
		{
			name: "beyond the default bound it starts over", saved: pending(t0), evaluatedAt: min(1.5),
			steps: []restoreStep{
				{at: min(5.5), returned: true, state: "pending", activeAt: t0.Add(min(5.5))},
				{at: min(7.5), returned: true, state: "firing", activeAt: t0.Add(min(5.5)), firedAt: t0.Add(min(7.5))},
			},
			discarded: 1,
		},
		{
			name: "a stale firing alert is not resolved either: it is dropped", saved: firing(t0, t0.Add(min(2))), evaluatedAt: min(10),
			steps:     []restoreStep{{at: min(60), returned: false, state: ""}},
			discarded: 1,
		},
		{
			name: "restore_max_age widens the bound", cfg: func(g *GroupConfig) { g.RestoreMaxAge = field.Duration(10 * time.Minute) },
			saved: pending(t0), evaluatedAt: min(1.5),
			steps:    []restoreStep{{at: min(9.5), returned: true, state: "firing", activeAt: t0, firedAt: t0.Add(min(9.5))}},
			restored: 1,
		},
		{
			name: "restore_max_age narrows it", cfg: func(g *GroupConfig) { g.RestoreMaxAge = field.Duration(30 * time.Second) },
			saved: pending(t0), evaluatedAt: min(1.5),
			steps:     []restoreStep{{at: min(2.5), returned: true, state: "pending", activeAt: t0.Add(min(2.5))}},
			discarded: 1,
		},
		{
			name: "state saved after the first evaluation (a clock that went back) is dropped", saved: pending(t0), evaluatedAt: min(3),
			steps:     []restoreStep{{at: min(2), returned: true, state: "pending", activeAt: t0.Add(min(2))}},
			discarded: 1,
		},
		{
			name: "a firing alert without a start is dropped", saved: SavedAlert{Labels: alertLabels, State: StateFiring, ActiveAt: t0}, evaluatedAt: min(3),
			steps:     []restoreStep{{at: min(3.5), returned: true, state: "pending", activeAt: t0.Add(min(3.5))}},
			discarded: 1,
		},
		{
			name: "an alert active after its evaluation is dropped", saved: pending(t0.Add(min(5))), evaluatedAt: min(3),
			steps:     []restoreStep{{at: min(3.5), returned: true, state: "pending", activeAt: t0.Add(min(3.5))}},
			discarded: 1,
		},
		{
			name: "the state of a rule whose expression changed is not restored", saved: pending(t0), otherKey: true, evaluatedAt: min(1.5),
			steps: []restoreStep{{at: min(2), returned: true, state: "pending", activeAt: t0.Add(min(2))}},
		},
		{
			// Returned from Friday 15:55, the last tick of the week, on;
			// Monday 09:00 is the next tick, so the bound is for + 3 × that
			// gap and the alert fires as it would had Seismo not stopped.
			name: "a schedule's bound follows its own ticks",
			cfg: func(g *GroupConfig) {
				g.Interval, g.Schedule = 0, "0 */5 9-15 * * mon-fri"
			},
			saved: pending(friday), evaluatedAt: friday.Sub(t0),
			steps:    []restoreStep{{at: -min(30), returned: true, state: "firing", activeAt: friday, firedAt: t0.Add(-min(30))}},
			restored: 1,
		},
		{
			name:  "an interval group drops the same gap",
			cfg:   func(g *GroupConfig) { g.Interval = field.Duration(5 * time.Minute) },
			saved: pending(friday), evaluatedAt: friday.Sub(t0),
			steps:     []restoreStep{{at: -min(30), returned: true, state: "pending", activeAt: t0.Add(-min(30))}},
			discarded: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var returned bool
			peer := newPromPeer(t, func(q string, at time.Time) ([]map[string]string, []float64, string) {
				if q != expr {
					return nil, nil, "unexpected query " + q
				}
				if returned {
					return []map[string]string{{"__name__": "errors", "i": "a"}}, []float64{1}, ""
				}
				return nil, nil, ""
			})
			g, err := NewGroup(groupCfg(tc.cfg), openPeer(t, peer.URL))
			if err != nil {
				t.Fatal(err)
			}
			saved := tc.saved
			saved.Rule = g.RuleKeys()[0]
			if tc.otherKey {
				other := groupCfg(tc.cfg)
				other.Rules[0].Expr = "errors > 1"
				saved.Rule = ruleKeys(other)[0]
			}
			wantUnmatched := 0
			if tc.otherKey {
				wantUnmatched = 1
			}
			if n := g.Restore(t0.Add(tc.evaluatedAt), []SavedAlert{saved}, time.UTC); n != wantUnmatched {
				t.Errorf("Restore: %d unmatched, want %d", n, wantUnmatched)
			}
			for i, s := range tc.steps {
				returned = s.returned // the peer answers one query at a time: no race with the handler
				res := g.Eval(context.Background(), t0.Add(s.at))
				rr := res.Rules[0]
				if rr.Err != nil {
					t.Fatalf("step %d: %v", i, rr.Err)
				}
				wantRestored, wantDiscarded := 0, 0
				if i == 0 {
					wantRestored, wantDiscarded = tc.restored, tc.discarded
				}
				if rr.Restored != wantRestored || rr.Discarded != wantDiscarded {
					t.Errorf("step %d: restored %d, discarded %d; want %d, %d", i, rr.Restored, rr.Discarded, wantRestored, wantDiscarded)
				}
				got := ""
				var a Alert
				switch {
				case len(rr.Active) == 1:
					a = rr.Active[0]
					got = a.State.String()
				case len(rr.Resolved) == 1:
					got = "resolved"
				case len(rr.Active)+len(rr.Resolved) > 1:
					t.Fatalf("step %d: active %v resolved %v", i, rr.Active, rr.Resolved)
				}
				if got != s.state {
					t.Fatalf("step %d (%s): %q, want %q", i, res.Time.Format("Mon 15:04:05"), got, s.state)
				}
				if got == "pending" || got == "firing" {
					if !a.ActiveAt.Equal(s.activeAt) || !a.FiredAt.Equal(s.firedAt) {
						t.Errorf("step %d: active at %v fired at %v, want %v and %v", i, a.ActiveAt, a.FiredAt, s.activeAt, s.firedAt)
					}
					if !labels.Equal(a.Labels, alertLabels) {
						t.Errorf("step %d: labels %s", i, a.Labels)
					}
				}
			}
		})
	}
}

// TestGroupSnapshotRestore saves a group's state with Snapshot, hands it to
// a new group (a restart) and checks that both go on alike.
func TestGroupSnapshotRestore(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	peer := newPromPeer(t, func(q string, at time.Time) ([]map[string]string, []float64, string) {
		switch q {
		case "a > 0": // since 09:30
			return []map[string]string{{"i": "1"}, {"i": "2"}}, []float64{1, 2}, ""
		case "b > 0": // since 09:32
			if at.Before(t0.Add(2 * time.Minute)) {
				return nil, nil, ""
			}
			return []map[string]string{{"i": "1"}}, []float64{1}, ""
		}
		return nil, nil, "unexpected query " + q
	})
	cfg := GroupConfig{Name: "g", Source: "vm", Interval: field.Duration(time.Minute), Rules: []RuleConfig{
		{Alert: "A", Expr: "a > 0", For: field.Duration(time.Minute)},
		{Alert: "B", Expr: "b > 0", For: field.Duration(3 * time.Minute)},
	}}
	q := openPeer(t, peer.URL)
	before, err := NewGroup(cfg, q)
	if err != nil {
		t.Fatal(err)
	}
	for m := range 4 { // 09:30 … 09:33
		before.Eval(context.Background(), t0.Add(time.Duration(m)*time.Minute))
	}
	snap := before.Snapshot()
	if len(snap) != 3 || snap[0].Rule != before.RuleKeys()[0] || snap[2].Rule != before.RuleKeys()[1] ||
		snap[0].State != StateFiring || snap[2].State != StatePending || !snap[2].ActiveAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("snapshot %v", snap)
	}
	after, err := NewGroup(cfg, q)
	if err != nil {
		t.Fatal(err)
	}
	if n := after.Restore(t0.Add(3*time.Minute), snap, time.UTC); n != 0 {
		t.Errorf("%d unmatched", n)
	}
	for m := 4; m < 6; m++ { // 09:34, 09:35: B fires at 09:35 in both
		at := t0.Add(time.Duration(m) * time.Minute)
		want, got := before.Eval(context.Background(), at), after.Eval(context.Background(), at)
		for i := range want.Rules {
			w, g := want.Rules[i].Active, got.Rules[i].Active
			if !slices.EqualFunc(w, g, func(a, b Alert) bool {
				return labels.Equal(a.Labels, b.Labels) && a.State == b.State && a.ActiveAt.Equal(b.ActiveAt) && a.FiredAt.Equal(b.FiredAt)
			}) {
				t.Errorf("%s rule %d: restarted %v, want %v", at.Format("15:04"), i, g, w)
			}
		}
	}
	if s := after.Snapshot(); len(s) != 3 || s[2].State != StateFiring || !s[2].FiredAt.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("after 09:35: %v", s)
	}
	if n := after.Restore(t0, snap, time.UTC); n != len(snap) {
		t.Errorf("Restore after Eval: %d ignored, want all %d", n, len(snap))
	}
}

func TestRuleKeys(t *testing.T) {
	base := GroupConfig{Name: "g", Source: "vm", Labels: map[string]string{"team": "ops"}, Rules: []RuleConfig{
		{Alert: "A", Expr: "a > 0", For: field.Duration(time.Minute), Labels: map[string]string{"severity": "page"},
			Annotations: map[string]string{"summary": "x"}},
	}}
	key := ruleKeys(base)[0]
	for _, tc := range []struct {
		name string
		mod  func(g *GroupConfig)
		same bool
	}{
		{"unchanged", func(*GroupConfig) {}, true},
		{"for", func(g *GroupConfig) { g.Rules[0].For = field.Duration(time.Hour) }, true},
		{"keep_firing_for", func(g *GroupConfig) { g.Rules[0].KeepFiringFor = field.Duration(time.Hour) }, true},
		{"annotations", func(g *GroupConfig) { g.Rules[0].Annotations = nil }, true},
		{"interval", func(g *GroupConfig) { g.Interval = field.Duration(time.Hour) }, true},
		{"expr", func(g *GroupConfig) { g.Rules[0].Expr = "a > 1" }, false},
		{"alert", func(g *GroupConfig) { g.Rules[0].Alert = "B" }, false},
		{"rule labels", func(g *GroupConfig) { g.Rules[0].Labels = map[string]string{"severity": "warn"} }, false},
		{"group labels", func(g *GroupConfig) { g.Labels = nil }, false},
		{"labels moved from group to rule", func(g *GroupConfig) {
			g.Labels, g.Rules[0].Labels = map[string]string{"severity": "page"}, map[string]string{"team": "ops"}
		}, false},
		{"source", func(g *GroupConfig) { g.Source = "prom" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := base
			g.Rules = slices.Clone(base.Rules)
			tc.mod(&g)
			if got := ruleKeys(g)[0]; (got == key) != tc.same {
				t.Errorf("key %s, base %s: same = %v, want %v", got, key, got == key, tc.same)
			}
		})
	}
	twice := base
	twice.Rules = []RuleConfig{base.Rules[0], base.Rules[0]}
	if ks := ruleKeys(twice); ks[0] != key || ks[1] != key+"#2" {
		t.Errorf("the same rule twice: keys %v", ks)
	}
}
