package alert

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// historyTags returns the Error tags of the whole history, newest first.
func historyTags(t *testing.T, st StateStore) []string {
	t.Helper()
	recs, err := st.Notifications(t.Context(), NotificationFilter{Limit: maxNotificationLimit})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Receiver + ":" + r.Error
	}
	return out
}

// TestNotificationRetentionDefault seeds the history of an earlier run
// and starts a Manager with the default retention (14d): the sweep at
// start deletes what is older, keeps what is not, and a record that
// crosses the line later goes at the first sweep after it does (a record
// exactly at the line is kept).
func TestNotificationRetentionDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := NewMemoryState()
		start := time.Now()
		for _, s := range []struct {
			tag string
			at  time.Time
		}{
			{"old", start.Add(-15 * 24 * time.Hour)},
			{"edge", start.Add(-DefaultNotificationRetention + 30*time.Minute)},
			{"recent", start.Add(-time.Hour)},
		} {
			r := NotificationRecord{Time: s.at, Receiver: "seed", GroupKey: "{}:{}", Status: NotificationSent, Error: s.tag}
			if err := state.AppendNotification(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
		}
		reg := prometheus.NewRegistry()
		startRig(t, minimalConfig, Options{State: state, Registerer: reg})
		synctest.Wait()
		if diff := cmp.Diff([]string{"seed:recent", "seed:edge"}, historyTags(t, state)); diff != "" {
			t.Errorf("after the sweep at start (-want +got):\n%s", diff)
		}

		// The sweep at 30m has the edge record exactly at the line.
		step(30 * time.Minute)
		if diff := cmp.Diff([]string{"seed:recent", "seed:edge"}, historyTags(t, state)); diff != "" {
			t.Errorf("at 30m (-want +got):\n%s", diff)
		}
		step(silenceGCInterval)
		if diff := cmp.Diff([]string{"seed:recent"}, historyTags(t, state)); diff != "" {
			t.Errorf("at 45m (-want +got):\n%s", diff)
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP seismo_notification_records_pruned_total Entries of the notification history deleted after notification_retention.
# TYPE seismo_notification_records_pruned_total counter
seismo_notification_records_pruned_total 2
`), "seismo_notification_records_pruned_total"); err != nil {
			t.Error(err)
		}
	})
}

// TestNotificationRetentionConfigured prunes the records the Manager
// itself appended, with notification_retention set: the first alert's
// notification is deleted once it is older than an hour, the later one's
// is kept.
func TestNotificationRetentionConfigured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := NewMemoryState()
		r := startRig(t, minimalConfig+"notification_retention: 1h\n", Options{State: state})
		r.fire("alertname", "First")
		step(10 * time.Second) // notified at 10s
		if got := historyTags(t, state); len(got) != 1 {
			t.Fatalf("history %v, want the first notification", got)
		}
		step(time.Hour) // 1h0m10s: the sweep at 1h had it 10s short of the line
		if got := historyTags(t, state); len(got) != 1 {
			t.Fatalf("history %v at 1h0m10s, want the first notification kept", got)
		}
		r.fire("alertname", "Second")
		step(10 * time.Second)
		step(silenceGCInterval) // the sweep at 1h15m
		recs, err := state.Notifications(t.Context(), NotificationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || !strings.Contains(recs[0].GroupKey, "Second") {
			t.Errorf("history %+v, want only the second alert's notification", recs)
		}
	})
}
