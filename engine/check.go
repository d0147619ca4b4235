package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/rules/check"
	"github.com/seismo-dev/seismo/store"
)

// CheckFailedAlertName is the alertname of the event a check raises when a
// run fails (a query error or timeout, a lost connection, a duplicate key,
// a missing key column): one event for the failure instead of a flood of
// differences that are not there.
const CheckFailedAlertName = "SeismoCheckFailed"

// saveTimeout bounds storing a run's record when the run's own context has
// ended (a timeout or a shutdown during the grace): the record of why it
// failed is worth a moment more.
const saveTimeout = 5 * time.Second

// checkJob runs a consistency check on the scheduler. A run waits out the
// check's grace period itself (its default timeout leaves room for it):
// the scheduler runs every job in a goroutine of its own, so a waiting
// check holds up nothing but its own next run, and a shutdown cancels
// the wait.
type checkJob struct {
	e       *Engine
	c       *check.Check
	cfg     check.Config
	loc     *time.Location
	cal     *calendar.Calendar // nil without a calendar
	timeout time.Duration
	demo    *demoCards // the demo's card databases, written before the first run; nil for other checks
}

// newCheck prepares the job of one configured check.
func (e *Engine) newCheck(cc check.Config, calendars map[string]*calendar.Calendar, globalLoc *time.Location) (*checkJob, error) {
	c, err := check.New(cc, e.cfg.Sources, check.Options{Logger: e.log.With("check", cc.Name)})
	if err != nil {
		return nil, err
	}
	j := &checkJob{e: e, c: c, cfg: c.Config(), loc: globalLoc, demo: e.newDemoCards(cc)}
	if cc.Calendar != "" {
		if j.cal = calendars[cc.Calendar]; j.cal == nil {
			return nil, fmt.Errorf("unknown calendar %q", cc.Calendar)
		}
		j.loc = j.cal.Location()
	}
	if cc.Timezone != "" {
		if j.loc, err = time.LoadLocation(cc.Timezone); err != nil {
			return nil, fmt.Errorf("timezone: %w", err)
		}
	}
	// Both sides are read twice at most (the comparison, the re-check),
	// with the grace in between.
	j.timeout = cc.Timeout.Std()
	if j.timeout == 0 {
		j.timeout = 2*e.cfg.Global.JobTimeout.Std() + cc.Grace.Std()
	}
	return j, nil
}

func (j *checkJob) Name() string             { return j.cfg.Name }
func (j *checkJob) Kind() string             { return "check" }
func (j *checkJob) Schedule() string         { return j.cfg.Schedule }
func (j *checkJob) Location() *time.Location { return j.loc }
func (j *checkJob) Timeout() time.Duration   { return j.timeout }

// inactive returns why the check must not run at now, or "".
func (j *checkJob) inactive(now time.Time) string {
	if j.cal == nil {
		return ""
	}
	switch j.cfg.ActiveIn {
	case "sessions":
		if !j.cal.InSession(now) {
			return "outside trading sessions"
		}
	case "trading_days":
		if !j.cal.IsTradingDay(now) {
			return "not a trading day"
		}
	}
	return ""
}

// Run runs the check, stores the run's record and returns the events of
// the differences still there after the grace. A failed run stores its
// record and raises its one failure event itself (the engine stores and
// sends nothing for a run that returns an error), then returns the error.
func (j *checkJob) Run(ctx context.Context, now time.Time, scheduled bool) (JobResult, error) {
	if reason := j.inactive(now); reason != "" && scheduled {
		return JobResult{Summary: fmt.Sprintf("check %s: skipped (%s)", j.cfg.Name, reason)}, nil
	}
	if j.demo != nil {
		if err := j.demo.prepare(ctx); err != nil {
			return JobResult{}, err
		}
	}
	res, runErr := j.c.Run(ctx, now)
	saveErr := j.save(ctx, res, runErr)
	if runErr != nil {
		if ctx.Err() != nil && errors.Is(runErr, context.Canceled) {
			return JobResult{}, runErr // shutting down: not the check's failure
		}
		j.raiseFailure(ctx, now, runErr, scheduled)
		return JobResult{}, errors.Join(runErr, saveErr)
	}
	if saveErr != nil {
		return JobResult{}, saveErr
	}
	j.e.log.Info("check done", "check", j.cfg.Name, "left", res.Left, "right", res.Right,
		"missing_left", res.MissingLeft, "missing_right", res.MissingRight, "mismatched", res.Mismatched,
		"transient", res.Transient, "duration", res.Duration.Round(time.Millisecond))
	events, firing := j.events(res, now)
	var resolved []labels.Labels
	for _, ls := range j.variants() {
		if !slices.ContainsFunc(firing, func(f labels.Labels) bool { return labels.Equal(f, ls) }) {
			resolved = append(resolved, ls)
		}
	}
	return JobResult{Summary: res.Summary(), Events: events, Resolved: append(resolved, j.failureLabels())}, nil
}

// save stores the run's record. A context that ended (the timeout, a
// shutdown) is replaced for the save, so the record says why.
func (j *checkJob) save(ctx context.Context, res *check.Result, runErr error) error {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
		defer cancel()
	}
	run := store.CheckRun{
		Check: j.cfg.Name, Started: res.Started, Duration: res.Duration, Status: store.CheckStatusOK, Mode: res.Mode,
		Left: res.Left, Right: res.Right, MissingLeft: res.MissingLeft, MissingRight: res.MissingRight,
		Mismatched: res.Mismatched, Transient: res.Transient, Suppressed: res.Suppressed, Truncated: res.Truncated,
		Notes: res.Notes,
	}
	if runErr != nil {
		run.Status, run.Error = store.CheckStatusError, runErr.Error()
	}
	diffs := make([]store.CheckDifference, 0, len(res.Differences))
	def := j.cfg.Severity()
	for _, d := range res.Differences {
		sd := store.CheckDifference{Kind: d.Kind, Columns: d.Columns, Transient: d.Transient, Rule: d.Rule,
			Severity: d.Severity(def), Suppressed: d.Suppressed}
		var err error
		if sd.Key, err = json.Marshal(check.Row(res.KeyColumns, d.Key)); err != nil {
			return fmt.Errorf("check %q: encode key: %w", j.cfg.Name, err)
		}
		if d.Left != nil {
			if sd.Left, err = json.Marshal(check.Row(res.LeftColumns, d.Left)); err != nil {
				return fmt.Errorf("check %q: encode left row: %w", j.cfg.Name, err)
			}
		}
		if d.Right != nil {
			if sd.Right, err = json.Marshal(check.Row(res.RightColumns, d.Right)); err != nil {
				return fmt.Errorf("check %q: encode right row: %w", j.cfg.Name, err)
			}
		}
		diffs = append(diffs, sd)
	}
	if _, err := j.e.store.SaveCheckRun(ctx, run, diffs); err != nil {
		return fmt.Errorf("check %q: store run: %w", j.cfg.Name, err)
	}
	return nil
}

// baseLabels are the labels every event of the check carries.
func (j *checkJob) baseLabels(alertname string) map[string]string {
	m := maps.Clone(j.cfg.Labels)
	if m == nil {
		m = map[string]string{}
	}
	m[model.AlertNameLabel] = alertname
	m[check.LabelCheck] = j.cfg.Name
	if m["severity"] == "" {
		m["severity"] = j.cfg.Severity()
	}
	return m
}

func (j *checkJob) failureLabels() labels.Labels {
	return labels.FromMap(j.baseLabels(CheckFailedAlertName))
}

// raiseFailure stores the failure event and, on scheduled runs, fires it.
func (j *checkJob) raiseFailure(ctx context.Context, now time.Time, runErr error, scheduled bool) {
	ann := maps.Clone(j.cfg.Annotations)
	if ann == nil {
		ann = map[string]string{}
	}
	ann["summary"] = fmt.Sprintf("Consistency check %s failed: no differences were computed", j.cfg.Name)
	ann["description"] = runErr.Error()
	ev := alert.Event{
		Kind: alert.KindCheckError, Job: j.cfg.Name, Labels: j.failureLabels(), Annotations: ann,
		Time: now, Value: 1, CreatedAt: j.e.now(),
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
		defer cancel()
	}
	evs := []alert.Event{ev}
	if _, err := j.e.store.AppendEvents(ctx, evs); err != nil {
		j.e.log.Error("store check failure event", "check", j.cfg.Name, "err", err)
	} else {
		j.e.metrics.events.WithLabelValues(j.cfg.Name, string(ev.Kind)).Inc()
	}
	if scheduled {
		j.e.alerts.Fire(evs...)
	}
}

// group is the differences that share a deciding rule and so one event.
type group struct {
	rule   string
	labels map[string]string
	ann    map[string]string
	diffs  []*check.Difference
	extra  int64 // differences beyond max_differences (default group only)
}

// events turns the lasting, unsuppressed differences into one event per
// deciding rule (and one for those no rule decided about), each with a
// readable summary and a sample of the differences.
func (j *checkJob) events(res *check.Result, now time.Time) ([]alert.Event, []labels.Labels) {
	groups := map[string]*group{}
	var order []string
	get := func(rule string, d *check.Difference) *group {
		g := groups[rule]
		if g == nil {
			g = &group{rule: rule, labels: j.baseLabels(j.cfg.Name)}
			if rule != "" {
				g.labels[check.LabelRule] = rule
				maps.Copy(g.labels, d.Labels)
				g.ann = d.Annotations
			}
			groups[rule] = g
			order = append(order, rule)
		}
		return g
	}
	for i := range res.Differences {
		d := &res.Differences[i]
		if d.Transient || d.Suppressed {
			continue
		}
		g := get(d.Rule, d)
		g.diffs = append(g.diffs, d)
	}
	if res.Truncated > 0 {
		get("", nil).extra = res.Truncated
	}
	var (
		events []alert.Event
		firing []labels.Labels
	)
	for _, rule := range order {
		g := groups[rule]
		ls := labels.FromMap(g.labels)
		ann := maps.Clone(j.cfg.Annotations)
		if ann == nil {
			ann = map[string]string{}
		}
		maps.Copy(ann, g.ann)
		ann["summary"], ann["description"] = j.describe(res, g)
		events = append(events, alert.Event{
			Kind: alert.KindCheckMismatch, Job: j.cfg.Name, Labels: ls, Annotations: ann,
			Time: now, Value: float64(int64(len(g.diffs)) + g.extra),
		})
		firing = append(firing, ls)
	}
	return events, firing
}

// describe writes an event's summary and its description: the counts and
// a sample of the differences, one per line.
func (j *checkJob) describe(res *check.Result, g *group) (string, string) {
	var ml, mr, mm int64
	for _, d := range g.diffs {
		switch d.Kind {
		case check.KindMissingLeft:
			ml++
		case check.KindMissingRight:
			mr++
		default:
			mm++
		}
	}
	n := int64(len(g.diffs)) + g.extra
	what := fmt.Sprintf("%d rows differ", n)
	if n == 1 {
		what = "1 row differs"
	}
	summary := fmt.Sprintf("%s: %s between %s and %s (missing on the left %d, missing on the right %d, mismatched %d)",
		j.cfg.Name, what, j.cfg.Left.Source, j.cfg.Right.Source, ml, mr, mm)
	if g.rule != "" {
		summary += fmt.Sprintf(", rule %s", g.rule)
	}
	if j.cfg.Grace > 0 {
		summary += fmt.Sprintf("; still there after a %s grace", j.cfg.Grace)
	}
	var b strings.Builder
	for i, d := range g.diffs {
		if i == j.cfg.SampleLimit {
			fmt.Fprintf(&b, "… and %d more\n", len(g.diffs)-i)
			break
		}
		b.WriteString(sampleLine(res, d))
		b.WriteByte('\n')
	}
	if g.extra > 0 {
		fmt.Fprintf(&b, "%d more beyond max_differences (%d), counted only\n", g.extra, j.cfg.MaxDifferences)
	}
	return summary, strings.TrimSuffix(b.String(), "\n")
}

// sampleLine describes one difference: "card_no=C001: status: NORMAL ≠ FROZEN".
func sampleLine(res *check.Result, d *check.Difference) string {
	var b strings.Builder
	for i, k := range d.Key {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(res.KeyColumns[i] + "=" + k.String())
	}
	switch d.Kind {
	case check.KindMissingLeft:
		b.WriteString(": missing on the left")
	case check.KindMissingRight:
		b.WriteString(": missing on the right")
	default:
		b.WriteString(":")
		for i, col := range d.Columns {
			if i > 0 {
				b.WriteString(";")
			}
			b.WriteString(" " + col + ": " + valueOf(res.LeftColumns, d.Left, col) + " ≠ " + valueOf(res.RightColumns, d.Right, col))
		}
	}
	return b.String()
}

func valueOf(cols []string, vals []check.Value, col string) string {
	for i, c := range cols {
		if strings.EqualFold(c, col) && i < len(vals) {
			return vals[i].String()
		}
	}
	return "?"
}

// variants are the label sets the check's mismatch events can have: the
// default group's and each label rule's. Those without differences in a
// run resolve.
func (j *checkJob) variants() []labels.Labels {
	out := []labels.Labels{labels.FromMap(j.baseLabels(j.cfg.Name))}
	for _, r := range j.cfg.Rules {
		if r.Action != "" && r.Action != "label" {
			continue
		}
		m := j.baseLabels(j.cfg.Name)
		m[check.LabelRule] = r.Name
		maps.Copy(m, r.Labels)
		if r.Severity != "" {
			m["severity"] = r.Severity
		}
		out = append(out, labels.FromMap(m))
	}
	return out
}

// CheckInfo is what the API shows about a configured check.
type CheckInfo struct {
	Name        string   `json:"name"`
	Schedule    string   `json:"schedule"`
	Timezone    string   `json:"timezone"`
	Mode        string   `json:"mode"`
	LeftSource  string   `json:"left_source"`
	RightSource string   `json:"right_source"`
	Key         []string `json:"key"`
	Grace       string   `json:"grace"`
}

// Checks lists the configured checks, by name.
func (e *Engine) Checks() []CheckInfo {
	var out []CheckInfo
	for _, jb := range e.jobs {
		j, ok := jb.(*checkJob)
		if !ok {
			continue
		}
		out = append(out, CheckInfo{
			Name: j.cfg.Name, Schedule: j.cfg.Schedule, Timezone: j.loc.String(), Mode: j.cfg.Mode,
			LeftSource: j.cfg.Left.Source, RightSource: j.cfg.Right.Source, Key: j.cfg.Key, Grace: j.cfg.Grace.String(),
		})
	}
	slices.SortFunc(out, func(a, b CheckInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// HasCheck reports whether a check of that name is configured.
func (e *Engine) HasCheck(name string) bool {
	return slices.ContainsFunc(e.Checks(), func(c CheckInfo) bool { return c.Name == name })
}
