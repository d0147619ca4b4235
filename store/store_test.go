package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
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

// t0 is a fixed, millisecond-aligned base time for the tests.
var t0 = time.Date(2025, 3, 3, 9, 30, 0, 0, time.UTC)

var eventCmp = cmp.Options{
	cmp.Comparer(func(a, b labels.Labels) bool { return labels.Equal(a, b) }),
	cmpopts.EquateNaNs(),
	cmpopts.EquateEmpty(),
}

func openTemp(t *testing.T) (*sqliteStore, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nested", "dir", "seismo.db")
	s, err := Open(t.Context(), "sqlite", path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s.(*sqliteStore), path
}

// event returns an anomaly event of job at t0+minute minutes with the
// given label pairs.
func event(job string, minute int, kv ...string) alert.Event {
	return alert.Event{
		Kind:      alert.KindAnomaly,
		Job:       job,
		Labels:    labels.FromStrings(append([]string{"alertname", job}, kv...)...),
		Time:      t0.Add(time.Duration(minute) * time.Minute),
		Value:     float64(minute),
		Expected:  1,
		Lower:     0,
		Upper:     2,
		Score:     0.5,
		Detector:  "mad",
		CreatedAt: t0.Add(time.Hour),
	}
}

func mustAppend(t *testing.T, s Store, evs []alert.Event) int {
	t.Helper()
	n, err := s.AppendEvents(t.Context(), evs)
	if err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	return n
}

func TestRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	in := []alert.Event{
		{
			Kind:        alert.KindAnomaly,
			Job:         "account_openings",
			Labels:      labels.FromStrings("alertname", "account_openings", "channel", "app", "team", "accounts"),
			Annotations: map[string]string{"summary": "openings dropped", "description": "fell to 3 (expected 40)"},
			Time:        t0.Add(1234 * time.Millisecond),
			Value:       3,
			Expected:    40.25,
			Lower:       30.5,
			Upper:       50.125,
			Score:       0.97,
			Detector:    "seasonal-mad",
			CreatedAt:   t0.Add(2 * time.Minute),
		},
		{
			Kind:      alert.KindCheckMismatch,
			Job:       "shareholder_card_status",
			Labels:    labels.FromStrings("alertname", "shareholder_card_status", "odd name", `quote"d`),
			Time:      t0,
			Value:     math.NaN(),
			Expected:  math.Inf(1),
			Lower:     math.Inf(-1),
			Upper:     math.NaN(),
			Score:     0,
			CreatedAt: t0,
		},
		{
			Kind:      alert.KindNewTemplate,
			Job:       "app",
			Labels:    labels.EmptyLabels(),
			Time:      t0.Add(-time.Hour),
			Value:     -0.0001,
			CreatedAt: t0,
		},
	}
	evs := append([]alert.Event(nil), in...)
	if n := mustAppend(t, s, evs); n != len(in) {
		t.Fatalf("inserted %d, want %d", n, len(in))
	}
	for i, ev := range evs {
		if ev.ID == 0 {
			t.Errorf("event %d: ID not set", i)
		}
		in[i].ID = ev.ID
	}
	got, err := s.Events(t.Context(), EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []alert.Event{in[0], in[1], in[2]} // newest first
	if diff := cmp.Diff(want, got, eventCmp); diff != "" {
		t.Errorf("Events (-want +got):\n%s", diff)
	}
	for _, ev := range got {
		if ev.Time.Location() != time.UTC {
			t.Errorf("event %d: time in %v, want UTC", ev.ID, ev.Time.Location())
		}
	}
}

func TestAppendDefaultsCreatedAt(t *testing.T) {
	s, _ := openTemp(t)
	ev := event("j", 0)
	ev.CreatedAt = time.Time{}
	mustAppend(t, s, []alert.Event{ev})
	got, err := s.Events(t.Context(), EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].CreatedAt.IsZero() {
		t.Fatalf("got %+v, want one event with CreatedAt set", got)
	}
}

func TestAppendRejectsBadEvents(t *testing.T) {
	s, _ := openTemp(t)
	noTime := event("j", 0)
	noTime.Time = time.Time{}
	noKind := event("j", 1)
	noKind.Kind = ""
	for name, ev := range map[string]alert.Event{"no time": noTime, "no kind": noKind} {
		t.Run(name, func(t *testing.T) {
			good := event("j", 5)
			evs := []alert.Event{good, ev}
			if _, err := s.AppendEvents(t.Context(), evs); err == nil {
				t.Fatal("AppendEvents accepted a bad event")
			}
			if evs[0].ID != 0 {
				t.Error("a failed AppendEvents set IDs")
			}
		})
	}
	got, err := s.Events(t.Context(), EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("a failed AppendEvents stored %d events", len(got))
	}
}

func TestDuplicatesIgnored(t *testing.T) {
	s, _ := openTemp(t)
	first := []alert.Event{event("j", 0, "a", "1"), event("j", 1, "a", "1"), event("j", 0, "a", "2")}
	if n := mustAppend(t, s, first); n != 3 {
		t.Fatalf("inserted %d, want 3", n)
	}
	otherKind := event("j", 0, "a", "1")
	otherKind.Kind = alert.KindTemplateRate
	otherJob := event("k", 0, "a", "1")
	otherJob.Labels = first[0].Labels // same fingerprint, other job
	again := []alert.Event{
		event("j", 0, "a", "1"), // duplicate of a stored one
		event("j", 2, "a", "1"), // new
		event("j", 2, "a", "1"), // duplicate inside the batch
		otherKind,               // new: kind is part of the key
		otherJob,                // new: job is part of the key
	}
	again[0].Value = 99 // the stored event wins
	if n := mustAppend(t, s, again); n != 3 {
		t.Fatalf("inserted %d, want 3", n)
	}
	wantNew := []bool{false, true, false, true, true}
	for i, ev := range again {
		if (ev.ID != 0) != wantNew[i] {
			t.Errorf("event %d: ID %d, want set=%v", i, ev.ID, wantNew[i])
		}
	}
	got, err := s.Events(t.Context(), EventFilter{Job: "j", Kind: alert.KindAnomaly})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d events, want 4", len(got))
	}
	for _, ev := range got {
		if ev.Time.Equal(t0) && ev.Labels.Get("a") == "1" && ev.Value != 0 {
			t.Errorf("duplicate overwrote the stored event: value %v", ev.Value)
		}
	}
}

func TestEventsFilter(t *testing.T) {
	s, _ := openTemp(t)
	var evs []alert.Event
	for m := range 10 {
		channel := []string{"app", "web", "branch"}[m%3]
		evs = append(evs, event("openings", m, "channel", channel, "team", "accounts"))
	}
	for m := range 5 {
		ev := event("trades", m, "market", "sh")
		if m%2 == 1 {
			ev.Kind = alert.KindCheckMismatch
			ev.Labels = labels.FromStrings("alertname", "trades", "market", "sz", "team", "trading")
		}
		evs = append(evs, ev)
	}
	mustAppend(t, s, evs)

	// key names an event by job and minute.
	key := func(ev alert.Event) string {
		return fmt.Sprintf("%s@%d", ev.Job, int(ev.Time.Sub(t0)/time.Minute))
	}
	m := func(typ labels.MatchType, name, value string) *labels.Matcher {
		return labels.MustNewMatcher(typ, name, value)
	}
	tests := []struct {
		name string
		f    EventFilter
		want []string
	}{
		{"all newest first", EventFilter{Job: "trades"}, []string{"trades@4", "trades@3", "trades@2", "trades@1", "trades@0"}},
		{"from", EventFilter{From: t0.Add(8 * time.Minute)}, []string{"openings@9", "openings@8"}},
		{"to, ties newest insert first", EventFilter{To: t0}, []string{"trades@0", "openings@0"}},
		{"from and to inclusive", EventFilter{Job: "openings", From: t0.Add(2 * time.Minute), To: t0.Add(4 * time.Minute)}, []string{"openings@4", "openings@3", "openings@2"}},
		{"kind", EventFilter{Kind: alert.KindCheckMismatch}, []string{"trades@3", "trades@1"}},
		{"job and kind", EventFilter{Job: "openings", Kind: alert.KindCheckMismatch}, nil},
		{"equal", EventFilter{Matchers: []*labels.Matcher{m(labels.MatchEqual, "channel", "web")}}, []string{"openings@7", "openings@4", "openings@1"}},
		{"equal empty means absent", EventFilter{Job: "trades", Matchers: []*labels.Matcher{m(labels.MatchEqual, "team", "")}}, []string{"trades@4", "trades@2", "trades@0"}},
		{"not equal", EventFilter{Job: "openings", To: t0.Add(3 * time.Minute), Matchers: []*labels.Matcher{m(labels.MatchNotEqual, "channel", "app")}}, []string{"openings@2", "openings@1"}},
		{"regexp", EventFilter{Matchers: []*labels.Matcher{m(labels.MatchRegexp, "channel", "br.*|web")}, Limit: 3}, []string{"openings@8", "openings@7", "openings@5"}},
		{"not regexp", EventFilter{Matchers: []*labels.Matcher{m(labels.MatchNotRegexp, "market", "s.")}, From: t0.Add(7 * time.Minute)}, []string{"openings@9", "openings@8", "openings@7"}},
		{"several matchers", EventFilter{Matchers: []*labels.Matcher{m(labels.MatchEqual, "team", "accounts"), m(labels.MatchRegexp, "channel", "app|web"), m(labels.MatchNotEqual, "channel", "web")}}, []string{"openings@9", "openings@6", "openings@3", "openings@0"}},
		{"matcher on name", EventFilter{Matchers: []*labels.Matcher{m(labels.MatchEqual, "alertname", "trades"), m(labels.MatchEqual, "market", "sz")}}, []string{"trades@3", "trades@1"}},
		{"no match", EventFilter{Matchers: []*labels.Matcher{m(labels.MatchEqual, "channel", "fax")}}, nil},
		{"limit", EventFilter{Job: "openings", Limit: 2}, []string{"openings@9", "openings@8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Events(t.Context(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, ev := range got {
				keys = append(keys, key(ev))
			}
			if diff := cmp.Diff(tt.want, keys); diff != "" {
				t.Errorf("Events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventsBadFilter(t *testing.T) {
	s, _ := openTemp(t)
	tests := map[string]EventFilter{
		"to before from": {From: t0, To: t0.Add(-time.Second)},
		"negative limit": {Limit: -1},
		"nil matcher":    {Matchers: []*labels.Matcher{nil}},
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Events(t.Context(), f); err == nil {
				t.Error("Events accepted a bad filter")
			}
		})
	}
}

func TestLimits(t *testing.T) {
	tests := []struct{ in, want int }{{0, DefaultLimit}, {1, 1}, {MaxLimit, MaxLimit}, {MaxLimit + 1, MaxLimit}}
	for _, tt := range tests {
		if got, err := (EventFilter{Limit: tt.in}).limit(); err != nil || got != tt.want {
			t.Errorf("limit(%d) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}

	s, _ := openTemp(t)
	var evs []alert.Event
	for m := range DefaultLimit + 20 {
		evs = append(evs, event("j", m))
	}
	mustAppend(t, s, evs)
	got, err := s.Events(t.Context(), EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != DefaultLimit {
		t.Errorf("default limit returned %d events, want %d", len(got), DefaultLimit)
	}
}

// TestEventsPagesThroughGoMatchers checks that matchers applied in Go keep
// reading pages until the limit is filled, in order and without repeats.
func TestEventsPagesThroughGoMatchers(t *testing.T) {
	s, _ := openTemp(t)
	var evs []alert.Event
	for m := range 3 * pageSize {
		evs = append(evs, event("j", m/2, "n", fmt.Sprint(m%3), "i", fmt.Sprint(m)))
	}
	mustAppend(t, s, evs)
	f := EventFilter{Matchers: []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, "n", "0")}, Limit: pageSize - 10}
	got, err := s.Events(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != f.Limit {
		t.Fatalf("got %d events, want %d", len(got), f.Limit)
	}
	seen := map[int64]bool{}
	for i, ev := range got {
		if ev.Labels.Get("n") != "0" || seen[ev.ID] {
			t.Fatalf("event %d: %v (repeat=%v)", i, ev.Labels, seen[ev.ID])
		}
		seen[ev.ID] = true
		if i > 0 && (ev.Time.After(got[i-1].Time) || ev.Time.Equal(got[i-1].Time) && ev.ID > got[i-1].ID) {
			t.Fatalf("event %d out of order", i)
		}
	}
	// All 500 matching events: more than one page of 500 rows is needed.
	f.Limit = MaxLimit
	got, err = s.Events(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != pageSize {
		t.Errorf("got %d events, want %d", len(got), pageSize)
	}
}

func TestCursor(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	steps := []struct {
		set  bool
		job  string
		t    time.Time
		want map[string]time.Time
	}{
		{want: map[string]time.Time{"a": {}, "b": {}}},
		{set: true, job: "a", t: t0, want: map[string]time.Time{"a": t0, "b": {}}},
		{set: true, job: "b", t: t0.Add(time.Hour), want: map[string]time.Time{"a": t0, "b": t0.Add(time.Hour)}},
		{set: true, job: "a", t: t0.Add(1500 * time.Millisecond), want: map[string]time.Time{"a": t0.Add(1500 * time.Millisecond), "b": t0.Add(time.Hour)}},
		{set: true, job: "a", t: time.Time{}, want: map[string]time.Time{"a": {}, "b": t0.Add(time.Hour)}},
	}
	for i, st := range steps {
		if st.set {
			if err := s.SetCursor(ctx, st.job, st.t); err != nil {
				t.Fatalf("step %d: SetCursor: %v", i, err)
			}
		}
		for job, want := range st.want {
			got, err := s.Cursor(ctx, job)
			if err != nil {
				t.Fatalf("step %d: Cursor(%q): %v", i, job, err)
			}
			if !got.Equal(want) {
				t.Errorf("step %d: Cursor(%q) = %v, want %v", i, job, got, want)
			}
		}
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	s, path := openTemp(t)
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := migrate(t.Context(), s.w, ms, time.Now); err != nil {
			t.Fatalf("migrate again (%d): %v", i, err)
		}
		s2, err := Open(t.Context(), "sqlite", path)
		if err != nil {
			t.Fatalf("reopen (%d): %v", i, err)
		}
		if err := s2.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var n, maxV int
	if err := s.w.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &maxV); err != nil {
		t.Fatal(err)
	}
	if n != len(ms) || maxV != ms[len(ms)-1].version {
		t.Errorf("schema_migrations has %d rows up to %d, want %d up to %d", n, maxV, len(ms), ms[len(ms)-1].version)
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil || len(ms) == 0 || ms[0].version != 1 {
		t.Fatalf("embedded migrations: %v, %v", ms, err)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].version <= ms[i-1].version {
			t.Errorf("migrations out of order: %s after %s", ms[i].name, ms[i-1].name)
		}
	}
}

func TestSchemaTooNew(t *testing.T) {
	s, path := openTemp(t)
	if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(t.Context(), "sqlite", path)
	if err == nil {
		s2.Close()
		t.Fatal("Open accepted a database from the future")
	}
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999") {
		t.Errorf("error %q: want ErrSchemaTooNew naming version 9999", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seismo.db")
	s, err := Open(t.Context(), "sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, []alert.Event{event("j", 0), event("j", 1)})
	if err := s.SetCursor(t.Context(), "j", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(t.Context(), "sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Events(t.Context(), EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("after reopen: %d events, want 2", len(got))
	}
	c, err := s.Cursor(t.Context(), "j")
	if err != nil || !c.Equal(t0.Add(time.Minute)) {
		t.Errorf("after reopen: cursor %v, %v; want %v", c, err, t0.Add(time.Minute))
	}
	// The same events again are duplicates of the stored ones.
	if n := mustAppend(t, s, []alert.Event{event("j", 0), event("j", 1)}); n != 0 {
		t.Errorf("re-appending after reopen inserted %d, want 0", n)
	}
}

func TestConcurrentAppend(t *testing.T) {
	s, _ := openTemp(t)
	const workers, perWorker = 8, 60
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker / 10 {
				var evs []alert.Event
				for j := range 10 {
					m := i*10 + j
					if m%2 == 0 {
						evs = append(evs, event("shared", m)) // every worker appends these
					} else {
						evs = append(evs, event(fmt.Sprintf("w%d", w), m))
					}
				}
				n, err := s.AppendEvents(t.Context(), evs)
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				mu.Lock()
				total += n
				mu.Unlock()
				// Read while others write.
				if _, err := s.Events(t.Context(), EventFilter{Job: "shared", Limit: 5}); err != nil {
					t.Errorf("worker %d: Events: %v", w, err)
				}
			}
		})
	}
	wg.Wait()
	want := perWorker/2 + workers*perWorker/2
	if total != want {
		t.Errorf("inserted %d in total, want %d", total, want)
	}
	got, err := s.Events(t.Context(), EventFilter{Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != want {
		t.Errorf("stored %d events, want %d", len(got), want)
	}
}

func TestPragmas(t *testing.T) {
	s, _ := openTemp(t)
	tests := []struct {
		db     string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", fmt.Sprint(busyTimeoutMS)},
		{"reader", "journal_mode", "wal"},
		{"reader", "query_only", "1"},
		{"reader", "busy_timeout", fmt.Sprint(busyTimeoutMS)},
	}
	for _, tt := range tests {
		db := s.w
		if tt.db == "reader" {
			db = s.r
		}
		var got string
		if err := db.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s: PRAGMA %s = %q, want %q", tt.db, tt.pragma, got, tt.want)
		}
	}
}

func TestParseSQLiteDSN(t *testing.T) {
	tests := []struct {
		dsn     string
		path    string
		memory  bool
		query   string
		wantErr bool
	}{
		{dsn: "seismo.db", path: "seismo.db"},
		{dsn: "/var/lib/seismo/seismo.db", path: "/var/lib/seismo/seismo.db"},
		{dsn: "data/seismo.db?_pragma=cache_size(-2000)", path: "data/seismo.db", query: "_pragma=cache_size%28-2000%29"},
		{dsn: "file:seismo.db", path: "seismo.db"},
		{dsn: "file:/abs/my%20db.sqlite?mode=rwc", path: "/abs/my db.sqlite", query: "mode=rwc"},
		{dsn: "file:///abs/seismo.db", path: "/abs/seismo.db"},
		{dsn: "file://localhost/abs/seismo.db", path: "/abs/seismo.db"},
		{dsn: ":memory:", path: ":memory:", memory: true},
		{dsn: "file:x?mode=memory&cache=shared", path: "x", memory: true, query: "cache=shared&mode=memory"},
		{dsn: "", wantErr: true},
		{dsn: "file:", wantErr: true},
		{dsn: "file://example.com/seismo.db", wantErr: true},
		{dsn: "file:a%zz", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			d, err := parseSQLiteDSN(tt.dsn)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if d.path != tt.path || d.memory != tt.memory || d.query.Encode() != tt.query {
				t.Errorf("got path %q memory %v query %q; want %q %v %q", d.path, d.memory, d.query.Encode(), tt.path, tt.memory, tt.query)
			}
		})
	}
}

func TestUserPragmasWin(t *testing.T) {
	d, err := parseSQLiteDSN("x.db?_pragma=journal_mode(DELETE)&_pragma=busy_timeout(100)&_txlock=deferred")
	if err != nil {
		t.Fatal(err)
	}
	u := d.uri(false)
	for _, bad := range []string{"WAL", "5000", "immediate"} {
		if strings.Contains(u, bad) {
			t.Errorf("uri %q overrides the user's setting with %s", u, bad)
		}
	}
}

func TestOpenPathWithSpecialCharacters(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ dsn, file string }{
		// A plain path may hold anything but '?', which starts parameters.
		{filepath.Join(dir, "a dir#1", "50%.db"), filepath.Join(dir, "a dir#1", "50%.db")},
		// In a URI, '?' is escaped.
		{"file:" + filepath.ToSlash(filepath.Join(dir, "b", "what%3F.db")) + "?_pragma=cache_size(-1000)", filepath.Join(dir, "b", "what?.db")},
	}
	for _, tt := range tests {
		s, err := Open(t.Context(), "sqlite", tt.dsn)
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, s, []alert.Event{event("j", 0)})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(tt.file); err != nil {
			t.Errorf("Open(%q): database not at %q: %v", tt.dsn, tt.file, err)
		}
	}
}

func TestOpenMemory(t *testing.T) {
	s, err := Open(t.Context(), "sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustAppend(t, s, []alert.Event{event("j", 0)})
	got, err := s.Events(t.Context(), EventFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("Events = %d, %v; want 1 event", len(got), err)
	}
}

func TestOpenDrivers(t *testing.T) {
	tests := []struct {
		driver, wantMsg string
	}{
		{"postgres", "not supported yet"},
		{"oracle", `"oracle"`},
	}
	for _, tt := range tests {
		_, err := Open(context.Background(), tt.driver, "x")
		if !errors.Is(err, ErrUnsupportedDriver) || !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("Open(%q) error = %v, want ErrUnsupportedDriver mentioning %s", tt.driver, err, tt.wantMsg)
		}
	}
}

// TestMigrationsFillGaps checks that a migration numbered below the newest
// applied one (landed out of order) is still applied, once.
func TestMigrationsFillGaps(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "gaps.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m1 := migration{version: 1, name: "0001_a.sql", sql: `CREATE TABLE a (x INTEGER)`}
	m2 := migration{version: 2, name: "0002_b.sql", sql: `CREATE TABLE b (x INTEGER)`}
	m3 := migration{version: 3, name: "0003_c.sql", sql: `CREATE TABLE c (x INTEGER)`}
	if err := migrate(t.Context(), db, []migration{m1, m3}, time.Now); err != nil {
		t.Fatalf("migrate 1,3: %v", err)
	}
	if err := migrate(t.Context(), db, []migration{m1, m2, m3}, time.Now); err != nil {
		t.Fatalf("migrate 1,2,3: %v", err)
	}
	var versions []int
	rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	rows.Close()
	if want := []int{1, 2, 3}; !slices.Equal(versions, want) {
		t.Errorf("applied versions %v, want %v", versions, want)
	}
	if _, err := db.Exec(`INSERT INTO b (x) VALUES (1)`); err != nil {
		t.Errorf("table of the late migration missing: %v", err)
	}
}
