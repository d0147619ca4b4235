package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
)

// sent is what a recorder saw in one notification: "status:alertname" per
// alert, in message order.
type sent struct {
	at     time.Duration // since the bubble started
	group  string
	status string
	alerts []string
}

// recorder is a Notifier that records messages and fails as told.
type recorder struct {
	start time.Time
	mu    sync.Mutex
	msgs  []sent
	fail  []error // errors returned by the next calls, in order
	retry bool
	calls int
}

func (r *recorder) Notify(_ context.Context, m *Message) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if len(r.fail) > 0 {
		err := r.fail[0]
		r.fail = r.fail[1:]
		if err != nil {
			return r.retry, err
		}
	}
	s := sent{at: time.Since(r.start), group: m.GroupLabels.String(), status: m.Status}
	for _, a := range m.Alerts {
		s.alerts = append(s.alerts, a.Status()+":"+a.Labels.Get("alertname"))
	}
	r.msgs = append(r.msgs, s)
	return false, nil
}

func (r *recorder) attempts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

func (r *recorder) take() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.msgs
	r.msgs = nil
	return m
}

// testConfig is a config with short, distinct intervals.
func testConfig() Config {
	c := Config{
		ResolveTimeout: field.Duration(5 * time.Minute),
		Route: Route{
			Receiver:       "rec",
			GroupBy:        []string{"team"},
			GroupWait:      field.Duration(10 * time.Second),
			GroupInterval:  field.Duration(time.Minute),
			RepeatInterval: field.Duration(time.Hour),
		},
		Receivers: []ReceiverConfig{{Name: "rec", LogConfigs: []LogConfig{{}}}},
	}
	c.ApplyDefaults()
	return c
}

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// startManager starts a Manager whose receiver "rec" has a single
// recording integration. It must be called inside a synctest bubble; the
// returned stop function cancels Run and waits for it.
func startManager(t *testing.T, cfg Config, sendResolved bool, reg prometheus.Registerer) (*Manager, *recorder, func()) {
	t.Helper()
	m, err := NewManager(cfg, Options{Logger: quietLogger, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{start: time.Now()}
	m.receivers["rec"] = []integration{{name: "webhook", sendResolved: sendResolved, notifier: rec}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return m, rec, stop
}

func ev(name, team string, at time.Time) Event {
	return Event{Kind: KindAnomaly, Job: name, Labels: labels.FromStrings("alertname", name, "team", team), Time: at, Value: 1, Expected: 2, Lower: 1.5, Upper: 2.5, Score: 0.9}
}

// step advances the fake clock by d and lets every goroutine settle.
func step(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func checkSent(t *testing.T, rec *recorder, want []sent) {
	t.Helper()
	if diff := cmp.Diff(want, rec.take(), cmp.AllowUnexported(sent{})); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
}

func TestGroupWaitAndInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec, _ := startManager(t, testConfig(), true, nil)
		m.Fire(ev("a", "x", time.Now()))
		step(10*time.Second - time.Nanosecond)
		checkSent(t, rec, nil)
		step(time.Nanosecond)
		checkSent(t, rec, []sent{{10 * time.Second, `{team="x"}`, "firing", []string{"firing:a"}}})

		// A new alert in the group waits for the next group_interval tick;
		// one in another group starts its own group_wait.
		step(20 * time.Second)
		m.Fire(ev("b", "x", time.Now()), ev("c", "y", time.Now()))
		step(10 * time.Second)
		checkSent(t, rec, []sent{{40 * time.Second, `{team="y"}`, "firing", []string{"firing:c"}}})
		step(30*time.Second - time.Nanosecond)
		checkSent(t, rec, nil)
		step(time.Nanosecond)
		checkSent(t, rec, []sent{{70 * time.Second, `{team="x"}`, "firing", []string{"firing:a", "firing:b"}}})

		// Refreshing firing alerts changes nothing worth a notification.
		for range 5 {
			m.Fire(ev("a", "x", time.Now()), ev("b", "x", time.Now()), ev("c", "y", time.Now()))
			step(time.Minute)
		}
		checkSent(t, rec, nil)
	})
}

func TestRepeatInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.ResolveTimeout = field.Duration(24 * time.Hour)
		m, rec, _ := startManager(t, cfg, true, nil)
		m.Fire(ev("a", "x", time.Now()))
		step(10 * time.Second)
		checkSent(t, rec, []sent{{10 * time.Second, `{team="x"}`, "firing", []string{"firing:a"}}})
		step(time.Hour - time.Nanosecond)
		checkSent(t, rec, nil)
		step(time.Nanosecond)
		checkSent(t, rec, []sent{{time.Hour + 10*time.Second, `{team="x"}`, "firing", []string{"firing:a"}}})
		step(2 * time.Hour)
		if got := len(rec.take()); got != 2 {
			t.Errorf("%d notifications in two more hours, want 2", got)
		}
	})
}

func TestResolve(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec, _ := startManager(t, testConfig(), true, nil)
		m.Fire(ev("a", "x", time.Now()), ev("b", "x", time.Now()))
		step(10 * time.Second)
		rec.take()

		m.Resolve(labels.FromStrings("alertname", "a", "team", "x"), labels.FromStrings("alertname", "nope"))
		if got := statuses(m.Alerts()); got != "resolved:a firing:b" {
			t.Errorf("Alerts() = %s", got)
		}
		step(time.Minute)
		checkSent(t, rec, []sent{{70 * time.Second, `{team="x"}`, "firing", []string{"resolved:a", "firing:b"}}})
		if got := statuses(m.Alerts()); got != "firing:b" {
			t.Errorf("after notification, Alerts() = %s; want the resolved alert dropped", got)
		}

		m.Resolve(labels.FromStrings("alertname", "b", "team", "x"))
		step(time.Minute)
		checkSent(t, rec, []sent{{130 * time.Second, `{team="x"}`, "resolved", []string{"resolved:b"}}})
		if got := len(m.Alerts()); got != 0 {
			t.Errorf("%d alerts left", got)
		}
		m.mu.Lock()
		groups := len(m.groups)
		m.mu.Unlock()
		if groups != 0 {
			t.Errorf("%d groups left after everything resolved", groups)
		}

		// Firing again starts a new group with its own group_wait.
		m.Fire(ev("a", "x", time.Now()))
		step(10 * time.Second)
		checkSent(t, rec, []sent{{140 * time.Second, `{team="x"}`, "firing", []string{"firing:a"}}})
	})
}

func statuses(as []*Alert) string {
	var s []string
	for _, a := range as {
		s = append(s, a.Status()+":"+a.Labels.Get("alertname"))
	}
	return strings.Join(s, " ")
}

func TestResolveTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec, _ := startManager(t, testConfig(), true, nil)
		start := time.Now()
		m.Fire(ev("a", "x", start))
		step(10 * time.Second)
		rec.take()
		step(4*time.Minute + 15*time.Second)
		m.Fire(ev("a", "x", time.Now())) // refreshed at 4m25s: times out at 9m25s
		step(5*time.Minute - time.Nanosecond)
		if got := statuses(m.Alerts()); got != "firing:a" {
			t.Errorf("just before resolve_timeout: %s", got)
		}
		checkSent(t, rec, nil)
		step(time.Nanosecond)
		as := m.Alerts()
		if got := statuses(as); got != "resolved:a" {
			t.Fatalf("at resolve_timeout: %s", got)
		}
		if want := start.Add(9*time.Minute + 25*time.Second); !as[0].EndsAt.Equal(want) {
			t.Errorf("EndsAt = %v, want %v", as[0].EndsAt, want)
		}
		checkSent(t, rec, nil)
		// The group's next tick, at 10m10s, notifies the resolution.
		step(45 * time.Second)
		checkSent(t, rec, []sent{{10*time.Minute + 10*time.Second, `{team="x"}`, "resolved", []string{"resolved:a"}}})
	})
}

func TestSendResolvedFalse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec, _ := startManager(t, testConfig(), false, nil)
		m.Fire(ev("a", "x", time.Now()), ev("b", "x", time.Now()))
		step(10 * time.Second)
		rec.take()
		m.Resolve(labels.FromStrings("alertname", "a", "team", "x"))
		step(time.Minute)
		checkSent(t, rec, nil)
		// a is forgotten: when it fires again, it is news.
		m.Fire(ev("a", "x", time.Now()))
		step(time.Minute)
		checkSent(t, rec, []sent{{130 * time.Second, `{team="x"}`, "firing", []string{"firing:a", "firing:b"}}})
		m.Resolve(labels.FromStrings("alertname", "a", "team", "x"), labels.FromStrings("alertname", "b", "team", "x"))
		step(time.Minute)
		checkSent(t, rec, nil)
		if got := len(m.Alerts()); got != 0 {
			t.Errorf("%d alerts left", got)
		}
	})
}

func TestFiredAndResolvedBeforeGroupWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec, _ := startManager(t, testConfig(), true, nil)
		m.Fire(ev("a", "x", time.Now()))
		step(5 * time.Second)
		m.Resolve(labels.FromStrings("alertname", "a", "team", "x"))
		step(time.Hour)
		checkSent(t, rec, nil)
		if got := len(m.Alerts()); got != 0 {
			t.Errorf("%d alerts left", got)
		}
	})
}

func TestAlertFields(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		m, err := NewManager(cfg, Options{Logger: quietLogger, ExternalURL: "http://seismo.example"})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		first := ev("a", "x", t0.Add(-2*time.Minute))
		first.Annotations = map[string]string{"summary": "first"}
		latest := ev("a", "x", t0.Add(-time.Minute))
		latest.Value, latest.Expected, latest.Lower, latest.Upper, latest.Score = 1234567.891, 0.12345678, -1, 3, 0.876
		latest.Annotations = map[string]string{"summary": "latest", AnnotationScore: "custom"}
		older := ev("a", "x", t0.Add(-3*time.Minute)) // arrives last but is older
		older.Annotations = map[string]string{"summary": "older"}
		m.Fire(first, latest)
		time.Sleep(time.Second)
		m.Fire(older)

		as := m.Alerts()
		if len(as) != 1 {
			t.Fatalf("%d alerts, want 1", len(as))
		}
		want := &Alert{
			Labels:       labels.FromStrings("alertname", "a", "team", "x"),
			Annotations:  map[string]string{"summary": "latest", "value": "1234567.891", "expected": "0.1235", "band": "[-1, 3]", "score": "custom"},
			StartsAt:     t0.Add(-3 * time.Minute),
			UpdatedAt:    t0.Add(time.Second),
			GeneratorURL: "http://seismo.example",
			Fingerprint:  FingerprintOf(labels.FromStrings("alertname", "a", "team", "x")),
		}
		if diff := cmp.Diff(want, as[0], cmp.Comparer(labels.Equal)); diff != "" {
			t.Errorf("alert (-want +got):\n%s", diff)
		}
		if as[0].Status() != "firing" || as[0].Resolved() {
			t.Errorf("status %s", as[0].Status())
		}
		// Alerts returns copies.
		as[0].Annotations["summary"] = "changed"
		if m.Alerts()[0].Annotations["summary"] != "latest" {
			t.Error("Alerts() shares annotations with the Manager")
		}
	})
}

func TestRetryAndMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewPedanticRegistry()
		m, rec, _ := startManager(t, testConfig(), true, reg)
		rec.retry = true
		rec.fail = []error{errors.New("503"), errors.New("503")}
		m.Fire(ev("a", "x", time.Now()), ev("b", "y", time.Now()))
		m.Resolve(labels.FromStrings("alertname", "b", "team", "y"))
		step(time.Minute)
		got := rec.take()
		if len(got) != 1 || got[0].status != "firing" {
			t.Fatalf("got %+v, want one firing notification after retries", got)
		}
		if rec.attempts() != 3 {
			t.Errorf("%d attempts, want 3", rec.attempts())
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP seismo_alerts How many alerts are in each state.
# TYPE seismo_alerts gauge
seismo_alerts{state="firing"} 1
seismo_alerts{state="resolved"} 0
# HELP seismo_notifications_failed_total The total number of failed notification attempts.
# TYPE seismo_notifications_failed_total counter
seismo_notifications_failed_total{integration="alertmanager"} 0
seismo_notifications_failed_total{integration="dingtalk"} 0
seismo_notifications_failed_total{integration="email"} 0
seismo_notifications_failed_total{integration="feishu"} 0
seismo_notifications_failed_total{integration="log"} 0
seismo_notifications_failed_total{integration="slack"} 0
seismo_notifications_failed_total{integration="webhook"} 2
seismo_notifications_failed_total{integration="wecom"} 0
# HELP seismo_notifications_total The total number of attempted notifications.
# TYPE seismo_notifications_total counter
seismo_notifications_total{integration="alertmanager"} 0
seismo_notifications_total{integration="dingtalk"} 0
seismo_notifications_total{integration="email"} 0
seismo_notifications_total{integration="feishu"} 0
seismo_notifications_total{integration="log"} 0
seismo_notifications_total{integration="slack"} 0
seismo_notifications_total{integration="webhook"} 3
seismo_notifications_total{integration="wecom"} 0
`), "seismo_alerts", "seismo_notifications_total", "seismo_notifications_failed_total"); err != nil {
			t.Error(err)
		}
		// One latency histogram per kind of integration (the eight
		// above), created up front.
		if n := testutil.CollectAndCount(reg, "seismo_notification_latency_seconds"); n != 8 {
			t.Errorf("%d latency series, want 8", n)
		}
	})
}

func TestPermanentFailureRetriedNextInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec, _ := startManager(t, testConfig(), true, nil)
		rec.fail = []error{errors.New("400")}
		m.Fire(ev("a", "x", time.Now()))
		step(10 * time.Second)
		if rec.attempts() != 1 || len(rec.take()) != 0 {
			t.Fatalf("%d attempts; want exactly one, failed", rec.attempts())
		}
		step(time.Minute)
		checkSent(t, rec, []sent{{70 * time.Second, `{team="x"}`, "firing", []string{"firing:a"}}})
	})
}

func TestRetriesStopAtDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec, _ := startManager(t, testConfig(), true, nil)
		rec.retry = true
		for range 1000 {
			rec.fail = append(rec.fail, errors.New("502"))
		}
		m.Fire(ev("a", "x", time.Now()))
		step(10 * time.Second)
		step(time.Minute - time.Nanosecond)
		calls := rec.attempts()
		if calls < 3 || calls > 60 {
			t.Errorf("%d attempts within group_interval, want a few (exponential backoff)", calls)
		}
		// The next tick tries again.
		step(time.Minute)
		if rec.attempts() <= calls {
			t.Errorf("no attempt after the next tick")
		}
	})
}

func TestShutdownFlushes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec, stop := startManager(t, testConfig(), true, nil)
		m.Fire(ev("a", "x", time.Now()))
		stop() // before group_wait
		checkSent(t, rec, []sent{{0, `{team="x"}`, "firing", []string{"firing:a"}}})
		if err := m.Run(context.Background()); err == nil {
			t.Error("a second Run succeeded")
		}
	})
}

func TestFireBeforeRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := NewManager(testConfig(), Options{Logger: quietLogger})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{start: time.Now()}
		m.receivers["rec"] = []integration{{name: "webhook", sendResolved: true, notifier: rec}}
		m.Fire(ev("a", "x", time.Now()))
		step(30 * time.Second)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- m.Run(ctx) }()
		synctest.Wait()
		// group_wait counts from the group's creation: it is already over.
		checkSent(t, rec, []sent{{30 * time.Second, `{team="x"}`, "firing", []string{"firing:a"}}})
		cancel()
		<-done
	})
}

func TestGroupByAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.Route.GroupBy = []string{GroupByAll}
		m, rec, _ := startManager(t, cfg, true, nil)
		m.Fire(ev("a", "x", time.Now()), ev("b", "x", time.Now()))
		step(10 * time.Second)
		got := rec.take()
		if len(got) != 2 {
			t.Fatalf("%d notifications, want one per alert", len(got))
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, rec, _ := startManager(t, testConfig(), true, nil)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for j := range 50 {
					name := fmt.Sprintf("a%d", j%5)
					m.Fire(ev(name, fmt.Sprint(i%3), time.Now()))
					if j%7 == 0 {
						m.Resolve(labels.FromStrings("alertname", name, "team", fmt.Sprint(i%3)))
					}
					m.Alerts()
					time.Sleep(time.Second)
				}
			})
		}
		wg.Wait()
		step(time.Hour)
		if len(rec.take()) == 0 {
			t.Error("no notifications")
		}
	})
}

func TestNewManagerRejectsBadConfig(t *testing.T) {
	cfg := testConfig()
	cfg.Route.Receiver = "nope"
	if _, err := NewManager(cfg, Options{}); err == nil || !strings.Contains(err.Error(), "route.receiver") {
		t.Errorf("NewManager error = %v, want one about route.receiver", err)
	}
	reg := prometheus.NewRegistry()
	if _, err := NewManager(testConfig(), Options{Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewManager(testConfig(), Options{Registerer: reg}); err == nil {
		t.Error("a second Manager registered the same metrics")
	}
}

func TestHumanFloat(t *testing.T) {
	tests := map[float64]string{0: "0", 1: "1", -2.5: "-2.5", 1234567.891: "1234567.891", 0.12345678: "0.1235", 1e-7: "1e-07", 3e16: "3e+16"}
	for v, want := range tests {
		if got := humanFloat(v); got != want {
			t.Errorf("humanFloat(%v) = %q, want %q", v, got, want)
		}
	}
}
