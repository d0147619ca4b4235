// Package metric evaluates metric rules: alerting rules in PromQL or
// MetricsQL against a Prometheus-compatible source (Prometheus,
// VictoriaMetrics), with for, keep_firing_for, labels and annotations with
// templates — the rules vmalert and Prometheus run, evaluated by Seismo so
// that their alerts share its router, store and receivers.
//
// Every series a rule's expression returns at an evaluation is an active
// alert: pending until it has been returned for the rule's for, then
// firing; once the series is no longer returned (and keep_firing_for has
// passed) the alert resolves. The state lives in memory, and the engine
// saves what changes after each evaluation (Snapshot) and hands it back
// after a restart (Restore), so that a pending alert does not wait its
// for again and a firing one keeps its start — as Prometheus restores
// from its ALERTS_FOR_STATE series.
//
// Expressions are parsed when the configuration loads, in the source's
// dialect, with the position of any error. The package does no I/O of its
// own: it queries through source.InstantQuerier.
package metric

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/seismo-dev/seismo/source"
)

// maxReplaySteps bounds the evaluations a replay makes per rule.
const maxReplaySteps = 60

// Group is a compiled rule group and the state of its rules. Eval calls
// must not overlap (the engine never runs a job twice at once); Replay
// uses no shared state and may run at any time.
type Group struct {
	cfg      GroupConfig
	rules    []*rule
	q        source.InstantQuerier
	interval time.Duration // 0 for a scheduled group
	sched    cron.Schedule // nil for an interval group
	keys     []string      // state key of each rule (restore.go)

	mu        sync.Mutex // guards states, restore and evaluated
	states    []*ruleState
	restore   *savedRestore // handed to Restore, installed by the first Eval
	evaluated bool          // Eval has run: Restore comes too late
}

// NewGroup compiles a validated group configuration. q answers its
// queries.
func NewGroup(cfg GroupConfig, q source.InstantQuerier) (*Group, error) {
	cfg.ApplyDefaults()
	g := &Group{cfg: cfg, q: q}
	if cfg.Schedule == "" {
		if _, err := IntervalSchedule(cfg.Interval.Std()); err != nil {
			return nil, err
		}
		g.interval = cfg.Interval.Std()
	} else {
		sched, err := scheduleParser.Parse(cfg.Schedule)
		if err != nil {
			return nil, fmt.Errorf("schedule: %w", err)
		}
		g.sched = sched
	}
	for i, rc := range cfg.Rules {
		r, err := newRule(rc, cfg.Name, cfg.Labels, cfg.Limit)
		if err != nil {
			return nil, fmt.Errorf("rules[%d]: %w", i, err)
		}
		g.rules = append(g.rules, r)
		g.states = append(g.states, newRuleState())
	}
	g.keys = ruleKeys(cfg)
	return g, nil
}

// Name returns the group's name.
func (g *Group) Name() string { return g.cfg.Name }

// Config returns the group's configuration, defaults applied.
func (g *Group) Config() GroupConfig { return g.cfg }

// Schedule returns the group's cron schedule: its own, or the one its
// interval stands for.
func (g *Group) Schedule() string {
	if g.cfg.Schedule != "" {
		return g.cfg.Schedule
	}
	s, _ := IntervalSchedule(g.interval) // checked by NewGroup
	return s
}

// EvalTime returns the instant a run started at now evaluates: now
// truncated to the group's interval (so that start jitter and a slow
// scheduler do not move it) or to the second for a scheduled group, less
// eval_delay.
func (g *Group) EvalTime(now time.Time) time.Time {
	step := time.Second
	if g.interval > 0 {
		step = g.interval
	}
	return now.Truncate(step).Add(-g.cfg.EvalDelay.Std())
}

// Result is one run of a group: every rule's evaluation at one instant.
type Result struct {
	Time  time.Time
	Rules []RuleResult
}

// Eval evaluates every rule at EvalTime(now) and advances their state.
// Rules are queried Concurrency at a time; a rule that fails keeps its
// state and the others proceed. The first Eval installs the state handed
// to Restore, if any.
func (g *Group) Eval(ctx context.Context, now time.Time) Result {
	ts := g.EvalTime(now)
	res := Result{Time: ts, Rules: make([]RuleResult, len(g.rules))}
	g.mu.Lock()
	restored := g.applyRestore(ts)
	g.mu.Unlock()
	g.forEachRule(ctx, func(i int, r *rule) {
		samples, err := g.query(ctx, r, ts)
		g.mu.Lock()
		defer g.mu.Unlock()
		st := g.states[i]
		var rr RuleResult
		if err == nil {
			rr = r.eval(st, ts, samples)
		} else {
			rr = RuleResult{Alert: r.cfg.Alert, Expr: r.cfg.Expr, Time: ts, Err: err}
		}
		if rr.Err != nil {
			if st.failingSince.IsZero() {
				st.failingSince = ts
			}
			rr.FailingSince = st.failingSince
		} else {
			st.failingSince = time.Time{}
		}
		rr.Key = g.keys[i]
		if restored != nil {
			rr.Restored, rr.Discarded = restored[i].restored, restored[i].discarded
		}
		res.Rules[i] = rr
	})
	return res
}

// Replay shows what the rules would report at EvalTime(now) starting from
// no state, for `seismo once`: each rule is evaluated at the instants of
// its last for + keep_firing_for (on the group's interval; at most 60 per
// rule, coarser when that is not enough), so that a condition that has
// held long enough is firing. The group's own state is not touched.
func (g *Group) Replay(ctx context.Context, now time.Time) Result {
	ts := g.EvalTime(now)
	res := Result{Time: ts, Rules: make([]RuleResult, len(g.rules))}
	g.forEachRule(ctx, func(i int, r *rule) {
		st := newRuleState()
		var rr RuleResult
		for _, at := range g.replayInstants(r, ts) {
			samples, err := g.query(ctx, r, at)
			if err != nil {
				rr = RuleResult{Alert: r.cfg.Alert, Expr: r.cfg.Expr, Time: at, Err: err, FailingSince: at}
				break
			}
			rr = r.eval(st, at, samples)
			if rr.Err != nil {
				rr.FailingSince = at
				break
			}
		}
		rr.Key = g.keys[i]
		res.Rules[i] = rr
	})
	return res
}

// replayInstants returns the instants a replay evaluates r at, oldest
// first, ending at ts.
func (g *Group) replayInstants(r *rule, ts time.Time) []time.Time {
	span := r.cfg.For.Std() + r.cfg.KeepFiringFor.Std()
	step := g.interval
	if step <= 0 {
		step = time.Minute
	}
	n := int(span/step) + 1
	if span%step != 0 {
		n++ // start at or before ts − span
	}
	if n > maxReplaySteps {
		// Coarser steps, rounded up so that the first instant is still
		// at or before ts − span and a condition held that long fires.
		n = maxReplaySteps
		step = (span + time.Duration(n-2)) / time.Duration(n-1)
	}
	out := make([]time.Time, n)
	for k := range out {
		out[k] = ts.Add(-time.Duration(n-1-k) * step)
	}
	return out
}

// forEachRule calls f for every rule, Concurrency at a time, and waits.
func (g *Group) forEachRule(ctx context.Context, f func(i int, r *rule)) {
	n := max(g.cfg.Concurrency, 1)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, r := range g.rules {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i, r)
		})
	}
	wg.Wait()
}

// query runs r's expression at ts.
func (g *Group) query(ctx context.Context, r *rule, ts time.Time) ([]source.Sample, error) {
	if g.q == nil {
		return nil, errNoQuerier
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("not evaluated: %w", err)
	}
	return g.q.QueryInstant(ctx, r.cfg.Expr, ts)
}
