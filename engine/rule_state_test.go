package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/store"
)

// restartGroup fires after 2m, evaluated every 30s.
const restartGroup = `
  - name: trading
    source: vm
    interval: 30s
    rules:
      - alert: RejectsHigh
        expr: rejects > 3
        for: 2m
        labels: {severity: %s}
`

// restartStep is one scheduled run, after a restart when restart is set.
type restartStep struct {
	at                  time.Duration // after t0
	restart             bool
	severity            string // of the rule's labels: a change is a changed rule
	events, stored      int
	summary             string
	restored, discarded int // seismo_rule_state_restored_alerts_total of the engine so far
	unmatched           int
}

// TestRuleGroupRestart restarts the engine — a new Engine on the same
// SQLite file, as a new process would — between evaluations of a rule
// whose condition holds from t0 on, and checks that the state carries on.
func TestRuleGroupRestart(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	steps := []restartStep{
		{at: 0, summary: "1 pending, 0 firing"},
		{at: 30 * time.Second, summary: "1 pending, 0 firing"},
		{at: 60 * time.Second, summary: "1 pending, 0 firing"},
		{at: 90 * time.Second, summary: "1 pending, 0 firing"}, // pending for 90s of 2m
		// Restarted: fires 30s later, at 2m, as if nothing had stopped.
		{at: 120 * time.Second, restart: true, events: 1, stored: 1, summary: "0 pending, 1 firing", restored: 1},
		{at: 150 * time.Second, events: 1, stored: 0, summary: "0 pending, 1 firing", restored: 1},
		// Restarted while firing: the same episode, so nothing new is stored.
		{at: 180 * time.Second, restart: true, events: 1, stored: 0, summary: "0 pending, 1 firing", restored: 1},
		// Restarted after an hour down: the state is stale, the condition
		// is pending again and fires 2m later as a new episode.
		{at: time.Hour + 180*time.Second, restart: true, summary: "1 pending, 0 firing", discarded: 1},
		{at: time.Hour + 300*time.Second, events: 1, stored: 1, summary: "0 pending, 1 firing", discarded: 1},
	}
	f := runRestartSteps(t, t0, steps)

	stored, err := f.e.Store().Events(context.Background(), store.EventFilter{Job: "trading", Kind: alert.KindMetricRule})
	if err != nil {
		t.Fatal(err)
	}
	var times []string
	for _, ev := range stored {
		times = append(times, ev.Time.UTC().Format("15:04:05"))
	}
	slices.Sort(times)
	if want := []string{"01:32:00", "02:35:00"}; !slices.Equal(times, want) {
		t.Errorf("stored firing events at %v, want one per episode: %v", times, want)
	}
	saved, err := f.e.Store().RuleState(context.Background(), "trading")
	if err != nil {
		t.Fatal(err)
	}
	if !saved.EvaluatedAt.Equal(t0.Add(time.Hour+300*time.Second)) || len(saved.Alerts) != 1 || saved.Alerts[0].State != store.RuleAlertFiring ||
		!saved.Alerts[0].FiredAt.Equal(t0.Add(time.Hour+300*time.Second)) || !strings.HasPrefix(saved.Alerts[0].Rule, "RejectsHigh@") {
		t.Errorf("saved state %+v", saved)
	}
}

// TestRuleGroupRestartChangedRule changes the rule's labels across the
// restart: its saved state is not restored, and is removed from the store.
func TestRuleGroupRestartChangedRule(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	f := runRestartSteps(t, t0, []restartStep{
		{at: 0, summary: "1 pending, 0 firing"},
		{at: 90 * time.Second, summary: "1 pending, 0 firing"},
		{at: 120 * time.Second, restart: true, severity: "warning", summary: "1 pending, 0 firing", unmatched: 1},
	})
	saved, err := f.e.Store().RuleState(context.Background(), "trading")
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.Alerts) != 1 || !saved.Alerts[0].ActiveAt.Equal(t0.Add(120*time.Second)) || saved.Alerts[0].Labels.Get("severity") != "warning" {
		t.Errorf("saved state %+v, want only the changed rule's new pending alert", saved)
	}
}

// runRestartSteps runs steps against one store and one query peer whose
// rejects > 3 returns market sh from t0 on, and returns the last engine.
func runRestartSteps(t *testing.T, t0 time.Time, steps []restartStep) *ruleFixture {
	t.Helper()
	dir := t.TempDir()
	peer := newQueryPeer(t)
	peer.set(func(q string, at time.Time) ([]map[string]string, []float64, string) {
		if q != "rejects > 3" {
			return nil, nil, "unexpected query " + q
		}
		if at.Before(t0) {
			return nil, nil, ""
		}
		return []map[string]string{{"__name__": "rejects", "market": "sh"}}, []float64{5}, ""
	})
	var f *ruleFixture
	for i, s := range steps {
		at := t0.Add(s.at)
		sev := s.severity
		if sev == "" {
			sev = "critical"
		}
		if f == nil || s.restart {
			if f != nil {
				f.e.Close()
			}
			f = newRuleFixtureIn(t, dir, peer, at, fmt.Sprintf(restartGroup, sev))
		}
		res, err := f.runAt(t, at.Add(700*time.Millisecond)) // started late: evaluated at the tick
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, at.Format("15:04:05"), err)
		}
		if len(res.Events) != s.events || res.Stored != s.stored {
			t.Errorf("step %d (%s): %d events, %d stored; want %d, %d", i, at.Format("15:04:05"), len(res.Events), res.Stored, s.events, s.stored)
		}
		if !strings.Contains(res.Summary(), s.summary) {
			t.Errorf("step %d (%s): summary %q, want it to contain %q", i, at.Format("15:04:05"), res.Summary(), s.summary)
		}
		for _, ev := range res.Events {
			// The event's time is the episode's start, which a restart keeps.
			if ev.Kind != alert.KindMetricRule || ev.Labels.Get("market") != "sh" {
				t.Errorf("step %d: event %+v", i, ev)
			}
		}
		want := `
# HELP seismo_rule_state_restored_alerts_total Saved alerts of metric rules at a restart by group and result: restored, discarded (too old or inconsistent), unmatched (rule removed or changed).
# TYPE seismo_rule_state_restored_alerts_total counter
`
		for _, r := range []struct {
			result string
			n      int
		}{{"discarded", s.discarded}, {"restored", s.restored}, {"unmatched", s.unmatched}} {
			if r.n > 0 {
				want += fmt.Sprintf("seismo_rule_state_restored_alerts_total{group=\"trading\",result=%q} %d\n", r.result, r.n)
			}
		}
		if s.discarded+s.restored+s.unmatched == 0 {
			want = ""
		}
		if err := testutil.GatherAndCompare(f.e.Registry(), strings.NewReader(want), "seismo_rule_state_restored_alerts_total"); err != nil {
			t.Errorf("step %d (%s): %v", i, at.Format("15:04:05"), err)
		}
		if got, err := testutil.GatherAndCount(f.e.Registry(), "seismo_rule_state_save_failures_total"); err != nil || got != 0 {
			t.Errorf("step %d: save failures %d, %v", i, got, err)
		}
	}
	return f
}
