package alert

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// These tests run two Managers one after the other on one StateStore, as
// an engine that is stopped and started again: nothing sent is sent
// again, nothing due is lost.

const restartConfig = `
resolve_timeout: 30d
route: {receiver: rec, group_by: [alertname], group_wait: 10s, group_interval: 1m, repeat_interval: 1h}
receivers: [{name: rec}]
`

// TestRestartDeliversResolve: the first Manager sends the firing alert,
// the alert resolves, and the Manager stops before it can tell (its
// receiver is down at shutdown). The second sends the resolve, once.
func TestRestartDeliversResolve(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := NewMemoryState()
		a := startRig(t, restartConfig, Options{State: state})
		a.fire("alertname", "x")
		step(10 * time.Second)
		checkSent(t, a.recs["rec"], []sent{{10 * time.Second, `{alertname="x"}`, "firing", []string{"firing:x"}}})
		a.resolve("alertname", "x")
		step(20 * time.Second)
		a.recs["rec"].fail = []error{errBoom}
		a.stop() // the shutdown flush fails
		checkSent(t, a.recs["rec"], nil)

		stored, _ := state.LoadAlerts(t.Context())
		if got := statuses(stored); got != "resolved:x" {
			t.Fatalf("stored alerts after the stop: %q", got)
		}
		b := startRig(t, restartConfig, Options{State: state})
		step(0) // group_wait is long over: the first flush is now
		checkSent(t, b.recs["rec"], []sent{{0, `{alertname="x"}`, "resolved", []string{"resolved:x"}}})
		step(time.Hour)
		checkSent(t, b.recs["rec"], nil)
		if n := len(b.m.Alerts()); n != 0 {
			t.Errorf("%d alerts left", n)
		}
		if as, _ := state.LoadAlerts(t.Context()); len(as) != 0 {
			t.Errorf("state still holds %d alerts", len(as))
		}
		if gs, _ := state.LoadGroups(t.Context()); len(gs) != 0 {
			t.Errorf("state still holds groups %+v", gs)
		}
		// The history holds all three attempts.
		recs, _ := b.m.Notifications(t.Context(), NotificationFilter{})
		var got []string
		for _, r := range recs {
			got = append(got, r.Status)
		}
		if len(got) != 3 || got[0] != NotificationSent || got[1] != NotificationDropped || got[2] != NotificationSent {
			t.Errorf("history %v, want newest first: sent (resolve), dropped (shutdown), sent (firing)", got)
		}
	})
}

// TestRestartNoDuplicate: stopped during group_wait (the shutdown flush
// sends), restarted: the new Manager does not send the same again at the
// end of group_wait, only at the repeat interval.
func TestRestartNoDuplicate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := NewMemoryState()
		a := startRig(t, restartConfig, Options{State: state})
		a.fire("alertname", "x")
		step(5 * time.Second)
		a.stop()
		checkSent(t, a.recs["rec"], []sent{{5 * time.Second, `{alertname="x"}`, "firing", []string{"firing:x"}}})

		b := startRig(t, restartConfig, Options{State: state})
		step(time.Hour) // to 1h5s
		checkSent(t, b.recs["rec"], nil)
		// The repeat is due an hour after the send (5s), at the group's
		// first tick after that: 1h0m10s.
		step(5 * time.Second)
		if got := b.recs["rec"].take(); len(got) != 1 || got[0].status != "firing" {
			t.Errorf("repeat after restart: %+v", got)
		}
	})
}

// TestRestartKeepsGroupWait: stopped during group_wait with the receiver
// down, restarted 2s later: the group's first notification comes at the
// end of its original group_wait, not a new one.
func TestRestartKeepsGroupWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := NewMemoryState()
		a := startRig(t, restartConfig, Options{State: state})
		a.recs["rec"].fail = []error{errBoom}
		a.fire("alertname", "x")
		step(5 * time.Second)
		a.stop()
		step(2 * time.Second)

		b := startRig(t, restartConfig, Options{State: state})
		step(3*time.Second - time.Nanosecond)
		checkSent(t, b.recs["rec"], nil)
		step(time.Nanosecond)
		// recorder times count from each rig's start, 7s in.
		checkSent(t, b.recs["rec"], []sent{{3 * time.Second, `{alertname="x"}`, "firing", []string{"firing:x"}}})
	})
}

// TestRestartKeepsSilencesAndAcks: silences and acknowledgements survive;
// an escalation already sent is not sent again.
func TestRestartKeepsSilencesAndAcks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := NewMemoryState()
		a := startRig(t, escalationConfig, Options{State: state})
		sil, err := a.m.AddSilence(t.Context(), Silence{Matchers: mustMatchers(t, `alertname="Quiet"`), EndsAt: time.Now().Add(time.Hour), CreatedBy: "ann"})
		if err != nil {
			t.Fatal(err)
		}
		a.fire("alertname", "Down", "severity", "critical", "instance", "1")
		a.fire("alertname", "Down", "severity", "critical", "instance", "2")
		a.fire("alertname", "Quiet", "severity", "critical")
		fp2 := FingerprintOf(labels.FromStrings("alertname", "Down", "severity", "critical", "instance", "2"))
		if err := a.m.Acknowledge(t.Context(), fp2, "bob", "mine"); err != nil {
			t.Fatal(err)
		}
		step(5 * time.Minute) // instance 1 escalated
		if len(a.recs["boss"].take()) != 1 {
			t.Fatal("no escalation before the restart")
		}
		a.stop()

		b := startRig(t, escalationConfig, Options{State: state})
		if s, ok := b.m.Silence(sil.ID); !ok || s.CreatedBy != "ann" || s.State(time.Now()) != SilenceActive {
			t.Errorf("silence after restart: %+v %v", s, ok)
		}
		got, _ := b.m.Alert(fp2)
		if got.Alert.AckedBy != "bob" || got.Alert.AckComment != "mine" {
			t.Errorf("ack after restart: %+v", got.Alert)
		}
		q, _ := b.m.Alert(FingerprintOf(labels.FromStrings("alertname", "Quiet", "severity", "critical")))
		if q.Status.State != AlertStateSuppressed {
			t.Errorf("silenced alert after restart: %+v", q.Status)
		}
		step(30 * time.Minute)
		checkSent(t, b.recs["boss"], nil)
		checkSent(t, b.recs["ops"], nil)
	})
}

// failingState is a StateStore whose writes fail, for the error path.
type failingState struct{ StateStore }

func (failingState) SaveAlerts(context.Context, []*Alert) error  { return errBoom }
func (failingState) SaveGroup(context.Context, GroupState) error { return errBoom }

func TestStateWriteFailureKeepsRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, restartConfig, Options{State: failingState{NewMemoryState()}})
		r.fire("alertname", "x")
		step(10 * time.Second)
		if len(r.recs["rec"].take()) != 1 {
			t.Error("a failing store stopped notifications")
		}
		// Operations with a context report the failure.
		err := r.m.Acknowledge(t.Context(), FingerprintOf(labels.FromStrings("alertname", "x")), "a", "")
		if !errors.Is(err, errBoom) {
			t.Errorf("Acknowledge with a failing store: %v", err)
		}
	})
}

func TestMemoryStateNotifications(t *testing.T) {
	s := NewMemoryState()
	ctx := t.Context()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		r := &NotificationRecord{Time: t0.Add(time.Duration(i) * time.Minute), Receiver: []string{"a", "b"}[i%2], Status: NotificationSent, GroupKey: "g"}
		if i == 3 {
			r.Status = NotificationFailed
		}
		if err := s.AppendNotification(ctx, r); err != nil || r.ID != int64(i+1) {
			t.Fatalf("append: id %d, %v", r.ID, err)
		}
	}
	tests := []struct {
		f    NotificationFilter
		want []int64
	}{
		{NotificationFilter{}, []int64{5, 4, 3, 2, 1}},
		{NotificationFilter{Limit: 2}, []int64{5, 4}},
		{NotificationFilter{Receiver: "a"}, []int64{5, 3, 1}},
		{NotificationFilter{Status: NotificationFailed}, []int64{4}},
		{NotificationFilter{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, []int64{4, 3, 2}},
		{NotificationFilter{GroupKey: "other"}, nil},
	}
	for _, tt := range tests {
		recs, err := s.Notifications(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range recs {
			got = append(got, r.ID)
		}
		if len(got) != len(tt.want) {
			t.Errorf("%+v: ids %v, want %v", tt.f, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%+v: ids %v, want %v", tt.f, got, tt.want)
				break
			}
		}
	}
	if _, err := s.Notifications(ctx, NotificationFilter{Limit: -1}); err == nil {
		t.Error("negative limit accepted")
	}
	if _, err := s.Notifications(ctx, NotificationFilter{From: t0, To: t0.Add(-time.Second)}); err == nil {
		t.Error("reversed range accepted")
	}
}
