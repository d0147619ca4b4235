package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
)

// Job is a scheduled job other than a monitor or a log stream: a
// consistency check, a group of metric rules. The engine schedules it,
// keeps it from running twice at once, bounds it by its timeout, records
// its status, stores its events and, on scheduled runs, fires and resolves
// their alerts.
type Job interface {
	Name() string
	Kind() string             // "check", "rule", ...
	Schedule() string         // cron with an optional seconds field
	Location() *time.Location // the time zone of the schedule
	Timeout() time.Duration   // 0: global.job_timeout
	// Run runs the job once for the instant now. scheduled is false for
	// `seismo once`: the job then records its results but the engine
	// sends nothing.
	Run(ctx context.Context, now time.Time, scheduled bool) (JobResult, error)
}

// JobResult is what one run of a Job found.
type JobResult struct {
	// Summary is a one-line account of the run; `seismo once` prints it
	// as its last line.
	Summary string
	// Events are stored (duplicates ignored) and, on scheduled runs, fired.
	Events []alert.Event
	// Resolved lists label sets whose alerts resolve on scheduled runs.
	Resolved []labels.Labels
}

// addJob registers j; New calls it for every check and rule group.
func (e *Engine) addJob(j Job) {
	e.jobs = append(e.jobs, j)
	e.status[j.Name()] = &jobState{JobStatus: JobStatus{
		Name: j.Name(), Kind: j.Kind(), Schedule: j.Schedule(), Timezone: j.Location().String(),
	}}
}

// scheduledJob runs j the way the scheduler does: never twice at once,
// with start jitter, under a timeout, surviving panics.
func (e *Engine) scheduledJob(ctx context.Context, j Job, jitter bool) {
	name, kind := j.Name(), j.Kind()
	st := e.jobStatus(name)
	if !st.running.CompareAndSwap(false, true) {
		e.metrics.runs.WithLabelValues(name, kind, "skipped_running").Inc()
		e.log.Warn("job still running, skipping this run", "job", name)
		return
	}
	defer st.running.Store(false)
	defer func() {
		if r := recover(); r != nil {
			e.metrics.runs.WithLabelValues(name, kind, "failure").Inc()
			e.recordStatus(name, "", fmt.Errorf("panic: %v", r))
			e.log.Error("job panicked", "job", name, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	if jitter && e.cfg.Global.MaxJitter > 0 {
		t := time.NewTimer(rand.N(e.cfg.Global.MaxJitter.Std()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	e.metrics.running.WithLabelValues(name).Set(1)
	defer e.metrics.running.WithLabelValues(name).Set(0)
	res, err := e.executeJob(ctx, j, true)
	if err != nil {
		if ctx.Err() != nil {
			return // shutting down: not a failure of the job
		}
		e.log.Error("job failed", "job", name, "err", err)
		return
	}
	e.log.Info("job done", "job", name, "summary", res.Summary())
}

// executeJob runs j under its timeout, stores its events and, for
// scheduled runs, fires and resolves alerts.
func (e *Engine) executeJob(ctx context.Context, j Job, scheduled bool) (*Result, error) {
	name, kind := j.Name(), j.Kind()
	timeout := j.Timeout()
	if timeout <= 0 {
		timeout = e.cfg.Global.JobTimeout.Std()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	now := e.now()
	jr, err := j.Run(ctx, now, scheduled)
	if err != nil {
		e.metrics.runs.WithLabelValues(name, kind, "failure").Inc()
		e.recordStatus(name, "", err)
		return nil, fmt.Errorf("%s %q: %w", kind, name, err)
	}
	res := &Result{Job: name, Kind: kind, Started: now, Events: jr.Events, summary: jr.Summary}
	created := e.now()
	for i := range res.Events {
		res.Events[i].CreatedAt = created
	}
	if len(res.Events) > 0 {
		n, err := e.store.AppendEvents(ctx, res.Events)
		if err != nil {
			e.metrics.runs.WithLabelValues(name, kind, "failure").Inc()
			e.recordStatus(name, "", err)
			return nil, fmt.Errorf("%s %q: store events: %w", kind, name, err)
		}
		res.Stored = n
		for _, ev := range res.Events {
			e.metrics.events.WithLabelValues(name, string(ev.Kind)).Inc()
		}
	}
	if scheduled {
		if len(res.Events) > 0 {
			e.alerts.Fire(res.Events...)
		}
		if len(jr.Resolved) > 0 {
			e.alerts.Resolve(jr.Resolved...)
		}
	}
	res.Duration = time.Since(start)
	e.metrics.runs.WithLabelValues(name, kind, "success").Inc()
	e.metrics.duration.WithLabelValues(name, kind).Observe(res.Duration.Seconds())
	e.metrics.lastSuccess.WithLabelValues(name).Set(float64(e.now().Unix()))
	e.recordStatus(name, res.Summary(), nil)
	return res, nil
}
