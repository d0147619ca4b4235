package detector

// The ensemble detector ("ensemble") judges every point with each of its
// Members and combines their verdicts by Combine:
//
//   - max (default): Score = the largest member score. An anomaly when any
//     member flags the point.
//   - mean: Score = the mean of the member scores. An anomaly when the
//     members' evidence, averaged, reaches their thresholds: one member far
//     beyond its threshold can carry the others, two just below cannot.
//   - vote: Score = the q-th largest member score, q = ⌊m/2⌋+1 for the m
//     members that judged the point. An anomaly exactly when a majority of
//     them flags it.
//
// Every member score is 0.5 at its own threshold, so each combination is
// 0.5 exactly at the ensemble's threshold and the score semantics of the
// package hold. A member's own gates (direction, min_deviation,
// persistence) apply before combining: a member whose gates veto a crossing
// counts with a score just under 0.5. The ensemble's gates apply after.
// Expected, the band and Z are those of the member whose score the
// combination took (for mean, the member with the highest score), so an
// alert shows the band that explains it.
//
// Members warm up at their own pace: a point is judged by the members that
// can judge it, and the ensemble judges nothing until one can. The batch
// form runs each member's own batch form (Run) and combines by timestamp.

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// TypeEnsemble is the type name of the ensemble detector.
const TypeEnsemble = "ensemble"

// justUnderHalf is the score a vetoed member counts with.
var justUnderHalf = math.Nextafter(0.5, 0)

type ensemble struct {
	members []Detector // gated by their own configs
	combine string
}

// newEnsemble is the registry constructor of type ensemble. It builds the
// members with build (plus their own gates) and reports their errors
// under members[i].
func newEnsemble(cfg Config) (Detector, error) {
	var errs field.List
	if len(cfg.Members) == 0 {
		errs.Addf("members", "an ensemble needs at least one member")
	}
	comb := cfg.Combine
	switch comb {
	case "":
		comb = CombineMax
	case CombineMax, CombineMean, CombineVote:
	default:
		errs.Addf("combine", "unknown combine %q (want max, mean or vote)", cfg.Combine)
	}
	var members []Detector
	for i, m := range cfg.Members {
		m.ApplyDefaults()
		d, err := build(m)
		if err != nil {
			errs.Add(fmt.Sprintf("members[%d]", i), err)
			continue
		}
		members = append(members, gate(d, m))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return newEnsembleOf(members, comb), nil
}

// newEnsembleOf combines ready-made (gated) members; combine is max, mean
// or vote.
func newEnsembleOf(members []Detector, combine string) *ensemble {
	return &ensemble{members: members, combine: combine}
}

// Name returns "ensemble".
func (e *ensemble) Name() string { return TypeEnsemble }

// NewStream returns the members' streams side by side.
func (e *ensemble) NewStream(m baseline.Model) Stream {
	s := &ensembleStream{e: e, rs: make([]Result, 0, len(e.members))}
	for _, d := range e.members {
		s.ss = append(s.ss, d.NewStream(m))
	}
	return s
}

type ensembleStream struct {
	e  *ensemble
	ss []Stream
	rs []Result
}

// Push implements Stream.
func (s *ensembleStream) Push(p series.Point) (Result, bool) {
	s.rs = s.rs[:0]
	for _, st := range s.ss {
		if r, ok := st.Push(p); ok {
			s.rs = append(s.rs, r)
		}
	}
	if len(s.rs) == 0 {
		return Result{}, false
	}
	return s.e.combineResults(s.rs), true
}

// DetectBatch implements Batcher: each member's batch form, combined by
// timestamp.
func (e *ensemble) DetectBatch(in Input) []Result {
	byT := make(map[time.Time][]Result, len(in.Points))
	for _, d := range e.members {
		for _, r := range Run(d, in) {
			byT[r.T] = append(byT[r.T], r)
		}
	}
	out := make([]Result, 0, len(byT))
	for t, rs := range byT {
		r := e.combineResults(rs)
		r.T = t
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Result) int { return a.T.Compare(b.T) })
	return out
}

// combineResults combines the verdicts of the members that judged a point
// (rs is reordered).
func (e *ensemble) combineResults(rs []Result) Result {
	eff := func(r Result) float64 {
		if !r.Anomaly && r.Score >= 0.5 {
			return justUnderHalf
		}
		return r.Score
	}
	slices.SortStableFunc(rs, func(a, b Result) int {
		switch ea, eb := eff(a), eff(b); {
		case ea > eb:
			return -1
		case ea < eb:
			return 1
		}
		return 0
	})
	var out Result
	switch e.combine {
	case CombineMean:
		sum := 0.0
		for _, r := range rs {
			sum += eff(r)
		}
		out = rs[0]
		out.Score = sum / float64(len(rs))
	case CombineVote:
		out = rs[len(rs)/2] // the q-th largest, q = ⌊m/2⌋+1
		out.Score = eff(out)
	default:
		out = rs[0]
		out.Score = eff(out)
	}
	out.Anomaly = out.Score >= 0.5
	return out
}
