package detector

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/series"
)

// scripted is a detector whose stream returns fixed scores in turn (NaN:
// not judged), so that the combination rules can be checked exactly.
type scripted struct {
	scores []float64
	veto   []bool // gates vetoed the crossing
}

func (d scripted) Name() string { return "scripted" }
func (d scripted) NewStream(baseline.Model) Stream {
	return &scriptedStream{d: d}
}

type scriptedStream struct {
	d scripted
	i int
}

func (s *scriptedStream) Push(p series.Point) (Result, bool) {
	i := s.i
	s.i++
	if i >= len(s.d.scores) || s.d.scores[i] != s.d.scores[i] {
		return Result{}, false
	}
	sc := s.d.scores[i]
	return Result{T: p.T, Value: p.V, Expected: float64(10 * i), Score: sc, Anomaly: sc >= 0.5 && !(i < len(s.d.veto) && s.d.veto[i])}, true
}

func TestEnsembleCombine(t *testing.T) {
	nan := func() float64 { z := 0.0; return z / z }()
	a := scripted{scores: []float64{0.1, 0.6, 0.4, 0.9, 0.7, nan}}
	b := scripted{scores: []float64{0.2, 0.3, 0.45, 0.2, 0.55, nan}, veto: []bool{4: true}}
	c := scripted{scores: []float64{0.3, 0.2, 0.5, 0.1, 0.6, 0.8}}
	for _, tc := range []struct {
		combine string
		score   []float64
		anomaly []bool
	}{
		{CombineMax, []float64{0.3, 0.6, 0.5, 0.9, 0.7, 0.8}, []bool{false, true, true, true, true, true}},
		{CombineMean, []float64{0.2, 1.1 / 3, 1.35 / 3, 0.4, (0.7 + justUnderHalf + 0.6) / 3, 0.8}, []bool{false, false, false, false, true, true}},
		// vote: the 2nd largest of 3 (a majority), of 1 for the last point.
		{CombineVote, []float64{0.2, 0.3, 0.45, 0.2, 0.6, 0.8}, []bool{false, false, false, false, true, true}},
	} {
		t.Run(tc.combine, func(t *testing.T) {
			e := newEnsembleOf([]Detector{a, b, c}, tc.combine)
			s := e.NewStream(nil)
			for i := range tc.score {
				r, ok := s.Push(series.Point{T: ssStart.Add(time.Duration(i) * time.Minute), V: 1})
				if !ok {
					t.Fatalf("point %d not judged", i)
				}
				if d := r.Score - tc.score[i]; d > 1e-12 || d < -1e-12 || r.Anomaly != tc.anomaly[i] {
					t.Errorf("point %d: score %v anomaly %v, want %v %v", i, r.Score, r.Anomaly, tc.score[i], tc.anomaly[i])
				}
			}
		})
	}
}

// TestEnsembleSeasonal combines real detectors on seasonal data with
// spikes: max finds what any member finds, vote only what most find, and
// the batch form agrees with the stream on a causal member set.
func TestEnsembleSeasonal(t *testing.T) {
	clean := ssSeries(12, 20, 1, 71)
	const hist = 8
	at := map[int]float64{hist*ssPerDay + 100: 25, hist*ssPerDay + 300: -25, hist*ssPerDay + 450: 25}
	dirty := ssInject(clean, at)
	members := []Detector{
		mustSeasonal(t, TypeSeasonal, SeasonalParams{Period: "1d"}),
		mustSeasonal(t, TypeHoltWinters, SeasonalParams{Period: "1d"}),
		mustSpectral(t, SpectralParams{}),
	}
	for _, comb := range []string{CombineMax, CombineMean, CombineVote} {
		t.Run(comb, func(t *testing.T) {
			e := newEnsembleOf(members, comb)
			in := ssSplit(dirty, hist)
			rs := e.DetectBatch(in)
			ssCheckContract(t, rs)
			got := ssFlagged(dirty, rs)
			for i := range at {
				if !slices.Contains(got, i) {
					t.Errorf("spike at %d missed: flagged %v", i, got)
				}
			}
			if len(got) > len(at)+1 {
				t.Errorf("flagged %v, want about %d", got, len(at))
			}
			// The spectral member slides its transform from where the
			// stream started, so the batch form (warmed on the last
			// window of History only) agrees with the stream up to
			// rounding.
			streamed := replay(e.NewStream(nil), in)
			if !slices.EqualFunc(rs, streamed, func(a, b Result) bool {
				return a.T.Equal(b.T) && math.Abs(a.Score-b.Score) <= 1e-9 && a.Anomaly == b.Anomaly
			}) {
				t.Errorf("batch and stream differ")
			}
			if q := ssFlagged(clean, e.DetectBatch(ssSplit(clean, hist))); len(q) > 1 {
				t.Errorf("clean data flagged at %v", q)
			}
		})
	}
}
