package alert

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

func mustMatchers(t *testing.T, s string) []*labels.Matcher {
	t.Helper()
	ms, err := ParseMatchers(s)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func newTestManager(t *testing.T, src string, opts Options) *Manager {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger
	}
	m, err := NewManager(loadConfig(t, src), opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const minimalConfig = `
resolve_timeout: 30d
route: {receiver: rec, group_by: [alertname], group_wait: 10s, group_interval: 1m}
receivers: [{name: rec}]
`

func TestAddSilenceValidation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestManager(t, minimalConfig, Options{})
		now := time.Now()
		tests := []struct {
			name string
			s    Silence
			err  string
		}{
			{"no matchers", Silence{EndsAt: now.Add(time.Hour)}, "at least one matcher"},
			{"matches everything", Silence{Matchers: mustMatchers(t, `a=~".*", b=""`), EndsAt: now.Add(time.Hour)}, "would mute every alert"},
			{"no end", Silence{Matchers: mustMatchers(t, `a="b"`)}, "needs an end"},
			{"ends before it starts", Silence{Matchers: mustMatchers(t, `a="b"`), StartsAt: now.Add(2 * time.Hour), EndsAt: now.Add(time.Hour)}, "not after the start"},
			{"ends in the past", Silence{Matchers: mustMatchers(t, `a="b"`), StartsAt: now.Add(-2 * time.Hour), EndsAt: now.Add(-time.Hour)}, "in the past"},
			{"struct literal regex is compiled", Silence{Matchers: []*labels.Matcher{{Type: labels.MatchRegexp, Name: "a", Value: "("}}, EndsAt: now.Add(time.Hour)}, "invalid regex"},
			{"no label name", Silence{Matchers: []*labels.Matcher{{Type: labels.MatchEqual, Value: "x"}}, EndsAt: now.Add(time.Hour)}, "no label name"},
		}
		for _, tt := range tests {
			_, err := m.AddSilence(t.Context(), tt.s)
			if !errors.Is(err, ErrInvalidSilence) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want ErrInvalidSilence saying %q", tt.name, err, tt.err)
			}
		}
		if len(m.Silences("")) != 0 {
			t.Error("an invalid silence was stored")
		}
		_, err := m.AddSilence(t.Context(), Silence{ID: "nope", Matchers: mustMatchers(t, `a="b"`), EndsAt: now.Add(time.Hour)})
		if !errors.Is(err, ErrSilenceNotFound) {
			t.Errorf("update of an unknown ID: %v", err)
		}
	})
}

func TestSilenceLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := NewMemoryState()
		m := newTestManager(t, minimalConfig, Options{State: state})
		ctx := t.Context()
		t0 := time.Now()

		// A new silence that would start in the past starts now.
		s, err := m.AddSilence(ctx, Silence{Matchers: mustMatchers(t, `team="db"`), StartsAt: t0.Add(-time.Hour), EndsAt: t0.Add(time.Hour), CreatedBy: "ann", Comment: "maintenance"})
		if err != nil {
			t.Fatal(err)
		}
		if s.ID == "" || !s.StartsAt.Equal(t0) || s.State(t0) != SilenceActive {
			t.Fatalf("created %+v", s)
		}
		pending, err := m.AddSilence(ctx, Silence{Matchers: mustMatchers(t, `team="web"`), StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}

		// Changing only the end and the comment updates in place.
		s.EndsAt, s.Comment = t0.Add(3*time.Hour), "longer"
		upd, err := m.AddSilence(ctx, s)
		if err != nil || upd.ID != s.ID || !upd.EndsAt.Equal(t0.Add(3*time.Hour)) {
			t.Fatalf("in-place update: %+v, %v", upd, err)
		}
		// A pending silence may move its start.
		pending.StartsAt = t0.Add(30 * time.Minute)
		if p, err := m.AddSilence(ctx, pending); err != nil || p.ID != pending.ID {
			t.Fatalf("pending update: %+v, %v", p, err)
		}

		// Changing the matchers expires the old one and creates a new one.
		time.Sleep(time.Minute)
		s2 := upd
		s2.Matchers = mustMatchers(t, `team="db", env="prod"`)
		repl, err := m.AddSilence(ctx, s2)
		if err != nil || repl.ID == s.ID {
			t.Fatalf("replacement: %+v, %v", repl, err)
		}
		if old, _ := m.Silence(s.ID); old.State(time.Now()) != SilenceExpired || !old.EndsAt.Equal(time.Now()) {
			t.Errorf("replaced silence not expired now: %+v", old)
		}

		// Listing by state.
		ids := func(ss []Silence) []string {
			var out []string
			for _, s := range ss {
				out = append(out, s.ID)
			}
			return out
		}
		if got := ids(m.Silences(SilenceActive)); len(got) != 1 || got[0] != repl.ID {
			t.Errorf("active = %v", got)
		}
		if got := ids(m.Silences(SilencePending)); len(got) != 1 || got[0] != pending.ID {
			t.Errorf("pending = %v", got)
		}
		if got := ids(m.Silences("")); len(got) != 3 || got[0] != repl.ID || got[1] != pending.ID || got[2] != s.ID {
			t.Errorf("all = %v, want active, pending, expired", got)
		}

		// Expiring.
		if err := m.ExpireSilence(ctx, pending.ID); err != nil {
			t.Fatal(err)
		}
		if p, _ := m.Silence(pending.ID); !p.StartsAt.Equal(p.EndsAt) || p.State(time.Now()) != SilenceExpired {
			t.Errorf("expired pending silence %+v should never have started", p)
		}
		if err := m.ExpireSilence(ctx, pending.ID); !errors.Is(err, ErrSilenceExpired) {
			t.Errorf("second expiry: %v", err)
		}
		if err := m.ExpireSilence(ctx, "nope"); !errors.Is(err, ErrSilenceNotFound) {
			t.Errorf("unknown: %v", err)
		}
		// An expired silence cannot be revived in place.
		old, _ := m.Silence(s.ID)
		old.EndsAt = time.Now().Add(time.Hour)
		if revived, err := m.AddSilence(ctx, old); err != nil || revived.ID == s.ID {
			t.Errorf("updating an expired silence: %+v, %v; want a new one", revived, err)
		}

		// Everything is in the state.
		stored, _ := state.LoadSilences(ctx)
		if len(stored) != 4 {
			t.Errorf("%d silences stored, want 4", len(stored))
		}
	})
}

func TestSilenceRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := NewMemoryState()
		r := startRig(t, minimalConfig+"silence_retention: 1d\n", Options{State: state})
		s, err := r.m.AddSilence(t.Context(), Silence{Matchers: mustMatchers(t, `a="b"`), EndsAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		step(time.Hour + 24*time.Hour - time.Minute)
		if _, ok := r.m.Silence(s.ID); !ok {
			t.Fatal("deleted before its retention")
		}
		step(silenceGCInterval)
		if _, ok := r.m.Silence(s.ID); ok {
			t.Error("kept after retention")
		}
		if stored, _ := state.LoadSilences(t.Context()); len(stored) != 0 {
			t.Errorf("still in the state: %+v", stored)
		}
	})
}

// TestSilenceMutesNotifications: a silenced alert is left out while the
// silence is active and notified at the group's first tick after it ends;
// a silence that starts later mutes from its start.
func TestSilenceMutesNotifications(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, minimalConfig, Options{})
		rec := r.recs["rec"]
		sil, err := r.m.AddSilence(t.Context(), Silence{Matchers: mustMatchers(t, `alertname="a"`), EndsAt: time.Now().Add(5 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.m.AddSilence(t.Context(), Silence{Matchers: mustMatchers(t, `alertname="b"`), StartsAt: time.Now().Add(2 * time.Minute), EndsAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		r.fire("alertname", "a")
		r.fire("alertname", "b")
		step(10 * time.Second)
		checkSent(t, rec, []sent{{10 * time.Second, `{alertname="b"}`, "firing", []string{"firing:b"}}})
		a, _ := r.m.Alert(FingerprintOf(labels.FromStrings("alertname", "a")))
		if a.Status.State != AlertStateSuppressed || len(a.Status.SilencedBy) != 1 || a.Status.SilencedBy[0] != sil.ID {
			t.Errorf("status of a: %+v", a.Status)
		}

		// b's silence starts at 2m: b's resolve after that is not told.
		step(2 * time.Minute)
		r.resolve("alertname", "b")
		step(2 * time.Minute)
		checkSent(t, rec, nil)

		// a's silence ends at 5m; the tick at 5m10s notifies it.
		step(time.Minute - time.Nanosecond)
		checkSent(t, rec, nil)
		step(time.Nanosecond)
		checkSent(t, rec, []sent{{5*time.Minute + 10*time.Second, `{alertname="a"}`, "firing", []string{"firing:a"}}})
		if len(r.m.Alerts()) != 1 {
			t.Errorf("alerts %s; b, resolved while silenced, should be gone", statuses(r.m.Alerts()))
		}
	})
}
