package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestProbation(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{0, 0}, {3, 0}, {6, 0}, {7, 1}, {100, 15}, {1126, 168}, {4032, 604}, {5000, 750}, {5007, 750}, {15902, 750},
	} {
		if got := Probation(tc.n); got != tc.want {
			t.Errorf("Probation(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

func TestScaledSigmoid(t *testing.T) {
	for _, tc := range []struct{ y, want float64 }{
		{-1, 2/(1+math.Exp(-5)) - 1}, // ≈ 0.98661
		{0, 0},
		{1, 2/(1+math.Exp(5)) - 1},
		{math.Inf(1), -1},
		{math.Inf(-1), 1},
	} {
		if got := ScaledSigmoid(tc.y); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("σ(%v) = %v, want %v", tc.y, got, tc.want)
		}
	}
}

// scored builds an n-row series with the given windows (row ranges) and a
// score of 1 on the given rows, 0 elsewhere.
func scored(n int, windows [][2]int, hits ...int) Series {
	s := Series{Name: "synthetic", Times: at(n), Scores: make([]float64, n)}
	for _, w := range windows {
		s.Windows = append(s.Windows, win(w[0], w[1]))
	}
	for _, h := range hits {
		s.Scores[h] = 1
	}
	return s
}

// TestNABRowWeights checks single outcomes against NAB's own per-row
// output: in reference-results/numenta/realTweets/
// numenta_Twitter_volume_AAPL.csv a 397-row window is first detected 197
// rows after its start, S(t) = 0.862455839068 in every profile, and a
// false positive 6 rows after another 397-row window has
// S(t)_reward_low_FP_rate = −0.00832935005671 (−0.00416467502835 with the
// standard A_FP of 0.11).
func TestNABRowWeights(t *testing.T) {
	const n = 3000 // probation 450 rows
	window := [][2]int{{1000, 1396}}
	for _, tc := range []struct {
		name   string
		series Series
		p      Profile
		raw    float64
		tp, fp int
	}{
		{"first detection mid-window", scored(n, window, 1197), Standard, 0.862455839068, 1, 0},
		{"later detections in the window do not count", scored(n, window, 1197, 1198, 1300, 1396), Standard, 0.862455839068, 1, 0},
		{"detection at the window start earns A_TP", scored(n, window, 1000, 1197), RewardLowFN, 1, 1, 0},
		{"false positive just after a window", scored(n, window, 1000, 1402), RewardLowFP, 1 - 0.00832935005671, 1, 1},
		{"standard weight of that false positive", scored(n, window, 1000, 1402), Standard, 1 - 0.00416467502835, 1, 1},
		{"false positive before any window: full A_FP", scored(n, window, 1000, 999), RewardLowFP, 1 - 0.22, 1, 1},
		{"false positive long after a window: full A_FP", scored(n, window, 1000, 2999), Standard, 1 - 0.11, 1, 1},
		{"missed window costs A_FN", scored(n, window), RewardLowFN, -2, 0, 0},
		{"detections in probation are ignored", scored(n, window, 0, 449), Standard, -1, 0, 0},
		{"first row after probation is scored", scored(n, window, 450), Standard, -1 - 0.11, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nab, err := NewNAB([]Series{tc.series})
			if err != nil {
				t.Fatal(err)
			}
			got := nab.ScoreAt(tc.p, 0.5)
			if math.Abs(got.Raw-tc.raw) > 1e-9 {
				t.Errorf("raw = %.12f, want %.12f", got.Raw, tc.raw)
			}
			if got.TP != tc.tp || got.FP != tc.fp || got.FN != 1-tc.tp {
				t.Errorf("tp, fp, fn = %d, %d, %d; want %d, %d, %d", got.TP, got.FP, got.FN, tc.tp, tc.fp, 1-tc.tp)
			}
		})
	}
}

func TestNABNormalisation(t *testing.T) {
	const n = 2000 // probation 300 rows
	windows := [][2]int{{400, 449}, {1000, 1099}, {1990, 1999}}
	for _, tc := range []struct {
		name   string
		series Series
		want   float64
	}{
		{"perfect: every window at its start", scored(n, windows, 400, 1000, 1990), 100},
		{"null: never fires", scored(n, windows), 0},
		{"only false positives: the optimiser stays silent", scored(n, windows, 350, 900, 1500), 0},
		{"one window of three, at its start", scored(n, windows, 1000), 100.0 / 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scores, err := ScoreNAB([]Series{tc.series})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range scores {
				if math.Abs(s.Score-tc.want) > 1e-9 {
					t.Errorf("%s: score %v, want %v", s.Profile.Name, s.Score, tc.want)
				}
			}
		})
	}
}

// TestNABProbationWindows: a window inside the probationary period is
// missed by every detector, perfect included, so it does not move the
// normalised score; one that straddles the probation end is perfectly
// detected on its first scored row.
func TestNABProbationWindows(t *testing.T) {
	const n = 2000 // probation 300 rows
	s := scored(n, [][2]int{{10, 50}, {250, 349}, {1000, 1099}}, 30, 300, 1000)
	scores, err := ScoreNAB([]Series{s})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scores {
		if math.Abs(sc.Score-100) > 1e-9 || sc.FN != 1 {
			t.Errorf("%s: score %v with %d missed, want 100 with 1 (the probation window)", sc.Profile.Name, sc.Score, sc.FN)
		}
	}
}

// TestNABSweepMatchesBruteForce checks the single-pass threshold search
// against scoring every candidate threshold separately.
func TestNABSweepMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var corpus []Series
	candidates := []float64{math.Inf(1)}
	for f := 0; f < 5; f++ {
		n := 300 + rng.IntN(700)
		var windows [][2]int
		for a := 60 + rng.IntN(100); a < n-20; a += 60 + rng.IntN(200) {
			b := min(a+5+rng.IntN(40), n-1)
			windows = append(windows, [2]int{a, b})
			a = b
		}
		s := scored(n, windows)
		for i := range s.Scores {
			// Coarse scores so that ties between rows are common.
			s.Scores[i] = math.Round(rng.Float64()*rng.Float64()*40) / 40
			candidates = append(candidates, s.Scores[i])
		}
		corpus = append(corpus, s)
	}
	nab, err := NewNAB(corpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Profiles() {
		got := nab.Score(p)
		best := nab.ScoreAt(p, math.Inf(1))
		for _, c := range candidates {
			if s := nab.ScoreAt(p, c); s.Raw > best.Raw+1e-9 || (math.Abs(s.Raw-best.Raw) <= 1e-9 && c > best.Threshold) {
				best = s
			}
		}
		if math.Abs(got.Raw-best.Raw) > 1e-9 || got.Threshold != best.Threshold {
			t.Errorf("%s: sweep raw %v at %v, brute force %v at %v", p.Name, got.Raw, got.Threshold, best.Raw, best.Threshold)
		}
		if at := nab.ScoreAt(p, got.Threshold); math.Abs(at.Raw-got.Raw) > 1e-9 || at.TP != got.TP || at.FP != got.FP || at.FN != got.FN {
			t.Errorf("%s: ScoreAt(%v) = %+v, Score = %+v", p.Name, got.Threshold, at, got)
		}
	}
}

func TestNABErrors(t *testing.T) {
	nan := scored(100, [][2]int{{50, 60}})
	nan.Scores[70] = math.NaN()
	short := scored(100, [][2]int{{50, 60}})
	short.Scores = short.Scores[:99]
	unsorted := scored(100, [][2]int{{50, 60}})
	unsorted.Times[10], unsorted.Times[11] = unsorted.Times[11], unsorted.Times[10]
	empty := scored(100, [][2]int{{50, 60}})
	empty.Windows = append(empty.Windows, win(200, 210))
	for _, tc := range []struct {
		name   string
		corpus []Series
	}{
		{"no windows", []Series{scored(100, nil)}},
		{"empty corpus", nil},
		{"NaN score", []Series{nan}},
		{"scores shorter than times", []Series{short}},
		{"times out of order", []Series{unsorted}},
		{"window without rows", []Series{empty}},
		{"overlapping windows", []Series{scored(100, [][2]int{{50, 60}, {55, 70}})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewNAB(tc.corpus); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestNABBreakdown(t *testing.T) {
	corpus := []Series{
		scored(2000, [][2]int{{400, 449}, {1000, 1099}}, 400, 1500), // one hit at the start, one far false positive
		scored(1000, nil, 500, 501),                                 // two false positives before any window
		scored(1000, [][2]int{{600, 699}}),                          // missed
	}
	nab, err := NewNAB(corpus)
	if err != nil {
		t.Fatal(err)
	}
	sig := ScaledSigmoid(float64(1500-1099) / 99)
	want := []SeriesScore{
		{Raw: 1 + 0.11*sig - 1, Null: -2, Perfect: 2, TP: 1, FP: 1, FN: 1},
		{Raw: -0.22, FP: 2},
		{Raw: -1, Null: -1, Perfect: 1, FN: 1},
	}
	got := nab.Breakdown(Standard, 0.5)
	var sum SeriesScore
	for i := range want {
		g, w := got[i], want[i]
		if math.Abs(g.Raw-w.Raw) > 1e-12 || g.Null != w.Null || g.Perfect != w.Perfect || g.TP != w.TP || g.FP != w.FP || g.FN != w.FN {
			t.Errorf("series %d: %+v, want %+v", i, g, w)
		}
		sum.Raw, sum.Null, sum.Perfect = sum.Raw+g.Raw, sum.Null+g.Null, sum.Perfect+g.Perfect
	}
	total := nab.ScoreAt(Standard, 0.5)
	if math.Abs(total.Raw-sum.Raw) > 1e-12 || total.Null != sum.Null || total.Perfect != sum.Perfect {
		t.Errorf("ScoreAt %+v does not add up the breakdown %+v", total, sum)
	}
}
