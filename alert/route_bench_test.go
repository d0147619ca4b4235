package alert

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
)

// benchConfig is a routing tree of teams×5 routes under the root (the
// shape of benchmarks/alertrouter), with inhibit rules.
func benchConfig(teams, inhibit int) Config {
	root := Route{Receiver: "default", GroupBy: []string{"alertname", "team"}}
	for i := range teams {
		root.Routes = append(root.Routes, Route{
			Matchers: []string{fmt.Sprintf(`team="team-%03d"`, i)},
			Receiver: "team",
			Routes: []Route{
				{Matchers: []string{`severity="critical"`}, Receiver: "pager", Continue: true},
				{Matchers: []string{fmt.Sprintf(`service=~"svc-%02d|svc-%02d"`, i%20, (i+1)%20)}, GroupBy: []string{"alertname", "team", "service"}},
				{Matchers: []string{`env="staging"`}},
				{Matchers: []string{`alertname=~"Disk.*"`}, GroupBy: []string{"alertname", "instance"}},
			},
		})
	}
	cfg := Config{Route: root, ResolveTimeout: field.Duration(24 * time.Hour)}
	for _, name := range []string{"default", "pager", "team"} {
		cfg.Receivers = append(cfg.Receivers, ReceiverConfig{Name: name, LogConfigs: []LogConfig{{}}})
	}
	cfg.InhibitRules = append(cfg.InhibitRules, InhibitRule{
		SourceMatchers: []string{`severity="critical"`}, TargetMatchers: []string{`severity="warning"`}, Equal: []string{"alertname", "team", "service"},
	})
	for i := range inhibit {
		cfg.InhibitRules = append(cfg.InhibitRules, InhibitRule{
			SourceMatchers: []string{fmt.Sprintf(`alertname="Outage%02d"`, i)}, TargetMatchers: []string{`severity=~"warning|info"`}, Equal: []string{"team"},
		})
	}
	cfg.ApplyDefaults()
	return cfg
}

func benchEvents(n, teams int) []Event {
	names := []string{"HighLatency", "ErrorRate", "DiskFull", "DiskSlow", "QueueBacklog", "TradeReject", "AccountOpenDrop", "Outage00", "Outage01", "Outage07"}
	sev := []string{"critical", "warning", "warning", "info"}
	env := []string{"prod", "prod", "prod", "staging"}
	out := make([]Event, n)
	for i := range out {
		out[i] = Event{Labels: labels.FromStrings(
			"alertname", names[i%len(names)],
			"env", env[(i/3)%len(env)],
			"instance", fmt.Sprintf("host-%05d", i),
			"service", fmt.Sprintf("svc-%02d", (i/7)%20),
			"severity", sev[(i/11)%len(sev)],
			"team", fmt.Sprintf("team-%03d", (i*31)%teams),
		), Value: 1, Annotations: map[string]string{"summary": "benchmark alert"}}
	}
	return out
}

// benchManager returns a Manager with 100 active silences for the bench
// configuration.
func benchManager(b *testing.B, teams int) *Manager {
	b.Helper()
	m, err := NewManager(benchConfig(teams, 20), Options{Logger: quietLogger})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		ms, _ := ParseMatchers(fmt.Sprintf(`team="team-%03d", service="svc-%02d"`, (i*7)%teams, i%20))
		if _, err := m.AddSilence(b.Context(), Silence{Matchers: ms, EndsAt: time.Now().Add(24 * time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	return m
}

// BenchmarkRouterFire fires new alerts into a tree of 1,000 routes: route
// matching, grouping, the inhibition index and the state write.
func BenchmarkRouterFire(b *testing.B) {
	events := benchEvents(10000, 200)
	m := benchManager(b, 200)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(events) {
			b.StopTimer()
			m = benchManager(b, 200)
			i = 0
			b.StartTimer()
		}
		m.Fire(events[i])
		i++
	}
}

// BenchmarkRouterStatus evaluates silences, inhibition and time intervals
// for one of 10,000 active alerts, as a flush does for each.
func BenchmarkRouterStatus(b *testing.B) {
	events := benchEvents(10000, 200)
	m := benchManager(b, 200)
	m.Fire(events...)
	now := m.now()
	sts := make([]*alertState, len(events))
	for i, ev := range events {
		sts[i] = m.alerts[ev.Fingerprint()]
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		st := sts[i%len(sts)]
		m.mu.Lock()
		_ = len(m.silencedBy(st.Labels, now, false)) > 0 || len(m.inhibitedBy(st, now, false)) > 0
		m.mu.Unlock()
		i++
	}
}

// BenchmarkRouteMatch is route matching alone.
func BenchmarkRouteMatch(b *testing.B) {
	events := benchEvents(10000, 200)
	rt, errs := compileConfig(new(benchConfig(200, 20)), nil)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	buf := make([]*route, 0, 4)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = rt.root.match(events[i%len(events)].Labels, buf[:0])
		i++
	}
}
