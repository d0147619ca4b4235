package alert

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

const escalationConfig = `
resolve_timeout: 30d
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 1h
  routes:
    - matchers: [severity="critical"]
      escalate_after: 5m
      escalate_to: boss
receivers: [{name: ops}, {name: boss}]
`

func TestEscalation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, escalationConfig, Options{})
		ops, boss := r.recs["ops"], r.recs["boss"]
		crit := []string{"alertname", "Down", "severity", "critical"}
		r.fire(crit...)
		r.fire("alertname", "Slow", "severity", "warning")
		step(10 * time.Second)
		if got := len(ops.take()); got != 2 {
			t.Fatalf("ops got %d notifications, want 2", got)
		}
		checkSent(t, boss, nil)

		// Escalated at exactly 5m, between group ticks.
		step(5*time.Minute - 10*time.Second - time.Nanosecond)
		checkSent(t, boss, nil)
		step(time.Nanosecond)
		checkSent(t, boss, []sent{{5 * time.Minute, `{alertname="Down"}`, "firing", []string{"firing:Down"}}})
		checkSent(t, ops, nil)

		// Repeated on the route's repeat_interval (from 5m: at the first
		// tick after 1h5m, 1h5m10s), not at every tick.
		step(time.Hour)
		checkSent(t, boss, nil)
		step(10 * time.Second)
		checkSent(t, boss, []sent{{time.Hour + 5*time.Minute + 10*time.Second, `{alertname="Down"}`, "firing", []string{"firing:Down"}}})
		ops.take() // its own repeat

		// The resolve reaches the escalation receiver too.
		r.resolve(crit...)
		step(time.Minute)
		checkSent(t, boss, []sent{{time.Hour + 6*time.Minute + 10*time.Second, `{alertname="Down"}`, "resolved", []string{"resolved:Down"}}})

		recs, err := r.m.Notifications(t.Context(), NotificationFilter{Receiver: "boss"})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 {
			t.Fatalf("%d escalation records, want 3", len(recs))
		}
		for _, rec := range recs {
			if !rec.Escalation || rec.Status != NotificationSent {
				t.Errorf("record %+v, want a sent escalation", rec)
			}
		}
		if recs, _ := r.m.Notifications(t.Context(), NotificationFilter{Receiver: "ops"}); len(recs) == 0 || recs[0].Escalation {
			t.Errorf("ops records %+v", recs)
		}
	})
}

func TestAcknowledgedAlertIsNotEscalated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, escalationConfig, Options{})
		boss := r.recs["boss"]
		a := []string{"alertname", "Down", "severity", "critical", "instance", "1"}
		b := []string{"alertname", "Down", "severity", "critical", "instance", "2"}
		r.fire(a...)
		step(2 * time.Minute)
		r.fire(b...) // starts at 2m: escalates at 7m
		step(time.Minute)
		fpA := FingerprintOf(labels.FromStrings(a...))
		if err := r.m.Acknowledge(t.Context(), fpA, "ann", "looking"); err != nil {
			t.Fatal(err)
		}
		if err := r.m.Acknowledge(t.Context(), 42, "ann", ""); !errors.Is(err, ErrAlertNotFound) {
			t.Errorf("unknown alert: %v", err)
		}
		got, _ := r.m.Alert(fpA)
		if got.Alert.AckedBy != "ann" || got.Alert.AckComment != "looking" || !got.Alert.AckedAt.Equal(time.Now()) {
			t.Errorf("ack fields %+v", got.Alert)
		}
		step(4 * time.Minute) // 7m: only b is escalated
		checkSent(t, boss, []sent{{7 * time.Minute, `{alertname="Down"}`, "firing", []string{"firing:Down"}}})
		recs, _ := r.m.Notifications(t.Context(), NotificationFilter{Receiver: "boss"})
		if len(recs) != 1 || len(recs[0].Firing) != 1 || recs[0].Firing[0] != FingerprintOf(labels.FromStrings(b...)) {
			t.Errorf("escalated %+v, want only b", recs)
		}

		// Acknowledging b too: no repeats to the boss, and its resolve is
		// not told there either — b left the escalation when acked.
		if err := r.m.Acknowledge(t.Context(), FingerprintOf(labels.FromStrings(b...)), "bob", ""); err != nil {
			t.Fatal(err)
		}
		step(2 * time.Hour)
		checkSent(t, boss, nil)

		// A new firing episode clears the acknowledgement and escalates again.
		r.resolve(a...)
		step(time.Minute)
		r.fire(a...)
		if got, _ := r.m.Alert(fpA); got.Alert.Acknowledged() {
			t.Errorf("a new episode kept the acknowledgement: %+v", got.Alert)
		}
		step(5 * time.Minute)
		if got := boss.take(); len(got) != 1 {
			t.Errorf("boss got %+v after a's new episode passed escalate_after", got)
		}
	})
}

func TestSilencedAlertIsNotEscalated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, escalationConfig, Options{})
		if _, err := r.m.AddSilence(t.Context(), Silence{Matchers: mustMatchers(t, `alertname="Down"`), EndsAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		r.fire("alertname", "Down", "severity", "critical")
		step(30 * time.Minute)
		checkSent(t, r.recs["boss"], nil)
		checkSent(t, r.recs["ops"], nil)
		// When the silence ends, both hear of it at the next tick.
		step(30*time.Minute + 10*time.Second)
		if len(r.recs["boss"].take()) != 1 || len(r.recs["ops"].take()) != 1 {
			t.Error("not notified after the silence ended")
		}
	})
}
