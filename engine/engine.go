// Package engine turns a configuration into running jobs: it opens the
// store and the sources, schedules monitors with cron and their calendars,
// runs them with timeouts, persists their events and hands them to the
// alert manager. It is the only package that wires the others together.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/source"
	"github.com/seismo-dev/seismo/store"
)

// shutdownGrace bounds how long Run waits for running jobs after it is
// told to stop; their contexts are already cancelled by then.
const shutdownGrace = 30 * time.Second

// Options are the engine's collaborators; the zero value is usable.
type Options struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry // engine metrics go here; nil creates one
	Now      func() time.Time     // clock; nil uses time.Now
}

// Engine runs the jobs of one configuration.
type Engine struct {
	cfg      *config.Config
	log      *slog.Logger
	reg      *prometheus.Registry
	now      func() time.Time
	metrics  *metrics
	store    store.Store
	alerts   *alert.Manager
	sources  map[string]source.TimeSeries
	monitors []*monitor
	streams  []*logStream   // log streams (logs.go)
	jobs     []Job          // checks and rule groups (job.go)
	location *time.Location // global.timezone, for display

	ready atomic.Bool

	mu     sync.Mutex
	status map[string]*jobState

	series seriesState // series windows and their caches (series.go)

	tuning *tuningState // backtests and saved tunings (backtest_tuning.go)

	charts *chartCache // the last judged points per series, for alert charts (alerting.go)
}

// jobState is a job's status plus the flag that keeps it from running twice.
type jobState struct {
	JobStatus // guarded by Engine.mu
	running   atomic.Bool
}

// JobStatus is what the API shows about a job.
type JobStatus struct {
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	Schedule   string    `json:"schedule"`
	Timezone   string    `json:"timezone"`
	Calendar   string    `json:"calendar,omitempty"`
	Running    bool      `json:"running"`
	LastRun    time.Time `json:"last_run,omitzero"`
	LastResult string    `json:"last_result,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	Runs       int       `json:"runs"`
	Failures   int       `json:"failures"`
}

// New builds an engine from a validated configuration: it opens the store,
// the calendars, the sources and the detectors. Nothing runs until Run.
func New(ctx context.Context, cfg *config.Config, opts Options) (_ *Engine, err error) {
	e := &Engine{
		cfg:     cfg,
		log:     opts.Logger,
		reg:     opts.Registry,
		now:     opts.Now,
		sources: map[string]source.TimeSeries{},
		status:  map[string]*jobState{},
		tuning:  newTuningState(),
		charts:  newChartCache(),
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.reg == nil {
		e.reg = prometheus.NewRegistry()
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.metrics = newMetrics(e.reg)
	defer func() {
		if err != nil {
			e.close()
		}
	}()

	globalLoc, err := time.LoadLocation(cfg.Global.Timezone)
	if err != nil {
		return nil, fmt.Errorf("global timezone: %w", err)
	}
	e.location = globalLoc
	calendars := map[string]*calendar.Calendar{}
	for name, c := range cfg.Calendars {
		cal, err := calendar.New(c, globalLoc)
		if err != nil {
			return nil, fmt.Errorf("calendar %q: %w", name, err)
		}
		calendars[name] = cal
	}
	for name, sc := range cfg.Sources {
		if source.IsLogType(sc.Type) {
			continue // log inputs are opened per log stream
		}
		src, err := e.openSource(name, sc, calendars)
		if err != nil {
			return nil, err
		}
		e.sources[name] = src
	}
	for _, mc := range cfg.Monitors {
		m, err := e.newMonitor(mc, calendars, globalLoc)
		if err != nil {
			return nil, fmt.Errorf("monitor %q: %w", mc.Name, err)
		}
		e.monitors = append(e.monitors, m)
		e.status[mc.Name] = &jobState{JobStatus: JobStatus{
			Name: mc.Name, Kind: "monitor", Schedule: mc.Schedule,
			Timezone: m.location.String(), Calendar: mc.Calendar,
		}}
	}

	e.store, err = store.Open(ctx, cfg.Global.Store.Driver, cfg.Global.Store.DSN.Value())
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	for _, m := range e.monitors {
		if sel, ok := detector.SelectionOf(m.det); ok {
			m.chooser = newChooser(m.name(), sel, e.store, e.now)
		}
		m.labels = e.store
		if m.noise, err = newNoiseState(m.cfg.Detector.Sensitivity); err != nil {
			return nil, fmt.Errorf("monitor %q: %w", m.name(), err)
		}
	}
	if err := e.loadTunings(ctx); err != nil {
		return nil, err
	}
	if err := e.openRemoteWrite(); err != nil {
		return nil, fmt.Errorf("remote write: %w", err)
	}
	for _, lc := range cfg.Logs {
		s, err := e.newLogStream(ctx, lc)
		if err != nil {
			return nil, fmt.Errorf("log stream %q: %w", lc.Name, err)
		}
		e.streams = append(e.streams, s)
		e.status[lc.Name] = &jobState{JobStatus: JobStatus{
			Name: lc.Name, Kind: "log_stream", Schedule: "@every " + lc.Rate.Step.String(), Timezone: "UTC",
		}}
	}
	if len(e.streams) > 0 {
		e.reg.MustRegister(logCollector{e})
	}
	for _, cc := range cfg.Checks {
		j, err := e.newCheck(cc, calendars, globalLoc)
		if err != nil {
			return nil, fmt.Errorf("check %q: %w", cc.Name, err)
		}
		e.addJob(j)
	}
	if err := e.addRules(cfg, globalLoc); err != nil { // rule groups, monitors' analyst rules (rule.go)
		return nil, err
	}
	e.alerts, err = alert.NewManager(cfg.Alerting, e.alertOptions(calendars))
	if err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	return e, nil
}

func (e *Engine) openSource(name string, sc source.Config, calendars map[string]*calendar.Calendar) (source.TimeSeries, error) {
	if sc.Type == source.TypeDemo {
		return &demoSource{demo: datasets.NewDemo(sc.Seed, calendars[sc.Calendar]), now: e.now}, nil
	}
	src, err := source.Open(name, sc, e.log.With("source", name))
	if err != nil {
		return nil, fmt.Errorf("open source %q: %w", name, err)
	}
	return src, nil
}

func (e *Engine) newMonitor(mc config.Monitor, calendars map[string]*calendar.Calendar, globalLoc *time.Location) (*monitor, error) {
	det, err := detector.New(mc.Detector)
	if err != nil {
		return nil, fmt.Errorf("detector: %w", err)
	}
	m := &monitor{cfg: mc, src: e.sources[mc.Query.Source], det: det, location: globalLoc, charts: e.charts}
	if m.src == nil {
		return nil, fmt.Errorf("unknown source %q", mc.Query.Source)
	}
	if mc.Calendar != "" {
		m.cal = calendars[mc.Calendar]
		if m.cal == nil {
			return nil, fmt.Errorf("unknown calendar %q", mc.Calendar)
		}
		m.location = m.cal.Location()
	}
	if mc.Timezone != "" {
		if m.location, err = time.LoadLocation(mc.Timezone); err != nil {
			return nil, fmt.Errorf("timezone: %w", err)
		}
	}
	if e.cfg.Sources[mc.Query.Source].Type == source.TypeDemo {
		if err := validateDemoExpr(mc.Query.Expr); err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
	}
	return m, nil
}

// Location returns the configured global time zone, in which people read times.
func (e *Engine) Location() *time.Location { return e.location }

// Registry returns the registry holding the engine's metrics.
func (e *Engine) Registry() *prometheus.Registry { return e.reg }

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.store }

// Alerts returns the engine's alert manager.
func (e *Engine) Alerts() *alert.Manager { return e.alerts }

// Ready reports whether Run has started the scheduler.
func (e *Engine) Ready() bool { return e.ready.Load() }

// Jobs returns a snapshot of every job's status, sorted by name.
func (e *Engine) Jobs() []JobStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]JobStatus, 0, len(e.status))
	for _, s := range e.status {
		st := s.JobStatus
		st.Running = s.running.Load()
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b JobStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Run schedules every job, runs each once at start (so that backfill and
// catch-up happen at once, not at the next tick), and blocks until ctx is
// cancelled. It then stops the scheduler, waits for running jobs, flushes
// pending notifications and closes the store and the sources.
func (e *Engine) Run(ctx context.Context) error {
	defer e.close()
	jobsCtx, cancelJobs := context.WithCancel(ctx)
	defer cancelJobs()

	alertsCtx, stopAlerts := context.WithCancel(context.Background())
	alertsDone := make(chan error, 1)
	go func() { alertsDone <- e.alerts.Run(alertsCtx) }()

	c := cron.New(cron.WithParser(config.ScheduleParser))
	var wg sync.WaitGroup
	for _, m := range e.monitors {
		spec := fmt.Sprintf("CRON_TZ=%s %s", m.location, m.cfg.Schedule)
		if _, err := c.AddFunc(spec, func() { e.scheduled(jobsCtx, m, true) }); err != nil {
			stopAlerts()
			<-alertsDone
			return fmt.Errorf("schedule monitor %q: %w", m.cfg.Name, err)
		}
		wg.Go(func() { e.scheduled(jobsCtx, m, false) })
	}
	for _, j := range e.jobs {
		spec := fmt.Sprintf("CRON_TZ=%s %s", j.Location(), j.Schedule())
		if _, err := c.AddFunc(spec, func() { e.scheduledJob(jobsCtx, j, true) }); err != nil {
			stopAlerts()
			<-alertsDone
			return fmt.Errorf("schedule %s %q: %w", j.Kind(), j.Name(), err)
		}
		// Like monitors, every job also runs once at start-up, so that a
		// restart shows the state of things without waiting for a tick.
		wg.Go(func() { e.scheduledJob(jobsCtx, j, false) })
	}
	var ingest sync.WaitGroup
	for _, s := range e.streams {
		if _, err := c.AddFunc("@every "+s.step.String(), func() { e.scheduledStream(jobsCtx, s) }); err != nil {
			stopAlerts()
			<-alertsDone
			return fmt.Errorf("schedule log stream %q: %w", s.cfg.Name, err)
		}
		ingest.Go(func() { e.ingest(jobsCtx, s) })
	}
	c.Start()
	e.ready.Store(true)
	e.log.Info("engine started", "monitors", len(e.monitors), "log_streams", len(e.streams), "jobs", len(e.jobs), "sources", len(e.sources))

	<-ctx.Done()
	e.ready.Store(false)
	e.log.Info("engine stopping")
	cancelJobs()
	stopped := c.Stop()
	done := make(chan struct{})
	go func() { wg.Wait(); ingest.Wait(); <-stopped.Done(); close(done) }()
	select {
	case <-done:
		e.finalFlush() // the inputs have stopped: nothing is counting any more
	case <-time.After(shutdownGrace):
		e.log.Warn("jobs still running after shutdown grace period", "grace", shutdownGrace)
	}
	stopAlerts()
	if err := <-alertsDone; err != nil && !errors.Is(err, context.Canceled) {
		e.log.Error("alert manager stopped with error", "err", err)
	}
	e.log.Info("engine stopped")
	return nil
}

// scheduled runs a monitor the way the scheduler does: never twice at once,
// with start jitter, inside its calendar, under a timeout, surviving panics.
func (e *Engine) scheduled(ctx context.Context, m *monitor, jitter bool) {
	st := e.jobStatus(m.name())
	if !st.running.CompareAndSwap(false, true) {
		e.metrics.runs.WithLabelValues(m.name(), "monitor", "skipped_running").Inc()
		e.log.Warn("job still running, skipping this run", "job", m.name())
		return
	}
	defer st.running.Store(false)
	defer func() {
		if r := recover(); r != nil {
			e.metrics.runs.WithLabelValues(m.name(), "monitor", "failure").Inc()
			e.recordStatus(m.name(), "", fmt.Errorf("panic: %v", r))
			e.log.Error("job panicked", "job", m.name(), "panic", r, "stack", string(debug.Stack()))
		}
	}()
	if jitter && e.cfg.Global.MaxJitter > 0 {
		d := rand.N(e.cfg.Global.MaxJitter.Std())
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	now := e.now()
	if reason := m.inactive(now); reason != "" {
		e.metrics.runs.WithLabelValues(m.name(), "monitor", "skipped_calendar").Inc()
		e.log.Debug("job outside its calendar", "job", m.name(), "reason", reason)
		return
	}
	e.metrics.running.WithLabelValues(m.name()).Set(1)
	defer e.metrics.running.WithLabelValues(m.name()).Set(0)
	res, err := e.execute(ctx, m, now, true)
	if err != nil {
		if ctx.Err() != nil {
			return // shutting down: not a failure of the job
		}
		e.log.Error("job failed", "job", m.name(), "err", err)
		return
	}
	if res.Skipped == "" {
		e.log.Info("job done", "job", m.name(), "summary", res.Summary())
	}
}

// inactive returns why the monitor must not run at now, or "".
func (m *monitor) inactive(now time.Time) string {
	if m.cal == nil {
		return ""
	}
	switch m.cfg.ActiveIn {
	case "sessions":
		if !m.cal.InSession(now) {
			return "outside trading sessions"
		}
	case "trading_days":
		if !m.cal.IsTradingDay(now) {
			return "not a trading day"
		}
	}
	return ""
}

// RunOnce runs one job now, as if it had never run before: it judges the
// monitor's backfill window (or just the newest point), stores the events
// (duplicates of stored events are ignored) and returns them. It sends no
// notifications and leaves the scheduler's cursor alone.
func (e *Engine) RunOnce(ctx context.Context, job string) (*Result, error) {
	for _, m := range e.monitors {
		if m.name() == job {
			return e.execute(ctx, m, e.now(), false)
		}
	}
	for _, j := range e.jobs {
		if j.Name() == job {
			return e.executeJob(ctx, j, false)
		}
	}
	names := make([]string, 0, len(e.monitors)+len(e.jobs))
	for _, m := range e.monitors {
		names = append(names, m.name())
	}
	for _, j := range e.jobs {
		names = append(names, j.Name())
	}
	return nil, fmt.Errorf("no job named %q (jobs: %v)", job, names)
}

// execute runs the monitor under its timeout, stores its events and, for
// scheduled runs, moves the cursor and notifies.
func (e *Engine) execute(ctx context.Context, m *monitor, now time.Time, scheduled bool) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout.Std())
	defer cancel()
	start := time.Now()

	var cursor time.Time
	if scheduled {
		var err error
		if cursor, err = e.store.Cursor(ctx, m.name()); err != nil {
			return nil, e.fail(m, fmt.Errorf("read cursor: %w", err))
		}
	}
	res, err := m.run(ctx, now, cursor)
	if err != nil {
		return nil, e.fail(m, err)
	}
	if res.Skipped != "" {
		e.metrics.runs.WithLabelValues(m.name(), "monitor", "success").Inc()
		return res, nil
	}
	if res.Cleaning.NaN > 0 {
		e.metrics.pointsDropped.WithLabelValues(m.name(), "nan").Add(float64(res.Cleaning.NaN))
	}
	if res.Cleaning.Duplicates > 0 {
		e.metrics.pointsDropped.WithLabelValues(m.name(), "duplicate").Add(float64(res.Cleaning.Duplicates))
	}
	created := e.now()
	for i := range res.Events {
		res.Events[i].CreatedAt = created
	}
	if len(res.Events) > 0 {
		n, err := e.store.AppendEvents(ctx, res.Events)
		if err != nil {
			return nil, e.fail(m, fmt.Errorf("store events: %w", err))
		}
		res.Stored = n
		e.metrics.events.WithLabelValues(m.name(), string(alert.KindAnomaly)).Add(float64(n))
	}
	e.afterRun(ctx, m, res) // noise proposals; cached windows see the new events
	for _, ev := range res.Events {
		if ev.ID != 0 {
			e.log.Info("event", "kind", ev.Kind, "job", ev.Job, "labels", ev.Labels.String(),
				"time", ev.Time.In(m.location).Format(time.DateTime), "value", ev.Value,
				"expected", ev.Expected, "band", fmt.Sprintf("%.4g..%.4g", ev.Lower, ev.Upper), "score", ev.Score)
		}
	}
	if scheduled {
		e.notify(m, res)
		if err := e.store.SetCursor(ctx, m.name(), res.To); err != nil {
			return nil, e.fail(m, fmt.Errorf("save cursor: %w", err))
		}
		e.writeResults(ctx, m, res) // after the cursor: a failed write does not fail the run
	}
	res.Duration = time.Since(start)
	e.metrics.runs.WithLabelValues(m.name(), "monitor", "success").Inc()
	e.metrics.duration.WithLabelValues(m.name(), "monitor").Observe(res.Duration.Seconds())
	e.metrics.lastSuccess.WithLabelValues(m.name()).Set(float64(e.now().Unix()))
	e.recordStatus(m.name(), res.Summary(), nil)
	return res, nil
}

// notify fires alerts for recent events and resolves the alerts of series
// that are normal again. Events older than the alert window (found by a
// backfill or a catch-up after downtime) are stored but do not page anyone
// for something long past.
func (e *Engine) notify(m *monitor, res *Result) {
	window := max(10*time.Minute, 3*m.cfg.Query.Step.Std())
	var recent []alert.Event
	for _, ev := range res.Events {
		if !ev.Time.Before(res.To.Add(-window)) {
			recent = append(recent, ev)
		}
	}
	if len(recent) > 0 {
		e.alerts.Fire(recent...)
	}
	if len(res.healthy) > 0 {
		e.alerts.Resolve(res.healthy...)
	}
}

func (e *Engine) fail(m *monitor, err error) error {
	e.metrics.runs.WithLabelValues(m.name(), "monitor", "failure").Inc()
	e.recordStatus(m.name(), "", err)
	return fmt.Errorf("monitor %q: %w", m.name(), err)
}

func (e *Engine) jobStatus(name string) *jobState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status[name]
}

func (e *Engine) recordStatus(name, summary string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.status[name]
	st.LastRun = e.now()
	st.Runs++
	st.LastResult = summary
	st.LastError = ""
	if err != nil {
		st.Failures++
		st.LastError = err.Error()
	}
}

// Close releases the sources and the store. Run calls it when it returns;
// call it yourself only when Run is never called (as `seismo once` does).
func (e *Engine) Close() { e.close() }

func (e *Engine) close() {
	for _, s := range e.streams {
		if err := s.input.Close(); err != nil {
			e.log.Warn("close log input", "stream", s.cfg.Name, "err", err)
		}
	}
	for name, s := range e.sources {
		if err := s.Close(); err != nil {
			e.log.Warn("close source", "source", name, "err", err)
		}
	}
	if e.store != nil {
		if err := e.store.Close(); err != nil {
			e.log.Warn("close store", "err", err)
		}
	}
}
