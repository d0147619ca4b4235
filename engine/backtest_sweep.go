package engine

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/detector/eval"
)

// DefaultMaxAlertsPerDay is the noise budget a sweep recommends for when
// the request names none: at most two pages a day.
const DefaultMaxAlertsPerDay = 2

// MaxSweepSensitivities bounds a sweep's grid.
const MaxSweepSensitivities = 101

// DefaultSweepGrid returns the default sensitivities of a sweep: 0.05 to
// 1 in steps of 0.05, the step of the tuning page's slider.
func DefaultSweepGrid() []float64 {
	out := make([]float64, 20)
	for i := range out {
		out[i] = float64(i+1) * 5 / 100
	}
	return out
}

// SweepRequest asks for a backtest at every sensitivity of a grid.
type SweepRequest struct {
	BacktestRequest
	// Sensitivities is the grid, each in (0, 1]; empty is
	// DefaultSweepGrid. The draft's own sensitivity is ignored.
	Sensitivities []float64
	// MaxAlertsPerDay is the noise budget the recommendation respects; 0
	// is DefaultMaxAlertsPerDay.
	MaxAlertsPerDay float64
}

// SweepResult is the curve of a sweep and the recommended setting.
type SweepResult struct {
	Monitor string    `json:"monitor"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Days    float64   `json:"days"`
	// Detector is the draft swept (its sensitivity is the one it had).
	Detector Draft  `json:"detector"`
	Refit    string `json:"refit"`
	// Rethresholded is true when the raw scores were computed once and
	// only re-thresholded per sensitivity; false when the detector ran
	// once per sensitivity (on the same baselines).
	Rethresholded   bool    `json:"rethresholded"`
	MaxAlertsPerDay float64 `json:"max_alerts_per_day"`
	// Curve has one point per sensitivity, in grid order (ascending).
	Curve []SweepPoint `json:"curve"`
	// Recommended is the setting the budget allows.
	Recommended Recommendation `json:"recommended"`
	// Series lists the series swept, with their chart data at the
	// draft's sensitivity when asked for.
	Series   []SeriesResult `json:"series"`
	Duration time.Duration  `json:"duration_ns"`
}

// SweepPoint is the backtest at one sensitivity.
type SweepPoint struct {
	Sensitivity float64 `json:"sensitivity"`
	Metrics     Metrics `json:"metrics"`
	// DaysOverBudget counts the local days on which more alerts fired
	// than the budget allows.
	DaysOverBudget int `json:"days_over_budget"`
	// Alerts are the would-have-fired alerts (at most MaxBacktestAlerts).
	Alerts          []BacktestAlert `json:"alerts"`
	AlertsTruncated bool            `json:"alerts_truncated,omitempty"`
}

// Recommendation is the sensitivity a sweep recommends, and why.
type Recommendation struct {
	Sensitivity  float64 `json:"sensitivity"`
	AlertsPerDay float64 `json:"alerts_per_day"`
	// Recall is the share of labelled incidents that would have paged
	// (alert recall); meaningful only when Labelled.
	Recall       float64 `json:"recall"`
	Labelled     bool    `json:"labelled"`
	WithinBudget bool    `json:"within_budget"`
	Reason       string  `json:"reason"`
}

// Sweep backtests a draft at every sensitivity of a grid, sharing the
// query, the baselines and (for the re-thresholdable families) the raw
// scores, and recommends the setting for the noise budget.
func (e *Engine) Sweep(ctx context.Context, req SweepRequest) (*SweepResult, error) {
	start := time.Now()
	grid := req.Sensitivities
	if len(grid) == 0 {
		grid = DefaultSweepGrid()
	}
	if len(grid) > MaxSweepSensitivities {
		return nil, fmt.Errorf("%w: %d sensitivities, at most %d allowed", ErrInvalidRequest, len(grid), MaxSweepSensitivities)
	}
	for _, s := range grid {
		if !(s > 0 && s <= 1) {
			return nil, fmt.Errorf("%w: sensitivity %v is not in (0, 1]", ErrInvalidRequest, s)
		}
	}
	grid = slices.Clone(grid)
	slices.Sort(grid)
	grid = slices.Compact(grid)
	budget := req.MaxAlertsPerDay
	if budget == 0 {
		budget = DefaultMaxAlertsPerDay
	}
	if !(budget > 0) || math.IsInf(budget, 0) {
		return nil, fmt.Errorf("%w: max_alerts_per_day must be a positive number, got %v", ErrInvalidRequest, budget)
	}
	release, err := e.tuning.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	b, err := e.prepareBacktest(ctx, req.BacktestRequest, len(grid))
	if err != nil {
		return nil, err
	}
	draft := req.Draft.Apply(b.base)
	draft.ApplyDefaults()
	out := &SweepResult{
		Monitor: b.m.name(), From: b.from, To: b.to, Days: b.to.Sub(b.from).Hours() / 24,
		Detector: DraftOf(draft), Refit: b.refit.String(),
		Rethresholded: rethresholdable[draft.Type], MaxAlertsPerDay: budget,
	}
	for _, s := range grid {
		cfg := draft
		cfg.Sensitivity = s
		p, _, err := b.sweepPoint(ctx, cfg, budget)
		if err != nil {
			return nil, err
		}
		out.Curve = append(out.Curve, p)
		b.progress.step()
	}
	out.Recommended = recommend(out.Curve, budget)
	scored, err := b.score(ctx, draft)
	if err != nil {
		return nil, err
	}
	for i, bs := range b.series {
		sr := SeriesResult{Labels: bs.ls, Detector: scored[i].detector, NotJudged: bs.notJudged}
		if req.Points {
			sr.Points = scored[i].chart()
		}
		out.Series = append(out.Series, sr)
	}
	b.progress.finish()
	out.Duration = time.Since(start)
	return out, nil
}

// sweepPoint backtests one setting of a prepared backtest; it also returns
// the per-series alerts (judged).
func (b *backtest) sweepPoint(ctx context.Context, cfg detector.Config, budget float64) (SweepPoint, [][]BacktestAlert, error) {
	scored, err := b.score(ctx, cfg)
	if err != nil {
		return SweepPoint{}, nil, err
	}
	labelled := b.labelled()
	ins := make([]eval.Input, len(b.series))
	per := make([][]BacktestAlert, len(b.series))
	var flat []BacktestAlert
	for i, bs := range b.series {
		per[i] = b.replay(bs, &scored[i])
		judgeAlerts(per[i], bs.marks, labelled)
		ins[i] = b.evalInput(bs, &scored[i])
		flat = append(flat, per[i]...)
	}
	p := SweepPoint{Sensitivity: cfg.Sensitivity, Metrics: b.measure(ins, per, flat)}
	p.DaysOverBudget = daysOverBudget(flat, budget, b.m.location)
	sortAlerts(flat)
	if len(flat) > MaxBacktestAlerts {
		flat, p.AlertsTruncated = flat[:MaxBacktestAlerts], true
	}
	if flat == nil {
		flat = []BacktestAlert{}
	}
	p.Alerts = flat
	return p, per, nil
}

// daysOverBudget counts the local days on which more paging alerts fired
// than budget.
func daysOverBudget(as []BacktestAlert, budget float64, loc *time.Location) int {
	perDay := map[string]int{}
	for _, a := range as {
		if !a.Silent {
			perDay[a.FiredAt.In(loc).Format(time.DateOnly)]++
		}
	}
	n := 0
	for _, c := range perDay {
		if float64(c) > budget {
			n++
		}
	}
	return n
}

// recommend picks from a sweep's curve the setting for a noise budget of
// budget alerts a day. With labels: the highest alert recall (labelled
// incidents that would have paged) among the settings within budget,
// ties to fewer alerts a day, then to the lower sensitivity (as good on
// the past, and quieter). Without labels recall is unknown, so it is the
// most sensitive setting within budget: the most the budget can buy.
// When no setting is within budget, the quietest one, said so.
func recommend(curve []SweepPoint, budget float64) Recommendation {
	if len(curve) == 0 {
		return Recommendation{Reason: "no sensitivity swept"}
	}
	labelled := false
	for _, p := range curve {
		labelled = labelled || p.Metrics.Labelled
	}
	const eps = 1e-9
	best := -1
	for i, p := range curve {
		if p.Metrics.AlertsPerDay > budget+eps {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		q := curve[best]
		r, rq := p.Metrics.Alert.Recall, q.Metrics.Alert.Recall
		switch {
		case !labelled:
			if p.Sensitivity > q.Sensitivity {
				best = i
			}
		case r > rq+eps:
			best = i
		case r < rq-eps:
		case p.Metrics.AlertsPerDay < q.Metrics.AlertsPerDay-eps:
			best = i
		case p.Metrics.AlertsPerDay > q.Metrics.AlertsPerDay+eps:
		case p.Sensitivity < q.Sensitivity:
			best = i
		}
	}
	if best < 0 {
		best = 0
		for i, p := range curve {
			q := curve[best]
			switch {
			case p.Metrics.AlertsPerDay < q.Metrics.AlertsPerDay-eps:
				best = i
			case p.Metrics.AlertsPerDay > q.Metrics.AlertsPerDay+eps:
			case p.Metrics.Alert.Recall > q.Metrics.Alert.Recall+eps:
				best = i
			}
		}
		p := curve[best]
		return Recommendation{
			Sensitivity: p.Sensitivity, AlertsPerDay: p.Metrics.AlertsPerDay, Recall: p.Metrics.Alert.Recall,
			Labelled: labelled, WithinBudget: false,
			Reason: fmt.Sprintf("no sensitivity keeps within %g alerts a day; %.2f is the quietest at %.2f a day (consider persistence, min_deviation or another detector)",
				budget, p.Sensitivity, p.Metrics.AlertsPerDay),
		}
	}
	p := curve[best]
	rec := Recommendation{
		Sensitivity: p.Sensitivity, AlertsPerDay: p.Metrics.AlertsPerDay, Recall: p.Metrics.Alert.Recall,
		Labelled: labelled, WithinBudget: true,
	}
	if labelled {
		a := p.Metrics.Alert
		rec.Reason = fmt.Sprintf("highest recall within %g alerts a day: %d of %d labelled incidents would have paged (recall %.2f, precision %.2f) at %.2f alerts a day",
			budget, a.Detected, a.Ranges, a.Recall, a.Precision, p.Metrics.AlertsPerDay)
	} else {
		rec.Reason = fmt.Sprintf("no anomaly labels in the range, so recall is unknown: the most sensitive setting within %g alerts a day (%.2f a day); label incidents to rank by recall",
			budget, p.Metrics.AlertsPerDay)
	}
	return rec
}
