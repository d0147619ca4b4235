package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
)

// stateCmp compares the router's state types: label sets and matchers by
// meaning, times as instants (a store returns them in UTC, without the
// monotonic reading), empty as nil.
var stateCmp = cmp.Options{
	cmp.Comparer(func(a, b labels.Labels) bool { return labels.Equal(a, b) }),
	cmp.Comparer(func(a, b *labels.Matcher) bool {
		if a == nil || b == nil {
			return a == b
		}
		return a.String() == b.String()
	}),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// stateStores returns the StateStore implementations that must behave the
// same: the SQLite store on a temporary file, and the in-memory state the
// Manager uses without a store. Each call returns fresh, empty stores.
func stateStores(t *testing.T) map[string]alert.StateStore {
	t.Helper()
	s, _ := openTemp(t)
	return map[string]alert.StateStore{
		"sqlite": s,
		"memory": alert.NewMemoryState(),
	}
}

// forEachStateStore runs fn as a subtest against every implementation.
func forEachStateStore(t *testing.T, fn func(t *testing.T, st alert.StateStore)) {
	t.Helper()
	for name, st := range stateStores(t) {
		t.Run(name, func(t *testing.T) { fn(t, st) })
	}
}

func testAlert(ls labels.Labels, starts time.Time) *alert.Alert {
	return &alert.Alert{
		Labels:       ls,
		Annotations:  map[string]string{"summary": "openings dropped", "value": "3"},
		StartsAt:     starts,
		UpdatedAt:    starts.Add(time.Second),
		GeneratorURL: "http://127.0.0.1:9108",
		Fingerprint:  alert.FingerprintOf(ls),
	}
}

func sortedAlerts(as []*alert.Alert) []*alert.Alert {
	as = slices.Clone(as)
	slices.SortFunc(as, func(a, b *alert.Alert) int { return labels.Compare(a.Labels, b.Labels) })
	return as
}

func mustLoadAlerts(t *testing.T, st alert.StateStore) []*alert.Alert {
	t.Helper()
	got, err := st.LoadAlerts(t.Context())
	if err != nil {
		t.Fatalf("LoadAlerts: %v", err)
	}
	return sortedAlerts(got)
}

func TestStateStoreAlerts(t *testing.T) {
	forEachStateStore(t, func(t *testing.T, st alert.StateStore) {
		ctx := t.Context()
		if got := mustLoadAlerts(t, st); len(got) != 0 {
			t.Fatalf("empty store: %d alerts", len(got))
		}
		// Nanoseconds survive: the Manager compares the times it wrote.
		starts := t0.Add(123456789 * time.Nanosecond)
		app := testAlert(labels.FromStrings("alertname", "openings", "channel", "app"), starts)
		web := testAlert(labels.FromStrings("alertname", "openings", "channel", "web", "odd name", `quo"te`), starts)
		web.Annotations = nil
		if err := st.SaveAlerts(ctx, []*alert.Alert{app, web}); err != nil {
			t.Fatalf("SaveAlerts: %v", err)
		}
		if err := st.SaveAlerts(ctx, nil); err != nil {
			t.Fatalf("SaveAlerts(nil): %v", err)
		}
		want := sortedAlerts([]*alert.Alert{app, web})
		if diff := cmp.Diff(want, mustLoadAlerts(t, st), stateCmp); diff != "" {
			t.Fatalf("after save (-want +got):\n%s", diff)
		}

		// Saving the same fingerprint replaces the alert: here it resolves.
		resolved := *app
		resolved.EndsAt = starts.Add(5 * time.Minute)
		resolved.UpdatedAt = resolved.EndsAt
		resolved.Annotations = map[string]string{"summary": "back to normal"}
		resolved.AckedBy, resolved.AckedAt, resolved.AckComment = "alice", starts.Add(time.Minute+7), "on it"
		if err := st.SaveAlerts(ctx, []*alert.Alert{&resolved}); err != nil {
			t.Fatalf("SaveAlerts(resolved): %v", err)
		}
		want = sortedAlerts([]*alert.Alert{&resolved, web})
		if diff := cmp.Diff(want, mustLoadAlerts(t, st), stateCmp); diff != "" {
			t.Fatalf("after replace (-want +got):\n%s", diff)
		}

		// Unknown fingerprints are ignored.
		if err := st.DeleteAlerts(ctx, []alert.Fingerprint{app.Fingerprint, 42}); err != nil {
			t.Fatalf("DeleteAlerts: %v", err)
		}
		if err := st.DeleteAlerts(ctx, nil); err != nil {
			t.Fatalf("DeleteAlerts(nil): %v", err)
		}
		if diff := cmp.Diff([]*alert.Alert{web}, mustLoadAlerts(t, st), stateCmp); diff != "" {
			t.Fatalf("after delete (-want +got):\n%s", diff)
		}
	})
}

func TestStateStoreGroupsAndLog(t *testing.T) {
	forEachStateStore(t, func(t *testing.T, st alert.StateStore) {
		ctx := t.Context()
		g1 := alert.GroupState{Key: `{}:{alertname="openings"}`, RouteID: "0", Receiver: "ops",
			Labels: labels.FromStrings("alertname", "openings"), CreatedAt: t0.Add(7)}
		g2 := alert.GroupState{Key: `{}/0:{team="fx"}`, RouteID: "0.0", Receiver: "fx",
			Labels: labels.FromStrings("team", "fx"), CreatedAt: t0}
		for _, g := range []alert.GroupState{g1, g2} {
			if err := st.SaveGroup(ctx, g); err != nil {
				t.Fatalf("SaveGroup: %v", err)
			}
		}
		g1.Receiver = "ops-2" // replaced by key
		if err := st.SaveGroup(ctx, g1); err != nil {
			t.Fatalf("SaveGroup: %v", err)
		}
		entries := []alert.NotifyEntry{
			{GroupKey: g1.Key, Receiver: "ops/webhook[0]", Firing: []alert.Fingerprint{1, 2}, Timestamp: t0.Add(11)},
			{GroupKey: g1.Key, Receiver: "ops/email[0]", Firing: []alert.Fingerprint{1}, Resolved: []alert.Fingerprint{2}, Timestamp: t0},
			{GroupKey: g2.Key, Receiver: "fx/webhook[0]", Firing: []alert.Fingerprint{3}, Timestamp: t0},
		}
		for _, e := range entries {
			if err := st.SaveNotifyEntry(ctx, e); err != nil {
				t.Fatalf("SaveNotifyEntry: %v", err)
			}
		}
		// A new entry for the same group and integration replaces the old.
		entries[0].Firing, entries[0].Resolved = nil, []alert.Fingerprint{1, 2}
		entries[0].Timestamp = t0.Add(time.Minute)
		if err := st.SaveNotifyEntry(ctx, entries[0]); err != nil {
			t.Fatalf("SaveNotifyEntry: %v", err)
		}

		groups, err := st.LoadGroups(ctx)
		if err != nil {
			t.Fatalf("LoadGroups: %v", err)
		}
		slices.SortFunc(groups, func(a, b alert.GroupState) int { return strings.Compare(a.Key, b.Key) })
		if diff := cmp.Diff([]alert.GroupState{g2, g1}, groups, stateCmp); diff != "" {
			t.Fatalf("groups (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(sortedEntries(entries), mustLoadLog(t, st), stateCmp); diff != "" {
			t.Fatalf("notification log (-want +got):\n%s", diff)
		}

		// Deleting a group deletes its log entries, not the others'.
		if err := st.DeleteGroup(ctx, g1.Key); err != nil {
			t.Fatalf("DeleteGroup: %v", err)
		}
		if err := st.DeleteGroup(ctx, "no such group"); err != nil {
			t.Fatalf("DeleteGroup(unknown): %v", err)
		}
		groups, err = st.LoadGroups(ctx)
		if err != nil {
			t.Fatalf("LoadGroups: %v", err)
		}
		if diff := cmp.Diff([]alert.GroupState{g2}, groups, stateCmp); diff != "" {
			t.Fatalf("groups after delete (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(entries[2:], mustLoadLog(t, st), stateCmp); diff != "" {
			t.Fatalf("log after delete (-want +got):\n%s", diff)
		}
	})
}

func sortedEntries(es []alert.NotifyEntry) []alert.NotifyEntry {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b alert.NotifyEntry) int {
		if c := strings.Compare(a.GroupKey, b.GroupKey); c != 0 {
			return c
		}
		return strings.Compare(a.Receiver, b.Receiver)
	})
	return es
}

func mustLoadLog(t *testing.T, st alert.StateStore) []alert.NotifyEntry {
	t.Helper()
	got, err := st.LoadNotificationLog(t.Context())
	if err != nil {
		t.Fatalf("LoadNotificationLog: %v", err)
	}
	return sortedEntries(got)
}

func mustMatcher(t testing.TB, typ labels.MatchType, name, value string) *labels.Matcher {
	t.Helper()
	m, err := labels.NewMatcher(typ, name, value)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStateStoreSilences(t *testing.T) {
	forEachStateStore(t, func(t *testing.T, st alert.StateStore) {
		ctx := t.Context()
		active := alert.Silence{
			ID: "0b6f8e0c-active",
			Matchers: []*labels.Matcher{
				mustMatcher(t, labels.MatchEqual, "team", "payments"),
				mustMatcher(t, labels.MatchRegexp, "severity", "crit.*|warn"),
				mustMatcher(t, labels.MatchNotEqual, "channel", `a "quoted", {odd} value`),
				mustMatcher(t, labels.MatchNotRegexp, "env.name", "dev|测试"),
			},
			StartsAt: t0, EndsAt: t0.Add(2 * time.Hour), CreatedBy: "alice", Comment: "maintenance window",
			UpdatedAt: t0.Add(-time.Minute),
		}
		expired := alert.Silence{
			ID: "expired", Matchers: []*labels.Matcher{mustMatcher(t, labels.MatchEqual, "alertname", "x")},
			StartsAt: t0.Add(-2 * time.Hour), EndsAt: t0.Add(-time.Hour + 5), CreatedBy: "bob",
		}
		for _, s := range []alert.Silence{active, expired} {
			if err := st.SaveSilence(ctx, s); err != nil {
				t.Fatalf("SaveSilence(%s): %v", s.ID, err)
			}
		}
		// Updating keeps the ID and replaces the rest.
		active.EndsAt = t0.Add(time.Hour)
		active.Comment = "shortened"
		active.Matchers = active.Matchers[:1]
		if err := st.SaveSilence(ctx, active); err != nil {
			t.Fatalf("SaveSilence(update): %v", err)
		}
		if diff := cmp.Diff([]alert.Silence{active, expired}, mustLoadSilences(t, st), stateCmp); diff != "" {
			t.Fatalf("silences (-want +got):\n%s", diff)
		}
		if err := st.DeleteSilence(ctx, expired.ID); err != nil {
			t.Fatalf("DeleteSilence: %v", err)
		}
		if err := st.DeleteSilence(ctx, "unknown"); err != nil {
			t.Fatalf("DeleteSilence(unknown): %v", err)
		}
		if diff := cmp.Diff([]alert.Silence{active}, mustLoadSilences(t, st), stateCmp); diff != "" {
			t.Fatalf("silences after delete (-want +got):\n%s", diff)
		}
	})
}

func mustLoadSilences(t *testing.T, st alert.StateStore) []alert.Silence {
	t.Helper()
	got, err := st.LoadSilences(t.Context())
	if err != nil {
		t.Fatalf("LoadSilences: %v", err)
	}
	slices.SortFunc(got, func(a, b alert.Silence) int { return strings.Compare(a.ID, b.ID) })
	return got
}

// notificationIDs returns the receiver/ordinal tags of records, which the
// history test puts in Error to recognise them.
func notificationTags(rs []alert.NotificationRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Error
	}
	return out
}

func TestStateStoreNotifications(t *testing.T) {
	forEachStateStore(t, func(t *testing.T, st alert.StateStore) {
		ctx := t.Context()
		// Eight records, two per minute, so that ties on time are ordered
		// by ID.
		var all []alert.NotificationRecord
		for i := range 8 {
			r := alert.NotificationRecord{
				Time:        t0.Add(time.Duration(i/2) * time.Minute),
				Receiver:    []string{"ops", "fx"}[i%2],
				Integration: "webhook[0]",
				GroupKey:    fmt.Sprintf("{}:{g=\"%d\"}", i%3),
				Status:      []string{alert.NotificationSent, alert.NotificationFailed, alert.NotificationSent, alert.NotificationDropped}[i%4],
				Firing:      []alert.Fingerprint{alert.Fingerprint(i), 1 << 63},
				Resolved:    []alert.Fingerprint{alert.Fingerprint(i + 100)},
				Attempts:    i + 1,
				Error:       fmt.Sprintf("r%d", i),
				Escalation:  i == 5,
			}
			if err := st.AppendNotification(ctx, &r); err != nil {
				t.Fatalf("AppendNotification %d: %v", i, err)
			}
			if r.ID == 0 || (len(all) > 0 && r.ID <= all[len(all)-1].ID) {
				t.Fatalf("record %d: ID %d is not increasing", i, r.ID)
			}
			all = append(all, r)
		}
		newestFirst := slices.Clone(all)
		slices.Reverse(newestFirst)

		got, err := st.Notifications(ctx, alert.NotificationFilter{})
		if err != nil {
			t.Fatalf("Notifications: %v", err)
		}
		if diff := cmp.Diff(newestFirst, got, stateCmp); diff != "" {
			t.Fatalf("every record, newest first (-want +got):\n%s", diff)
		}

		for _, tc := range []struct {
			name string
			f    alert.NotificationFilter
			want []string
		}{
			{"from inclusive", alert.NotificationFilter{From: t0.Add(3 * time.Minute)}, []string{"r7", "r6"}},
			{"to inclusive", alert.NotificationFilter{To: t0}, []string{"r1", "r0"}},
			{"range", alert.NotificationFilter{From: t0.Add(time.Minute), To: t0.Add(2 * time.Minute)}, []string{"r5", "r4", "r3", "r2"}},
			{"receiver", alert.NotificationFilter{Receiver: "fx"}, []string{"r7", "r5", "r3", "r1"}},
			{"group", alert.NotificationFilter{GroupKey: `{}:{g="0"}`}, []string{"r6", "r3", "r0"}},
			{"status", alert.NotificationFilter{Status: alert.NotificationFailed}, []string{"r5", "r1"}},
			{"combined", alert.NotificationFilter{Receiver: "ops", Status: alert.NotificationSent}, []string{"r6", "r4", "r2", "r0"}},
			{"limit keeps the newest", alert.NotificationFilter{Limit: 3}, []string{"r7", "r6", "r5"}},
			{"no match", alert.NotificationFilter{Receiver: "nobody"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := st.Notifications(ctx, tc.f)
				if err != nil {
					t.Fatalf("Notifications: %v", err)
				}
				if diff := cmp.Diff(tc.want, notificationTags(got), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestStateStoreNotificationLimits(t *testing.T) {
	forEachStateStore(t, func(t *testing.T, st alert.StateStore) {
		ctx := t.Context()
		for i := range DefaultNotificationLimit + 5 {
			r := alert.NotificationRecord{Time: t0.Add(time.Duration(i) * time.Second), Receiver: "ops",
				GroupKey: "{}:{}", Status: alert.NotificationSent}
			if err := st.AppendNotification(ctx, &r); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.Notifications(ctx, alert.NotificationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != DefaultNotificationLimit {
			t.Errorf("no limit: %d records, want the default %d", len(got), DefaultNotificationLimit)
		}
		if _, err := st.Notifications(ctx, alert.NotificationFilter{Limit: -1}); err == nil {
			t.Error("negative limit: no error")
		}
	})
}

func TestAlertStateSurvivesReopen(t *testing.T) {
	s, path := openTemp(t)
	ctx := t.Context()
	a := testAlert(labels.FromStrings("alertname", "openings"), t0)
	sil := alert.Silence{ID: "s1", Matchers: []*labels.Matcher{mustMatcher(t, labels.MatchEqual, "a", "b")}, StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	g := alert.GroupState{Key: "{}:{}", RouteID: "0", Receiver: "ops", Labels: labels.EmptyLabels(), CreatedAt: t0}
	e := alert.NotifyEntry{GroupKey: g.Key, Receiver: "ops/webhook[0]", Firing: []alert.Fingerprint{a.Fingerprint}, Timestamp: t0}
	r := alert.NotificationRecord{Time: t0, Receiver: "ops", Integration: "webhook[0]", GroupKey: g.Key, Status: alert.NotificationSent, Firing: e.Firing, Attempts: 1}
	for _, err := range []error{
		s.SaveAlerts(ctx, []*alert.Alert{a}), s.SaveSilence(ctx, sil), s.SaveGroup(ctx, g),
		s.SaveNotifyEntry(ctx, e), s.AppendNotification(ctx, &r),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	reopened, err := Open(ctx, "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	alerts, err1 := reopened.LoadAlerts(ctx)
	silences, err2 := reopened.LoadSilences(ctx)
	groups, err3 := reopened.LoadGroups(ctx)
	log, err4 := reopened.LoadNotificationLog(ctx)
	history, err5 := reopened.Notifications(ctx, alert.NotificationFilter{})
	if err := errorsJoin(err1, err2, err3, err4, err5); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{
		cmp.Diff([]*alert.Alert{a}, alerts, stateCmp),
		cmp.Diff([]alert.Silence{sil}, silences, stateCmp),
		cmp.Diff([]alert.GroupState{g}, groups, stateCmp),
		cmp.Diff([]alert.NotifyEntry{e}, log, stateCmp),
		cmp.Diff([]alert.NotificationRecord{r}, history, stateCmp),
	} {
		if d != "" {
			t.Errorf("after reopening (-want +got):\n%s", d)
		}
	}
}

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestAlertStateConcurrent writes and reads from many goroutines at once,
// as the Manager's groups and the API do; run it with -race.
func TestAlertStateConcurrent(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*4)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				a := testAlert(labels.FromStrings("alertname", "load", "w", fmt.Sprint(w), "i", fmt.Sprint(i)), t0)
				key := fmt.Sprintf("{}:{w=%q}", fmt.Sprint(w))
				r := alert.NotificationRecord{Time: t0, Receiver: "ops", GroupKey: key, Status: alert.NotificationSent}
				errs <- s.SaveAlerts(ctx, []*alert.Alert{a})
				errs <- s.SaveNotifyEntry(ctx, alert.NotifyEntry{GroupKey: key, Receiver: "ops/webhook[0]", Firing: []alert.Fingerprint{a.Fingerprint}, Timestamp: t0})
				errs <- s.AppendNotification(ctx, &r)
				_, err := s.LoadAlerts(ctx)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	alerts, err := s.LoadAlerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != workers*perWorker {
		t.Errorf("%d alerts stored, want %d", len(alerts), workers*perWorker)
	}
	log, err := s.LoadNotificationLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != workers {
		t.Errorf("%d log entries, want one per group: %d", len(log), workers)
	}
	hist, err := s.Notifications(ctx, alert.NotificationFilter{Limit: MaxNotificationLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != workers*perWorker {
		t.Errorf("%d history records, want %d", len(hist), workers*perWorker)
	}
	ids := map[int64]bool{}
	for _, r := range hist {
		if ids[r.ID] {
			t.Fatalf("ID %d used twice", r.ID)
		}
		ids[r.ID] = true
	}
}

// TestAlertStateBatchIsAtomic checks that a SaveAlerts batch failing half
// way stores nothing: a restart must not see half a flush.
func TestAlertStateBatchIsAtomic(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	ok := testAlert(labels.FromStrings("alertname", "a"), t0)
	if err := s.SaveAlerts(ctx, []*alert.Alert{ok, nil}); err == nil {
		t.Fatal("a nil alert in the batch: no error")
	}
	// A cancelled context fails the transaction after it started.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.SaveAlerts(cctx, []*alert.Alert{ok, testAlert(labels.FromStrings("alertname", "b"), t0)}); err == nil {
		t.Fatal("cancelled context: no error")
	}
	if got := mustLoadAlerts(t, s); len(got) != 0 {
		t.Fatalf("failed batches stored %d alerts", len(got))
	}
}

func TestAlertStateCorruptRows(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name, sql, wantErr string
		load               func(*sqliteStore) error
	}{
		{
			name:    "silence matcher",
			sql:     `INSERT INTO alert_silences (id, matchers, starts_at, ends_at) VALUES ('s9', '["team==payments"]', 0, 1)`,
			wantErr: `silence "s9"`,
			load:    func(s *sqliteStore) error { _, err := s.LoadSilences(ctx); return err },
		},
		{
			name:    "alert fingerprint",
			sql:     `INSERT INTO alert_alerts (fingerprint, labels) VALUES ('xyz', '{}')`,
			wantErr: `invalid fingerprint "xyz"`,
			load:    func(s *sqliteStore) error { _, err := s.LoadAlerts(ctx); return err },
		},
		{
			name:    "log fingerprints",
			sql:     `INSERT INTO alert_notify_log (group_key, integration, firing) VALUES ('g', 'ops/webhook[0]', '[1]')`,
			wantErr: `group "g", ops/webhook[0]: firing`,
			load:    func(s *sqliteStore) error { _, err := s.LoadNotificationLog(ctx); return err },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTemp(t)
			if _, err := s.w.ExecContext(ctx, tc.sql); err != nil {
				t.Fatal(err)
			}
			err := tc.load(s)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
			}
		})
	}
}

func TestStoredMatcherRoundTrip(t *testing.T) {
	for _, m := range []*labels.Matcher{
		mustMatcher(t, labels.MatchEqual, "team", "payments"),
		mustMatcher(t, labels.MatchEqual, "team", ""),
		mustMatcher(t, labels.MatchNotEqual, "a", `"=!~,{}\`),
		mustMatcher(t, labels.MatchRegexp, "severity", `crit(ical)?|\d+`),
		mustMatcher(t, labels.MatchNotRegexp, "交易所", "上海"),
		mustMatcher(t, labels.MatchEqual, `odd "name"=~`, "x\ny\t\x00"),
	} {
		got, err := parseStoredMatcher(m.String())
		if err != nil {
			t.Errorf("parse %s: %v", m, err)
			continue
		}
		if got.Name != m.Name || got.Type != m.Type || got.Value != m.Value {
			t.Errorf("parse %s: got %s", m, got)
		}
	}
	for _, bad := range []string{``, `team`, `="x"`, `team=x`, `team="x"y`, `team~"x"`, `team=~"("`, `"unterminated="x"`} {
		if m, err := parseStoredMatcher(bad); err == nil {
			t.Errorf("parse %q: got %s, want an error", bad, m)
		}
	}
}

// FuzzStoredMatcher checks that every matcher the store writes reads back
// the same, and that no input makes the parser panic.
func FuzzStoredMatcher(f *testing.F) {
	f.Add(uint8(0), "team", "payments")
	f.Add(uint8(2), "交易所", `a|"b"`)
	f.Add(uint8(1), `q"n`, "\xff\x00")
	f.Fuzz(func(t *testing.T, typ uint8, name, value string) {
		_, _ = parseStoredMatcher(name + value) // must not panic
		m, err := labels.NewMatcher(labels.MatchType(typ%4), name, value)
		if err != nil || name == "" {
			return // an invalid regexp or empty name is refused before storing
		}
		got, err := parseStoredMatcher(m.String())
		if err != nil {
			t.Fatalf("%s does not read back: %v", m, err)
		}
		if got.Name != m.Name || got.Type != m.Type || got.Value != m.Value {
			t.Fatalf("%s read back as %s", m, got)
		}
	})
}

// BenchmarkSaveAlert measures the write-through cost of one alert change,
// the Manager's most frequent write.
func BenchmarkSaveAlert(b *testing.B) {
	s, err := Open(b.Context(), "sqlite", filepath.Join(b.TempDir(), "seismo.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	a := testAlert(labels.FromStrings("alertname", "openings", "channel", "app"), t0)
	for i := 0; b.Loop(); i++ {
		a.UpdatedAt = t0.Add(time.Duration(i))
		if err := s.SaveAlerts(b.Context(), []*alert.Alert{a}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendNotification measures adding one history record.
func BenchmarkAppendNotification(b *testing.B) {
	s, err := Open(b.Context(), "sqlite", filepath.Join(b.TempDir(), "seismo.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		r := alert.NotificationRecord{Time: t0, Receiver: "ops", Integration: "webhook[0]", GroupKey: "{}:{}",
			Status: alert.NotificationSent, Firing: []alert.Fingerprint{1, 2, 3}, Attempts: 1}
		if err := s.AppendNotification(b.Context(), &r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStateStoreNotificationsByTime appends records out of time order (a
// retry that finished after a later flush, a clock stepped back): the
// history still lists them by their time, newest first.
func TestStateStoreNotificationsByTime(t *testing.T) {
	forEachStateStore(t, func(t *testing.T, st alert.StateStore) {
		ctx := t.Context()
		for i, m := range []int{2, 0, 1} {
			r := alert.NotificationRecord{Time: t0.Add(time.Duration(m) * time.Minute), Receiver: "ops",
				GroupKey: "{}:{}", Status: alert.NotificationSent, Error: fmt.Sprintf("m%d", m)}
			if err := st.AppendNotification(ctx, &r); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
		}
		got, err := st.Notifications(ctx, alert.NotificationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"m2", "m1", "m0"}, notificationTags(got)); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		got, err = st.Notifications(ctx, alert.NotificationFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"m2"}, notificationTags(got)); diff != "" {
			t.Errorf("limit 1 (-want +got):\n%s", diff)
		}
	})
}

// TestAlertStateTimeRange refuses times that unix nanoseconds cannot hold
// rather than storing them wrapped around, and reads query bounds beyond
// the range as no bound.
func TestAlertStateTimeRange(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	far := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	m := []*labels.Matcher{mustMatcher(t, labels.MatchEqual, "a", "b")}
	a := testAlert(labels.FromStrings("alertname", "a"), far)
	r := alert.NotificationRecord{Time: far, Receiver: "ops", GroupKey: "g", Status: alert.NotificationSent}
	for name, err := range map[string]error{
		"alert":   s.SaveAlerts(ctx, []*alert.Alert{a}),
		"silence": s.SaveSilence(ctx, alert.Silence{ID: "s", Matchers: m, StartsAt: t0, EndsAt: far}),
		"group":   s.SaveGroup(ctx, alert.GroupState{Key: "g", CreatedAt: far}),
		"log":     s.SaveNotifyEntry(ctx, alert.NotifyEntry{GroupKey: "g", Receiver: "ops/webhook[0]", Timestamp: far}),
		"history": s.AppendNotification(ctx, &r),
	} {
		if err == nil || !strings.Contains(err.Error(), "outside the storable range") {
			t.Errorf("%s in year 9999: %v, want a range error", name, err)
		}
	}
	ok := alert.NotificationRecord{Time: t0, Receiver: "ops", GroupKey: "g", Status: alert.NotificationSent}
	if err := s.AppendNotification(ctx, &ok); err != nil {
		t.Fatal(err)
	}
	got, err := s.Notifications(ctx, alert.NotificationFilter{From: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), To: far})
	if err != nil || len(got) != 1 {
		t.Errorf("bounds beyond the range: %d records, %v; want 1", len(got), err)
	}
}

// BenchmarkSaveAlerts100 measures a flush-sized batch: one transaction,
// one prepared statement.
func BenchmarkSaveAlerts100(b *testing.B) {
	s, err := Open(b.Context(), "sqlite", filepath.Join(b.TempDir(), "seismo.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := make([]*alert.Alert, 100)
	for i := range batch {
		batch[i] = testAlert(labels.FromStrings("alertname", "openings", "i", fmt.Sprint(i)), t0)
	}
	for i := 0; b.Loop(); i++ {
		for _, a := range batch {
			a.UpdatedAt = t0.Add(time.Duration(i))
		}
		if err := s.SaveAlerts(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStateStorePruneNotifications deletes the history strictly before
// an instant, in both stores: the count is what was deleted, the records
// at or after the bound stay, a second prune finds nothing, and IDs are
// not reused by later records.
func TestStateStorePruneNotifications(t *testing.T) {
	// Appended out of time order, as retries that finish late are.
	minutes := []int{0, -3, 1, -1, -2}
	tests := []struct {
		name   string
		before time.Time
		n      int
		left   []string // newest first
	}{
		{"zero time deletes nothing", time.Time{}, 0, []string{"m1", "m0", "m-1", "m-2", "m-3"}},
		{"before the oldest", t0.Add(-time.Hour), 0, []string{"m1", "m0", "m-1", "m-2", "m-3"}},
		{"a record at the bound is kept", t0.Add(-time.Minute), 2, []string{"m1", "m0", "m-1"}},
		{"between records", t0.Add(30 * time.Second), 4, []string{"m1"}},
		{"everything", t0.Add(time.Hour), 5, nil},
		{"beyond the storable range", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStateStore(t, func(t *testing.T, st alert.StateStore) {
				ctx := t.Context()
				var lastID int64
				for _, m := range minutes {
					r := alert.NotificationRecord{Time: t0.Add(time.Duration(m) * time.Minute), Receiver: "ops",
						GroupKey: "{}:{}", Status: alert.NotificationSent, Error: fmt.Sprintf("m%d", m)}
					if err := st.AppendNotification(ctx, &r); err != nil {
						t.Fatal(err)
					}
					lastID = r.ID
				}
				n, err := st.PruneNotifications(ctx, tt.before)
				if err != nil {
					t.Fatalf("PruneNotifications: %v", err)
				}
				if n != tt.n {
					t.Errorf("deleted %d records, want %d", n, tt.n)
				}
				got, err := st.Notifications(ctx, alert.NotificationFilter{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.left, notificationTags(got), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("left (-want +got):\n%s", diff)
				}
				if n, err := st.PruneNotifications(ctx, tt.before); err != nil || n != 0 {
					t.Errorf("second prune: %d, %v; want 0, nil", n, err)
				}
				r := alert.NotificationRecord{Time: t0, Receiver: "ops", GroupKey: "{}:{}", Status: alert.NotificationSent}
				if err := st.AppendNotification(ctx, &r); err != nil {
					t.Fatal(err)
				}
				if r.ID <= lastID {
					t.Errorf("a record appended after the prune got ID %d, not after the last one's %d", r.ID, lastID)
				}
			})
		})
	}
}

// TestPruneNotificationsUsesIndex checks SQLite's plan for the prune: a
// search of the time index and rowid lookups, not a scan of the history.
func TestPruneNotificationsUsesIndex(t *testing.T) {
	s, _ := openTemp(t)
	rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+pruneNotificationsSQL, t0.UnixNano(), pruneBatch)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(plan, "; ")
	t.Logf("plan: %s", joined)
	if !strings.Contains(joined, "alert_notifications_ts (ts<?)") || strings.Contains(joined, "SCAN") {
		t.Errorf("plan %q, want a search of alert_notifications_ts and no scan", joined)
	}
}

// TestPruneNotificationsInBatches prunes a backlog larger than several
// batches, as the first prune after an upgrade may: every old record is
// deleted and counted, the recent ones stay.
func TestPruneNotificationsInBatches(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	const old = 2*pruneBatch + 3
	_, err := s.w.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO alert_notifications (ts, receiver, group_key, status) SELECT ? - i, 'ops', '{}:{}', 'sent' FROM n`,
		old, t0.UnixNano())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{0, time.Minute} {
		r := alert.NotificationRecord{Time: t0.Add(d), Receiver: "ops", GroupKey: "{}:{}", Status: alert.NotificationSent}
		if err := s.AppendNotification(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneNotifications(ctx, t0)
	if err != nil || n != old {
		t.Fatalf("PruneNotifications = %d, %v; want %d, nil", n, err, old)
	}
	got, err := s.Notifications(ctx, alert.NotificationFilter{Limit: MaxNotificationLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[1].Time.Equal(t0) {
		t.Errorf("left %d records (%+v), want the two at and after the bound", len(got), got)
	}
}
