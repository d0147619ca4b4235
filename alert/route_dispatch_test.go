package alert

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
)

// rig is a running Manager whose receivers each have one recording
// integration (sending resolved alerts).
type rig struct {
	m    *Manager
	recs map[string]*recorder
	stop func()
}

// startRig starts a Manager for the YAML alerting section src inside a
// synctest bubble. opts.Logger defaults to a quiet one.
func startRig(t *testing.T, src string, opts Options) *rig {
	t.Helper()
	cfg := loadConfig(t, src)
	return startRigConfig(t, cfg, opts)
}

func startRigConfig(t *testing.T, cfg Config, opts Options) *rig {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger
	}
	m, err := NewManager(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{m: m, recs: map[string]*recorder{}}
	for _, rc := range cfg.Receivers {
		rec := &recorder{start: time.Now()}
		r.recs[rc.Name] = rec
		m.receivers[rc.Name] = []integration{{name: "webhook", sendResolved: true, notifier: rec}}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(r.stop)
	return r
}

// fire fires an alert with the label pairs.
func (r *rig) fire(kv ...string) {
	r.m.Fire(Event{Labels: labels.FromStrings(kv...), Time: r.m.now()})
}

func (r *rig) resolve(kv ...string) { r.m.Resolve(labels.FromStrings(kv...)) }

func TestRoutesNotifyTheirReceivers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  routes:
    - matchers: [team="db"]
      receiver: db
      group_by: [alertname, instance]
      group_wait: 30s
      continue: true
    - matchers: [severity="critical"]
      receiver: pager
      group_wait: 0s
      group_interval: 2m
receivers: [{name: default}, {name: db}, {name: pager}]
`, Options{})
		r.fire("alertname", "DiskFull", "team", "db", "instance", "db1", "severity", "critical")
		r.fire("alertname", "DiskFull", "team", "db", "instance", "db2")
		r.fire("alertname", "Other", "team", "web")
		step(0)
		checkSent(t, r.recs["pager"], []sent{{0, `{alertname="DiskFull"}`, "firing", []string{"firing:DiskFull"}}})
		step(10 * time.Second)
		checkSent(t, r.recs["default"], []sent{{10 * time.Second, `{alertname="Other"}`, "firing", []string{"firing:Other"}}})
		step(20 * time.Second)
		got := r.recs["db"].take()
		if len(got) != 2 || got[0].group == got[1].group {
			t.Fatalf("db got %+v, want one notification per instance at 30s", got)
		}
		for _, s := range got {
			if s.at != 30*time.Second {
				t.Errorf("db notified at %v, want its own group_wait of 30s", s.at)
			}
		}
		checkSent(t, r.recs["default"], nil)

		// The alert in two routes: status lists both receivers.
		as := r.m.AlertsWithStatus()
		var recv []string
		for _, a := range as {
			if a.Alert.Labels.Get("instance") == "db1" {
				recv = a.Status.Receivers
			}
		}
		if !slices.Equal(recv, []string{"db", "pager"}) {
			t.Errorf("receivers of db1 = %v", recv)
		}

		// Resolving notifies each route on its own interval; the alert is
		// forgotten only when both groups have told it.
		r.resolve("alertname", "DiskFull", "team", "db", "instance", "db1", "severity", "critical")
		step(time.Minute) // db ticks at 1m30s; pager at 2m
		if got := r.recs["db"].take(); len(got) != 1 || got[0].alerts[0] != "resolved:DiskFull" {
			t.Errorf("db after resolve: %+v", got)
		}
		if len(r.m.Alerts()) != 3 {
			t.Errorf("%d alerts; the resolved one must stay until the pager route told it", len(r.m.Alerts()))
		}
		step(time.Minute)
		checkSent(t, r.recs["pager"], []sent{{2 * time.Minute, `{alertname="DiskFull"}`, "resolved", []string{"resolved:DiskFull"}}})
		if len(r.m.Alerts()) != 2 {
			t.Errorf("%d alerts after both routes told the resolve, want 2", len(r.m.Alerts()))
		}
	})
}

func TestNotificationHistory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, `
route: {receiver: rec, group_by: [alertname], group_wait: 10s, group_interval: 1m}
receivers: [{name: rec}]
`, Options{})
		rec := r.recs["rec"]
		rec.fail = []error{errBoom}
		r.fire("alertname", "a")
		step(10 * time.Second)
		step(time.Minute)
		recs, err := r.m.Notifications(t.Context(), NotificationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 {
			t.Fatalf("%d records, want a failed one and a sent one: %+v", len(recs), recs)
		}
		newest, oldest := recs[0], recs[1]
		if oldest.Status != NotificationDropped || oldest.Error == "" || oldest.Attempts != 1 || oldest.Integration != "webhook[0]" {
			t.Errorf("first record %+v, want a dropped attempt with its error", oldest)
		}
		if newest.Status != NotificationSent || newest.Receiver != "rec" || len(newest.Firing) != 1 || newest.Escalation {
			t.Errorf("second record %+v", newest)
		}
		if recs, _ := r.m.Notifications(t.Context(), NotificationFilter{Status: NotificationSent}); len(recs) != 1 {
			t.Errorf("status filter: %d records", len(recs))
		}
	})
}

func TestRouterMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewPedanticRegistry()
		r := startRig(t, `
resolve_timeout: 30d
route:
  receiver: rec
  group_by: [alertname]
  routes: [{matchers: [team="night"], mute_time_intervals: [always]}]
time_intervals: [{name: always, time_intervals: [{}]}]
inhibit_rules: [{source_matchers: [severity="critical"], target_matchers: [severity="warning"]}]
receivers: [{name: rec}]
`, Options{Registerer: reg})
		r.fire("alertname", "A", "severity", "critical")
		r.fire("alertname", "B", "severity", "warning")
		r.fire("alertname", "C")
		r.fire("alertname", "D", "team", "night")
		r.fire("alertname", "E")
		r.resolve("alertname", "E")
		if _, err := r.m.AddSilence(t.Context(), Silence{Matchers: mustMatchers(t, `alertname="C"`), EndsAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.m.AddSilence(t.Context(), Silence{Matchers: mustMatchers(t, `alertname="X"`), StartsAt: time.Now().Add(time.Minute), EndsAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		step(10 * time.Second)
		if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP seismo_alert_groups Aggregation groups.
# TYPE seismo_alert_groups gauge
seismo_alert_groups 4
# HELP seismo_alerts_by_suppression Firing alerts that are notified (active) or not (suppressed: silenced, inhibited or muted).
# TYPE seismo_alerts_by_suppression gauge
seismo_alerts_by_suppression{state="active"} 1
seismo_alerts_by_suppression{state="suppressed"} 3
# HELP seismo_alerts_inhibited Firing alerts inhibited by another firing alert.
# TYPE seismo_alerts_inhibited gauge
seismo_alerts_inhibited 1
# HELP seismo_alerts_muted_by_time_interval Firing alerts whose every route is muted by a time interval now.
# TYPE seismo_alerts_muted_by_time_interval gauge
seismo_alerts_muted_by_time_interval 1
# HELP seismo_alerts_silenced Firing alerts matched by an active silence.
# TYPE seismo_alerts_silenced gauge
seismo_alerts_silenced 1
# HELP seismo_silences Silences by state.
# TYPE seismo_silences gauge
seismo_silences{state="active"} 1
seismo_silences{state="expired"} 0
seismo_silences{state="pending"} 1
# HELP seismo_notification_records_total Entries of the notification history, by status (sent, failed, dropped) and kind (notification, escalation).
# TYPE seismo_notification_records_total counter
seismo_notification_records_total{kind="escalation",status="dropped"} 0
seismo_notification_records_total{kind="escalation",status="failed"} 0
seismo_notification_records_total{kind="escalation",status="sent"} 0
seismo_notification_records_total{kind="notification",status="dropped"} 0
seismo_notification_records_total{kind="notification",status="failed"} 0
seismo_notification_records_total{kind="notification",status="sent"} 1
# HELP seismo_alert_muted_flushes_total Group flushes deferred because a time interval muted the route.
# TYPE seismo_alert_muted_flushes_total counter
seismo_alert_muted_flushes_total 1
`), "seismo_alert_groups", "seismo_alerts_by_suppression", "seismo_alerts_inhibited", "seismo_alerts_muted_by_time_interval",
			"seismo_alerts_silenced", "seismo_silences", "seismo_notification_records_total", "seismo_alert_muted_flushes_total"); err != nil {
			t.Error(err)
		}
	})
}
