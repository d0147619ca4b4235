package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"
)

func TestRuleState(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC) // nanoseconds survive
	a := RuleAlertState{Rule: "Errors@0011", Labels: labels.FromStrings("alertname", "Errors", "i", "a"), State: RuleAlertPending, ActiveAt: t0}
	b := RuleAlertState{Rule: "Errors@0011", Labels: labels.FromStrings("alertname", "Errors", "i", "b"), State: RuleAlertFiring,
		ActiveAt: t0, FiredAt: t0.Add(2 * time.Minute), KeepFiringSince: t0.Add(5 * time.Minute)}
	c := RuleAlertState{Rule: "Other@22", Labels: labels.FromStrings("alertname", "Other"), State: RuleAlertFiring, ActiveAt: t0, FiredAt: t0}

	if got, err := s.RuleState(ctx, "trading"); err != nil || !got.EvaluatedAt.IsZero() || len(got.Alerts) != 0 {
		t.Fatalf("never saved: %+v, %v", got, err)
	}
	aFiring := a
	aFiring.State, aFiring.FiredAt = RuleAlertFiring, t0.Add(3*time.Minute)
	steps := []struct {
		name string
		u    RuleStateUpdate
		want RuleGroupState
	}{
		{"first save", RuleStateUpdate{Group: "trading", EvaluatedAt: t0, Put: []RuleAlertState{b, a}},
			RuleGroupState{EvaluatedAt: t0, Alerts: []RuleAlertState{a, b}}},
		{"only the heartbeat", RuleStateUpdate{Group: "trading", EvaluatedAt: t0.Add(time.Minute)},
			RuleGroupState{EvaluatedAt: t0.Add(time.Minute), Alerts: []RuleAlertState{a, b}}},
		{"a change and a removal", RuleStateUpdate{Group: "trading", EvaluatedAt: t0.Add(3 * time.Minute), Put: []RuleAlertState{aFiring, c}, Delete: []RuleAlertState{b}},
			RuleGroupState{EvaluatedAt: t0.Add(3 * time.Minute), Alerts: []RuleAlertState{aFiring, c}}},
		{"replace", RuleStateUpdate{Group: "trading", EvaluatedAt: t0.Add(4 * time.Minute), Replace: true, Put: []RuleAlertState{b}},
			RuleGroupState{EvaluatedAt: t0.Add(4 * time.Minute), Alerts: []RuleAlertState{b}}},
	}
	for _, st := range steps {
		if err := s.SaveRuleState(ctx, st.u); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, err := s.RuleState(ctx, "trading")
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if diff := cmp.Diff(st.want, got, cmp.Comparer(labels.Equal)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", st.name, diff)
		}
	}
	// Another group is apart; and the state outlives the process.
	if err := s.SaveRuleState(ctx, RuleStateUpdate{Group: "other", EvaluatedAt: t0, Put: []RuleAlertState{a}, Replace: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	reopened, err := Open(ctx, "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	got, err := reopened.RuleState(ctx, "trading")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(steps[len(steps)-1].want, got, cmp.Comparer(labels.Equal)); diff != "" {
		t.Errorf("after reopening (-want +got):\n%s", diff)
	}
}

func TestRuleStateValidation(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	ok := RuleAlertState{Rule: "A@1", Labels: labels.FromStrings("alertname", "A"), State: RuleAlertPending, ActiveAt: t0}
	with := func(f func(*RuleAlertState)) RuleAlertState { a := ok; f(&a); return a }
	for _, tc := range []struct {
		name string
		u    RuleStateUpdate
	}{
		{"no group", RuleStateUpdate{EvaluatedAt: t0}},
		{"no evaluation time", RuleStateUpdate{Group: "g"}},
		{"evaluation time out of range", RuleStateUpdate{Group: "g", EvaluatedAt: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"no rule", RuleStateUpdate{Group: "g", EvaluatedAt: t0, Put: []RuleAlertState{with(func(a *RuleAlertState) { a.Rule = "" })}}},
		{"bad state", RuleStateUpdate{Group: "g", EvaluatedAt: t0, Put: []RuleAlertState{with(func(a *RuleAlertState) { a.State = "inactive" })}}},
		{"no active time", RuleStateUpdate{Group: "g", EvaluatedAt: t0, Put: []RuleAlertState{with(func(a *RuleAlertState) { a.ActiveAt = time.Time{} })}}},
		{"delete without rule", RuleStateUpdate{Group: "g", EvaluatedAt: t0, Delete: []RuleAlertState{{Labels: ok.Labels}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.SaveRuleState(ctx, tc.u); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	// Nothing of the refused updates was written.
	if got, err := s.RuleState(ctx, "g"); err != nil || !got.EvaluatedAt.IsZero() {
		t.Errorf("after refused updates: %+v, %v", got, err)
	}
}
