package engine

// Detector recommendation: for each series of a monitor, every candidate
// detector type is swept over the range (on the same baselines) and
// ranked.
//
// Each type is tried with the monitor's own gates (direction,
// min_deviation, persistence) and family parameters, at the sensitivity
// its own sweep recommends for the noise budget (sweep.go), so types are
// compared at their best usable setting, not at one sensitivity that
// suits some and not others. Then:
//
//   - with anomaly labels in the range: types within the budget first,
//     then by event F1 (each labelled range counts once; not point
//     adjusted), then by fewer alerts a day;
//   - without labels: types within the budget first, then by auto's
//     label-free backtest score on the history before the range (recall
//     of injected spikes and dips minus ten times the share of normal
//     points flagged; detector/auto.go), then by fewer days over budget
//     (stability: a detector that is quiet on average but floods one day
//     is worse), then by fewer alerts a day.

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/detector"
)

// DefaultRecommendTypes are the detector types a recommendation compares
// when the request names none: the online families that need no extra
// parameters. spectral and shesd are left out for their cost (tens of µs
// a point), static, flatline and no_data for being special-purpose.
func DefaultRecommendTypes() []string {
	return []string{
		detector.TypeRobust, detector.TypeSeasonal, detector.TypeHoltWinters, detector.TypeRobustZ,
		detector.TypeZScore, detector.TypeIQR, detector.TypeEWMA, detector.TypeCUSUM,
		detector.TypeLevelShift, detector.TypeRateOfChange, detector.TypeAdaptive,
	}
}

// recommendGrid is the sensitivity grid each type is swept on: coarser
// than a sweep's, since types that cannot re-threshold run once per
// sensitivity.
var recommendGrid = []float64{0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95}

// RecommendRequest asks for a ranking of detector types per series.
type RecommendRequest struct {
	Monitor  string
	Match    []*labels.Matcher
	From, To time.Time
	// Types to compare; empty is DefaultRecommendTypes.
	Types []string
	// MaxAlertsPerDay is the noise budget; 0 is DefaultMaxAlertsPerDay.
	MaxAlertsPerDay float64
	Progress        func(done, total int)
}

// RecommendResult ranks detector types for every series.
type RecommendResult struct {
	Monitor         string          `json:"monitor"`
	From            time.Time       `json:"from"`
	To              time.Time       `json:"to"`
	MaxAlertsPerDay float64         `json:"max_alerts_per_day"`
	Series          []SeriesRanking `json:"series"`
	Duration        time.Duration   `json:"duration_ns"`
}

// SeriesRanking is the ranking of one series.
type SeriesRanking struct {
	Labels labels.Labels `json:"labels"`
	// Labelled says whether labels ranked it (else the label-free
	// criteria did).
	Labelled bool `json:"labelled"`
	// Best is the first of Ranking, Reason why.
	Best    string           `json:"best"`
	Reason  string           `json:"reason"`
	Ranking []RankedDetector `json:"ranking"`
}

// RankedDetector is one type's standing for a series.
type RankedDetector struct {
	Rank int    `json:"rank"`
	Type string `json:"type"`
	// Sensitivity is the type's recommended setting for the budget, and
	// the metrics below are at it.
	Sensitivity    float64     `json:"sensitivity"`
	WithinBudget   bool        `json:"within_budget"`
	AlertsPerDay   float64     `json:"alerts_per_day"`
	DaysOverBudget int         `json:"days_over_budget"`
	Event          EventScores `json:"event"`
	Alert          EventScores `json:"alert"`
	// AutoScore, SpikeRecall and FlagRate are auto's label-free backtest
	// on the history before the range; absent when the type could not
	// judge enough of it.
	AutoScore   *float64 `json:"auto_score,omitempty"`
	SpikeRecall float64  `json:"spike_recall"`
	FlagRate    float64  `json:"flag_rate"`
	Reasons     []string `json:"reasons"`
}

// Recommend ranks detector types per series by backtest.
func (e *Engine) Recommend(ctx context.Context, req RecommendRequest) (*RecommendResult, error) {
	start := time.Now()
	types := req.Types
	if len(types) == 0 {
		types = DefaultRecommendTypes()
	}
	budget := req.MaxAlertsPerDay
	if budget == 0 {
		budget = DefaultMaxAlertsPerDay
	}
	if !(budget > 0) {
		return nil, fmt.Errorf("%w: max_alerts_per_day must be positive, got %v", ErrInvalidRequest, budget)
	}
	release, err := e.tuning.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	m, err := e.monitorByName(req.Monitor)
	if err != nil {
		return nil, err
	}
	base := m.detectorConfig()
	cands := make([]detector.Config, 0, len(types))
	seen := map[string]bool{}
	for _, t := range types {
		if seen[t] {
			continue
		}
		seen[t] = true
		c := base
		c.Type = t
		c.Candidates, c.Members = nil, nil
		if t == detector.TypeAuto || t == detector.TypeEnsemble {
			return nil, fmt.Errorf("%w: type %s cannot be ranked: it is made of other types", ErrInvalidRequest, t)
		}
		if _, err := detector.New(c); err != nil {
			return nil, fmt.Errorf("%w: type %s: %w", ErrInvalidRequest, t, err)
		}
		cands = append(cands, c)
	}
	b, err := e.prepareBacktest(ctx, BacktestRequest{Monitor: req.Monitor, Match: req.Match, From: req.From, To: req.To, Progress: req.Progress}, 0)
	if err != nil {
		return nil, err
	}
	b.progress.total += len(b.series) * len(cands)
	out := &RecommendResult{Monitor: m.name(), From: b.from, To: b.to, MaxAlertsPerDay: budget}
	for _, bs := range b.series {
		sub := *b
		sub.series = []*btSeries{bs}
		sub.raw = map[string][]rawSeries{}
		r, err := sub.rank(ctx, cands, budget)
		if err != nil {
			return nil, err
		}
		out.Series = append(out.Series, r)
	}
	b.progress.finish()
	out.Duration = time.Since(start)
	return out, nil
}

// rank sweeps every candidate on the backtest's one series and ranks them.
func (b *backtest) rank(ctx context.Context, cands []detector.Config, budget float64) (SeriesRanking, error) {
	bs := b.series[0]
	auto := b.autoScores(bs, cands)
	sr := SeriesRanking{Labels: bs.ls}
	var ranked []RankedDetector
	for _, c := range cands {
		var curve []SweepPoint
		for _, s := range recommendGrid {
			cfg := c
			cfg.Sensitivity = s
			cfg.ApplyDefaults()
			p, _, err := b.sweepPoint(ctx, cfg, budget)
			if err != nil {
				return SeriesRanking{}, err
			}
			p.Alerts = nil // the ranking does not list them
			curve = append(curve, p)
		}
		b.progress.step()
		rec := recommend(curve, budget)
		var at SweepPoint
		for _, p := range curve {
			if p.Sensitivity == rec.Sensitivity {
				at = p
			}
		}
		sr.Labelled = sr.Labelled || at.Metrics.Labelled
		rd := RankedDetector{
			Type: c.Type, Sensitivity: rec.Sensitivity, WithinBudget: rec.WithinBudget,
			AlertsPerDay: at.Metrics.AlertsPerDay, DaysOverBudget: at.DaysOverBudget,
			Event: at.Metrics.Event, Alert: at.Metrics.Alert,
		}
		if a, ok := auto[c.Type]; ok {
			rd.AutoScore = a.score
			rd.SpikeRecall, rd.FlagRate = a.recall, a.flagRate
		}
		rd.Reasons = append(rd.Reasons, rec.Reason)
		if at.DaysOverBudget > 0 {
			rd.Reasons = append(rd.Reasons, fmt.Sprintf("over budget on %d of %.0f days", at.DaysOverBudget, b.to.Sub(b.from).Hours()/24))
		}
		if at.Metrics.Labelled {
			ev := at.Metrics.Event
			rd.Reasons = append(rd.Reasons, fmt.Sprintf("event F1 %.2f: %d of %d labelled ranges found, %d of %d flagged events real", ev.F1, ev.Detected, ev.Ranges, ev.Matched, ev.Predicted))
		}
		if rd.AutoScore != nil {
			rd.Reasons = append(rd.Reasons, fmt.Sprintf("on the history before the range: found %.0f%% of injected spikes and dips, flagged %.2f%% of normal points (score %.3f)", 100*rd.SpikeRecall, 100*rd.FlagRate, *rd.AutoScore))
		} else if a, ok := auto[c.Type]; ok {
			rd.Reasons = append(rd.Reasons, a.why)
		}
		ranked = append(ranked, rd)
	}
	labelled := sr.Labelled
	sort.SliceStable(ranked, func(i, j int) bool { return better(ranked[i], ranked[j], labelled) })
	for i := range ranked {
		ranked[i].Rank = i + 1
	}
	sr.Ranking = ranked
	if len(ranked) > 0 {
		sr.Best = ranked[0].Type
		crit := "within the budget first, then label-free backtest score, days over budget and alerts a day (no anomaly labels in the range)"
		if labelled {
			crit = "within the budget first, then event F1 against the labels, then alerts a day"
		}
		sr.Reason = fmt.Sprintf("%s ranks first of %d by %s: %s", sr.Best, len(ranked), crit, strings.Join(ranked[0].Reasons, "; "))
	}
	return sr, nil
}

// better orders two ranked detectors (see the file comment).
func better(a, b RankedDetector, labelled bool) bool {
	const eps = 1e-9
	if a.WithinBudget != b.WithinBudget {
		return a.WithinBudget
	}
	if labelled {
		if d := a.Event.F1 - b.Event.F1; d > eps || d < -eps {
			return d > 0
		}
		return a.AlertsPerDay < b.AlertsPerDay-eps
	}
	as, bsc := autoScoreOf(a), autoScoreOf(b)
	if d := as - bsc; d > eps || d < -eps {
		return d > 0
	}
	if a.DaysOverBudget != b.DaysOverBudget {
		return a.DaysOverBudget < b.DaysOverBudget
	}
	return a.AlertsPerDay < b.AlertsPerDay-eps
}

func autoScoreOf(r RankedDetector) float64 {
	if r.AutoScore == nil {
		return -1e300
	}
	return *r.AutoScore
}

// autoResult is one candidate's share of auto's label-free backtest.
type autoResult struct {
	score            *float64
	recall, flagRate float64
	why              string
}

// autoScores runs auto's backtest (detector.Auto.Choose) over the
// candidates on the history before the range, with the series' labels.
func (b *backtest) autoScores(bs *btSeries, cands []detector.Config) map[string]autoResult {
	var in detector.Input
	for _, c := range bs.chunks {
		if c.model != nil {
			in = detector.Input{History: c.hist, Model: c.model}
			break
		}
	}
	if len(in.History) == 0 {
		return nil
	}
	cfg := detector.Config{Type: detector.TypeAuto, Sensitivity: b.base.Sensitivity, Candidates: cands}
	d, err := detector.New(cfg)
	if err != nil {
		b.e.log.Warn("recommend: auto over the candidates does not build", "err", err)
		return nil
	}
	sel, ok := detector.SelectionOf(d)
	if !ok {
		return nil
	}
	var ranges []detector.LabelRange
	for _, l := range bs.marks {
		ranges = append(ranges, detector.LabelRange{Start: l.From, End: l.To, Kind: detector.LabelKind(l.Kind)})
	}
	ch := sel.Choose(in, ranges)
	out := map[string]autoResult{}
	for _, c := range cands {
		r := autoResult{recall: ch.Scores[c.Type+".recall"], flagRate: ch.Scores[c.Type+".flag_rate"]}
		if s, ok := ch.Scores[c.Type]; ok {
			r.score = &s
		} else {
			r.why = fmt.Sprintf("judged only %.0f%% of the history before the range: no label-free score", 100*ch.Scores[c.Type+".coverage"])
		}
		out[c.Type] = r
	}
	return out
}
