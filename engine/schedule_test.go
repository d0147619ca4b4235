package engine

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/source"
)

// funcSource is a source whose behaviour a test chooses.
type funcSource func(ctx context.Context, q source.Query) ([]series.Series, error)

func (f funcSource) Query(ctx context.Context, q source.Query) ([]series.Series, error) {
	return f(ctx, q)
}
func (f funcSource) Close() error { return nil }

func engineWithSource(t *testing.T, src source.TimeSeries) (*Engine, *monitor) {
	t.Helper()
	dir := t.TempDir()
	writePayments(t, filepath.Join(dir, "data.db"))
	hook, _ := webhookSink(t)
	eng, err := New(context.Background(), testConfig(t, dir, hook.URL, ""), Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { return dataEnd },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	m := eng.monitors[0]
	m.src = src
	return eng, m
}

func runs(e *Engine, result string) float64 {
	return testutil.ToFloat64(e.metrics.runs.WithLabelValues("payments", "monitor", result))
}

func TestScheduledSkipsWhileRunning(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	eng, m := engineWithSource(t, funcSource(func(ctx context.Context, _ source.Query) ([]series.Series, error) {
		close(entered)
		<-release
		return nil, nil
	}))
	done := make(chan struct{})
	go func() { eng.scheduled(context.Background(), m, false); close(done) }()
	<-entered
	eng.scheduled(context.Background(), m, false) // must return at once, skipped
	if got := runs(eng, "skipped_running"); got != 1 {
		t.Errorf("skipped_running = %v, want 1", got)
	}
	close(release)
	<-done
	if got := runs(eng, "success"); got != 1 {
		t.Errorf("success = %v, want 1", got)
	}
}

func TestScheduledRecoversFromPanic(t *testing.T) {
	eng, m := engineWithSource(t, funcSource(func(context.Context, source.Query) ([]series.Series, error) {
		panic("source exploded")
	}))
	eng.scheduled(context.Background(), m, false)
	if got := runs(eng, "failure"); got != 1 {
		t.Errorf("failure = %v, want 1", got)
	}
	if st := eng.Jobs()[0]; st.Failures != 1 || st.Running {
		t.Errorf("status after panic = %+v", st)
	}
	// The job can run again: the running flag was released.
	m.src = funcSource(func(context.Context, source.Query) ([]series.Series, error) { return nil, nil })
	eng.scheduled(context.Background(), m, false)
	if got := runs(eng, "success"); got != 1 {
		t.Errorf("success after recovery = %v, want 1", got)
	}
}

func TestScheduledTimesOut(t *testing.T) {
	eng, m := engineWithSource(t, funcSource(func(ctx context.Context, _ source.Query) ([]series.Series, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	m.cfg.Timeout = 1 // nanosecond: the deadline has passed when the query starts
	eng.scheduled(context.Background(), m, false)
	if got := runs(eng, "failure"); got != 1 {
		t.Errorf("failure = %v, want 1 (timeout)", got)
	}
	if c, err := eng.Store().Cursor(context.Background(), "payments"); err != nil || !c.IsZero() {
		t.Errorf("cursor moved after a failed run: %v %v", c, err)
	}
}

func TestCalendarGate(t *testing.T) {
	cal, err := calendar.New(calendar.Config{
		Timezone: "Asia/Shanghai",
		Sessions: []string{"09:30-11:30", "13:00-15:00"},
		Holidays: []string{"2026-03-11"},
	}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(day, hh, mm int) time.Time { return time.Date(2026, 3, day, hh, mm, 0, 0, sh) }
	tests := []struct {
		activeIn string
		t        time.Time
		want     bool // active
	}{
		{"sessions", at(10, 10, 0), true},
		{"sessions", at(10, 12, 0), false}, // lunch break
		{"sessions", at(11, 10, 0), false}, // holiday
		{"sessions", at(14, 10, 0), false}, // Saturday
		{"trading_days", at(10, 20, 0), true},
		{"trading_days", at(11, 10, 0), false},
		{"always", at(14, 3, 0), true},
	}
	for _, tc := range tests {
		m := &monitor{cfg: config.Monitor{ActiveIn: tc.activeIn}, cal: cal}
		if got := m.inactive(tc.t) == ""; got != tc.want {
			t.Errorf("%s at %v: active = %v, want %v", tc.activeIn, tc.t, got, tc.want)
		}
	}
}
