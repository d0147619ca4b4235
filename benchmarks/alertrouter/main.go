// Command alertrouter measures the alert router: how many alerts per
// second go through route matching, grouping, inhibition and silencing,
// and how much memory an active alert costs, with a large routing tree.
//
//	GOMAXPROCS=1 go run ./benchmarks/alertrouter [-routes 1000] [-alerts 10000] [-inhibit 20] [-silences 100] [-runs 5]
//
// Each run builds a Manager (on a StateStore that drops writes, unless
// -state memory) for a generated configuration (a tree of -routes routes: team routes with four children
// each, under a root), fires -alerts distinct alerts one event per call
// (routing, grouping, the inhibition index and the write to the state),
// then asks each alert's status (silences, inhibition and time intervals,
// which is what a flush evaluates), then fires them all again (refresh:
// the path of an alert already routed). The Manager is not running, so
// no notification is sent: receivers are measured elsewhere. The table
// shows medians over -runs, of wall-clock time and of the process's CPU
// time (which, with GOMAXPROCS=1, is the work done even on a busy
// machine); the summary line counts an alert as one new Fire plus one
// status evaluation, in CPU time: alerts per second of one core.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/config/field"
)

func main() {
	routes := flag.Int("routes", 1000, "routes under the root (team routes with 4 children each)")
	alerts := flag.Int("alerts", 10000, "distinct active alerts")
	inhibit := flag.Int("inhibit", 20, "inhibit rules")
	silences := flag.Int("silences", 100, "active silences")
	runs := flag.Int("runs", 5, "repetitions (medians are reported)")
	batch := flag.Int("batch", 100, "events per Fire call (the engine fires one call per job run)")
	stateKind := flag.String("state", "none", "StateStore: none (writes dropped: the router alone) or memory (NewMemoryState)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *routes < 5 || *alerts < 1 || *inhibit < 1 || *silences < 0 || *runs < 1 || *batch < 1 || (*stateKind != "none" && *stateKind != "memory") {
		fmt.Fprintln(os.Stderr, "alertrouter: need -routes ≥ 5, -alerts ≥ 1, -inhibit ≥ 1, -silences ≥ 0, -runs ≥ 1, -batch ≥ 1, -state none|memory")
		os.Exit(2)
	}
	teams := *routes / 5
	cfg := config(teams, *inhibit)
	events := generate(*alerts, teams)

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "alertrouter:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	var fire, status, refresh, fireCPU, statusCPU, refreshCPU []time.Duration
	var perAlert []float64
	var nroutes int
	for range *runs {
		r, err := run(cfg, events, *silences, teams, *batch, *stateKind)
		if err != nil {
			fmt.Fprintln(os.Stderr, "alertrouter:", err)
			os.Exit(1)
		}
		fire, status, refresh = append(fire, r.fire), append(status, r.status), append(refresh, r.refresh)
		fireCPU, statusCPU, refreshCPU = append(fireCPU, r.fireCPU), append(statusCPU, r.statusCPU), append(refreshCPU, r.refreshCPU)
		perAlert = append(perAlert, r.bytesPerAlert)
		nroutes = r.routes
	}
	n := float64(len(events))
	rate := func(d time.Duration) string {
		if d <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f", n/d.Seconds())
	}
	per := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Nanoseconds())/n/1e3) }

	fmt.Printf("GOMAXPROCS=%d, %s; %d routes, %d alerts, %d inhibit rules, %d silences, %d events per Fire, state %s; medians of %d runs\n\n",
		runtime.GOMAXPROCS(0), runtime.Version(), nroutes, len(events), *inhibit+1, *silences, *batch, *stateKind, *runs)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tµs/alert\talerts/s\tCPU µs/alert\talerts/s of CPU\t")
	row := func(name string, wall, cpu time.Duration) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", name, per(wall), rate(wall), per(cpu), rate(cpu))
	}
	row("fire, new alert (match, group, index, state)", median(fire), median(fireCPU))
	row("status (silences, inhibition, intervals)", median(status), median(statusCPU))
	row("fire, refresh of an active alert", median(refresh), median(refreshCPU))
	total := median(fire) + median(status)
	row("new alert end to end (fire + status)", total, median(fireCPU)+median(statusCPU))
	tw.Flush()
	slices.Sort(perAlert)
	bytes := perAlert[len(perAlert)/2]
	// The summary counts CPU time: with GOMAXPROCS=1 it is the time of
	// one core, which wall-clock time equals on an idle machine and
	// exceeds on a shared one.
	summary := median(fireCPU) + median(statusCPU)
	if summary <= 0 {
		summary = total // no CPU clock on this platform
	}
	fmt.Printf("\nalertrouter: %s alerts/s through matching+inhibition+silencing+grouping (%d routes, %d active alerts), %.0f bytes/active alert\n",
		rate(summary), nroutes, len(events), bytes)
}

type result struct {
	fire, status, refresh          time.Duration // wall clock
	fireCPU, statusCPU, refreshCPU time.Duration // process CPU time
	bytesPerAlert                  float64
	routes                         int
}

func run(cfg alert.Config, events []alert.Event, silences, teams, batch int, stateKind string) (result, error) {
	var res result
	state := alert.StateStore(nopState{})
	if stateKind == "memory" {
		state = alert.NewMemoryState()
	}
	m, err := alert.NewManager(cfg, alert.Options{State: state, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return res, err
	}
	res.routes = countRoutes(cfg.Route) - 1 // the root matches everything: not counted
	ctx := context.Background()
	end := time.Now().Add(24 * time.Hour)
	for i := range silences {
		ms, err := alert.ParseMatchers(fmt.Sprintf(`team="team-%03d", service="svc-%02d"`, (i*7)%teams, i%20))
		if err != nil {
			return res, err
		}
		if _, err := m.AddSilence(ctx, alert.Silence{Matchers: ms, EndsAt: end, CreatedBy: "bench"}); err != nil {
			return res, err
		}
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0, c0 := time.Now(), cpuTime()
	fireAll(m, events, batch)
	res.fire, res.fireCPU = time.Since(t0), cpuTime()-c0
	runtime.GC()
	runtime.ReadMemStats(&after)
	res.bytesPerAlert = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(events))

	t0, c0 = time.Now(), cpuTime()
	suppressed := 0
	for i := range events {
		a, ok := m.Alert(events[i].Fingerprint())
		if !ok {
			return res, fmt.Errorf("alert %s lost", events[i].Labels)
		}
		if a.Status.State == alert.AlertStateSuppressed {
			suppressed++
		}
	}
	res.status, res.statusCPU = time.Since(t0), cpuTime()-c0
	if suppressed == 0 || suppressed == len(events) {
		return res, fmt.Errorf("%d of %d alerts suppressed: the workload does not exercise silences and inhibition", suppressed, len(events))
	}

	t0, c0 = time.Now(), cpuTime()
	fireAll(m, events, batch)
	res.refresh, res.refreshCPU = time.Since(t0), cpuTime()-c0
	runtime.KeepAlive(m)
	return res, nil
}

// config builds a routing tree: under the root, one route per team, each
// with four children (critical to a pager and continue, a service
// regex, staging, disk alerts); inhibition by per-team outages and by
// criticals over warnings.
func config(teams, inhibit int) alert.Config {
	var rcs []alert.ReceiverConfig
	for _, name := range []string{"default", "pager", "team", "staging"} {
		rcs = append(rcs, alert.ReceiverConfig{Name: name, LogConfigs: []alert.LogConfig{{}}})
	}
	root := alert.Route{
		Receiver:       "default",
		GroupBy:        []string{"alertname", "team"},
		GroupWait:      field.Duration(30 * time.Second),
		GroupInterval:  field.Duration(5 * time.Minute),
		RepeatInterval: field.Duration(4 * time.Hour),
	}
	for i := range teams {
		root.Routes = append(root.Routes, alert.Route{
			Matchers: []string{fmt.Sprintf(`team="team-%03d"`, i)},
			Receiver: "team",
			Routes: []alert.Route{
				{Matchers: []string{`severity="critical"`}, Receiver: "pager", Continue: true},
				{Matchers: []string{fmt.Sprintf(`service=~"svc-%02d|svc-%02d"`, i%20, (i+1)%20)}, GroupBy: []string{"alertname", "team", "service"}},
				{Matchers: []string{`env="staging"`}, Receiver: "staging"},
				{Matchers: []string{`alertname=~"Disk.*"`}, GroupBy: []string{"alertname", "instance"}},
			},
		})
	}
	cfg := alert.Config{Route: root, Receivers: rcs, ResolveTimeout: field.Duration(24 * time.Hour)}
	cfg.InhibitRules = append(cfg.InhibitRules, alert.InhibitRule{
		SourceMatchers: []string{`severity="critical"`},
		TargetMatchers: []string{`severity="warning"`},
		Equal:          []string{"alertname", "team", "service"},
	})
	for i := range inhibit {
		cfg.InhibitRules = append(cfg.InhibitRules, alert.InhibitRule{
			SourceMatchers: []string{fmt.Sprintf(`alertname="Outage%02d"`, i)},
			TargetMatchers: []string{`severity=~"warning|info"`},
			Equal:          []string{"team"},
		})
	}
	cfg.ApplyDefaults()
	return cfg
}

// generate returns n distinct events spread over the teams.
func generate(n, teams int) []alert.Event {
	names := []string{"HighLatency", "ErrorRate", "DiskFull", "DiskSlow", "QueueBacklog", "TradeReject", "AccountOpenDrop", "Outage00", "Outage01", "Outage07"}
	sev := []string{"critical", "warning", "warning", "info"}
	env := []string{"prod", "prod", "prod", "staging"}
	out := make([]alert.Event, n)
	for i := range out {
		ls := labels.FromStrings(
			"alertname", names[i%len(names)],
			"env", env[(i/3)%len(env)],
			"instance", fmt.Sprintf("host-%05d", i),
			"service", fmt.Sprintf("svc-%02d", (i/7)%20),
			"severity", sev[(i/11)%len(sev)],
			"team", fmt.Sprintf("team-%03d", (i*31)%teams),
		)
		out[i] = alert.Event{Kind: alert.KindAnomaly, Job: "bench", Labels: ls, Value: 1, Expected: 2, Lower: 1.5, Upper: 2.5, Score: 0.9,
			Annotations: map[string]string{"summary": "benchmark alert"}}
	}
	return out
}

// fireAll fires events in calls of batch events.
func fireAll(m *alert.Manager, events []alert.Event, batch int) {
	for i := 0; i < len(events); i += batch {
		m.Fire(events[i:min(i+batch, len(events))]...)
	}
}

// nopState is a StateStore that keeps nothing, so that the figures are
// the router's own: with SQLite, the write-through is the store's cost.
type nopState struct{}

func (nopState) LoadAlerts(context.Context) ([]*alert.Alert, error)               { return nil, nil }
func (nopState) SaveAlerts(context.Context, []*alert.Alert) error                 { return nil }
func (nopState) DeleteAlerts(context.Context, []alert.Fingerprint) error          { return nil }
func (nopState) LoadGroups(context.Context) ([]alert.GroupState, error)           { return nil, nil }
func (nopState) SaveGroup(context.Context, alert.GroupState) error                { return nil }
func (nopState) DeleteGroup(context.Context, string) error                        { return nil }
func (nopState) LoadSilences(context.Context) ([]alert.Silence, error)            { return nil, nil }
func (nopState) SaveSilence(context.Context, alert.Silence) error                 { return nil }
func (nopState) DeleteSilence(context.Context, string) error                      { return nil }
func (nopState) LoadNotificationLog(context.Context) ([]alert.NotifyEntry, error) { return nil, nil }
func (nopState) SaveNotifyEntry(context.Context, alert.NotifyEntry) error         { return nil }
func (nopState) AppendNotification(context.Context, *alert.NotificationRecord) error {
	return nil
}
func (nopState) Notifications(context.Context, alert.NotificationFilter) ([]alert.NotificationRecord, error) {
	return nil, nil
}
func (nopState) PruneNotifications(context.Context, time.Time) (int, error) { return 0, nil }

func countRoutes(r alert.Route) int {
	n := 1
	for _, c := range r.Routes {
		n += countRoutes(c)
	}
	return n
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
