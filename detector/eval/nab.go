package eval

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Profile weighs the outcomes of NAB scoring (Lavin & Ahmad 2015): a true
// positive earns TP·σ, a false positive costs FP·σ, a missed window costs
// FN. TN is part of NAB's profile definition but, as in NAB, true
// negatives are not scored.
type Profile struct {
	Name           string
	TP, FP, FN, TN float64
}

// The three NAB application profiles.
var (
	Standard    = Profile{Name: "standard", TP: 1, FP: 0.11, FN: 1, TN: 1}
	RewardLowFP = Profile{Name: "reward_low_FP", TP: 1, FP: 0.22, FN: 1, TN: 1}
	RewardLowFN = Profile{Name: "reward_low_FN", TP: 1, FP: 0.11, FN: 2, TN: 1}
)

// Profiles returns the three NAB profiles in NAB's table order.
func Profiles() []Profile { return []Profile{Standard, RewardLowFP, RewardLowFN} }

// Probation returns the number of leading rows of an n-row file that NAB
// leaves unscored while detectors learn: min(⌊0.15·n⌋, 750).
func Probation(n int) int {
	p := int(math.Floor(0.15 * float64(n)))
	return min(p, 750)
}

// ScaledSigmoid is NAB's σ(y) = 2/(1+e^{5y}) − 1: about +0.987 at y = −1
// (a window's first row), 0 at y = 0 (its last row) and → −1 after it.
func ScaledSigmoid(y float64) float64 {
	return 2/(1+math.Exp(5*y)) - 1
}

// Series is one scored file: the detector's score for every row, and the
// file's anomaly windows.
type Series struct {
	Name    string // for error messages, e.g. "realTweets/Twitter_volume_AAPL.csv"
	Times   []time.Time
	Scores  []float64
	Windows []Window
}

// NABScore is a NAB result for one profile.
type NABScore struct {
	Profile Profile
	// Threshold is the detection threshold (score ≥ Threshold detects).
	// +Inf when the best choice is never to fire.
	Threshold float64
	// Raw is the sum of the weighted outcomes at Threshold; Null and
	// Perfect are the raw scores of a detector that never fires and of one
	// that fires on the first scored row of every window.
	Raw, Null, Perfect float64
	// Score is the normalised score 100·(Raw − Null)/(Perfect − Null).
	Score float64
	// TP and FN count windows, FP counts flagged rows outside windows.
	TP, FP, FN int
}

// NAB is a corpus prepared for NAB scoring: validated, with every row's
// place relative to the windows worked out once, so that the three
// profiles and any number of thresholds are cheap to score.
type NAB struct {
	rows    []nabRow // scored rows (after probation) of every file
	windows []nabWindow
	series  int // number of series
}

// nabRow is one scored row. sig is σ of its position: relative to its
// window's end if win ≥ 0, else relative to the preceding window's end
// (−1 if none).
type nabRow struct {
	score  float64
	sig    float64
	win    int // index into NAB.windows, −1 outside windows
	series int // index of the row's series in the corpus
}

// nabWindow holds what a window contributes to the perfect detector: σ at
// its first scored row, or scorable=false if it lies entirely in the
// probationary period (then every detector, perfect and null included,
// misses it, and it cancels out of the normalised score).
type nabWindow struct {
	perfectSig float64
	scorable   bool
	series     int
}

// NewNAB validates and prepares a corpus. Every series must have as many
// scores as timestamps, strictly increasing timestamps, finite scores and
// non-overlapping windows that each contain at least one row; the corpus
// must have at least one window, or the normalisation is undefined.
func NewNAB(corpus []Series) (*NAB, error) {
	n := &NAB{}
	for _, s := range corpus {
		if err := n.add(s); err != nil {
			return nil, fmt.Errorf("NAB series %q: %w", s.Name, err)
		}
		n.series++
	}
	if len(n.windows) == 0 {
		return nil, fmt.Errorf("NAB corpus of %d series has no anomaly windows: the score cannot be normalised", len(corpus))
	}
	// Highest scores first; the stable sort keeps corpus order among equal
	// scores, so results do not depend on the sort implementation.
	sort.SliceStable(n.rows, func(i, j int) bool { return n.rows[i].score > n.rows[j].score })
	return n, nil
}

func (n *NAB) add(s Series) error {
	if len(s.Times) != len(s.Scores) {
		return fmt.Errorf("%d timestamps but %d scores", len(s.Times), len(s.Scores))
	}
	if err := checkTimes(s.Times); err != nil {
		return err
	}
	for i, v := range s.Scores {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("score %d (%s) is %v", i, s.Times[i].Format(time.RFC3339), v)
		}
	}
	ws, err := sortedWindows(s.Windows)
	if err != nil {
		return err
	}
	// Row index ranges [first, last] of the windows.
	type span struct{ first, last int }
	spans := make([]span, len(ws))
	for k, w := range ws {
		first := sort.Search(len(s.Times), func(i int) bool { return !s.Times[i].Before(w.Start) })
		last := sort.Search(len(s.Times), func(i int) bool { return s.Times[i].After(w.End) }) - 1
		if first > last {
			return fmt.Errorf("window %s..%s contains no rows", w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
		}
		spans[k] = span{first, last}
	}
	prob := Probation(len(s.Times))
	base := len(n.windows)
	for _, sp := range spans {
		first := max(sp.first, prob)
		w := nabWindow{scorable: first <= sp.last, series: n.series}
		if w.scorable {
			w.perfectSig = inWindowSigmoid(first, sp.first, sp.last)
		}
		n.windows = append(n.windows, w)
	}
	k := 0     // the window at or after row i
	prev := -1 // the last window before row i
	for i := prob; i < len(s.Times); i++ {
		for k < len(spans) && spans[k].last < i {
			prev, k = k, k+1
		}
		r := nabRow{score: s.Scores[i], win: -1, series: n.series}
		switch {
		case k < len(spans) && spans[k].first <= i:
			r.win = base + k
			r.sig = inWindowSigmoid(i, spans[k].first, spans[k].last)
		case prev >= 0:
			// Distance past the preceding window's last row in units of
			// that window's length less one, so that the false positives
			// just after a window cost little and those a window-length
			// later nearly the full weight. A one-row window gives an
			// infinite distance: full weight.
			p := spans[prev]
			r.sig = ScaledSigmoid(float64(i-p.last) / float64(p.last-p.first))
		default:
			r.sig = -1
		}
		n.rows = append(n.rows, r)
	}
	return nil
}

// sigmoidAtStart normalises true positives so that a detection on a
// window's first row earns exactly the profile's TP weight.
var sigmoidAtStart = ScaledSigmoid(-1)

// inWindowSigmoid is the TP factor for a detection on row i of the window
// spanning rows [first, last]: σ(−(last − i + 1)/L)/σ(−1) with L = last −
// first + 1 rows, so 1 on the first row, falling to σ(−1/L)/σ(−1) ≈ 0 on
// the last.
func inWindowSigmoid(i, first, last int) float64 {
	l := float64(last - first + 1)
	return ScaledSigmoid(-float64(last-i+1)/l) / sigmoidAtStart
}

// nullPerfect returns the raw scores of the null and the perfect detector.
func (n *NAB) nullPerfect(p Profile) (null, perfect float64) {
	for _, w := range n.windows {
		null -= p.FN
		if w.scorable {
			perfect += p.TP * w.perfectSig
		} else {
			perfect -= p.FN
		}
	}
	return null, perfect
}

func (n *NAB) finish(s NABScore) NABScore {
	s.Null, s.Perfect = n.nullPerfect(s.Profile)
	s.Score = 100 * (s.Raw - s.Null) / (s.Perfect - s.Null)
	return s
}

// Score scores the corpus with the one threshold that maximises the raw
// score for p, searching every distinct score of the corpus (and "never
// fire"). Among thresholds with the same raw score the highest wins.
func (n *NAB) Score(p Profile) NABScore {
	var (
		null, _ = n.nullPerfect(p)
		total   = null
		best    = NABScore{Profile: p, Threshold: math.Inf(1), Raw: null, FN: len(n.windows)}
		hit     = make([]bool, len(n.windows))
		bestSig = make([]float64, len(n.windows))
		tp, fp  int
	)
	// Lowering the threshold past a group of equal scores turns those rows
	// into detections; each changes the total by its own contribution, and
	// a row inside a window only by how much earlier it detects the window
	// than the detections already made (σ falls along a window, so the
	// earliest detection is the one with the largest σ).
	for i := 0; i < len(n.rows); {
		j := i
		for ; j < len(n.rows) && n.rows[j].score == n.rows[i].score; j++ {
			r := n.rows[j]
			switch {
			case r.win < 0:
				total += p.FP * r.sig
				fp++
			case !hit[r.win]:
				hit[r.win] = true
				bestSig[r.win] = r.sig
				total += p.TP*r.sig + p.FN
				tp++
			case r.sig > bestSig[r.win]:
				total += p.TP * (r.sig - bestSig[r.win])
				bestSig[r.win] = r.sig
			}
		}
		if total > best.Raw {
			best.Threshold, best.Raw = n.rows[i].score, total
			best.TP, best.FP, best.FN = tp, fp, len(n.windows)-tp
		}
		i = j
	}
	return n.finish(best)
}

// ScoreAt scores the corpus for p at a given threshold (score ≥ threshold
// detects), without optimising it.
func (n *NAB) ScoreAt(p Profile, threshold float64) NABScore {
	s := NABScore{Profile: p, Threshold: threshold}
	for _, b := range n.Breakdown(p, threshold) {
		s.Raw += b.Raw
		s.TP += b.TP
		s.FP += b.FP
		s.FN += b.FN
	}
	return n.finish(s)
}

// SeriesScore is one series' share of a NAB score at a given threshold.
// Raw, Null and Perfect add up to the corpus figures; a series without
// windows has Null = Perfect = 0 and Raw ≤ 0 (its false positives).
type SeriesScore struct {
	Raw, Null, Perfect float64
	TP, FP, FN         int
}

// Breakdown returns each series' share of the score for p at threshold,
// in corpus order: to see where a detector gains and loses.
func (n *NAB) Breakdown(p Profile, threshold float64) []SeriesScore {
	out := make([]SeriesScore, n.series)
	bestSig := make([]float64, len(n.windows))
	hit := make([]bool, len(n.windows))
	for _, r := range n.rows {
		if !(r.score >= threshold) {
			continue
		}
		if r.win < 0 {
			out[r.series].Raw += p.FP * r.sig
			out[r.series].FP++
		} else if !hit[r.win] || r.sig > bestSig[r.win] {
			hit[r.win], bestSig[r.win] = true, r.sig
		}
	}
	for w, win := range n.windows {
		s := &out[win.series]
		s.Null -= p.FN
		if win.scorable {
			s.Perfect += p.TP * win.perfectSig
		} else {
			s.Perfect -= p.FN
		}
		if hit[w] {
			s.Raw += p.TP * bestSig[w]
			s.TP++
		} else {
			s.Raw -= p.FN
			s.FN++
		}
	}
	return out
}

// Windows returns the number of anomaly windows in the corpus.
func (n *NAB) Windows() int { return len(n.windows) }

// ScoreNAB prepares corpus and scores it for every profile in Profiles
// order, each with its own optimal threshold.
func ScoreNAB(corpus []Series) ([]NABScore, error) {
	n, err := NewNAB(corpus)
	if err != nil {
		return nil, err
	}
	out := make([]NABScore, 0, 3)
	for _, p := range Profiles() {
		out = append(out, n.Score(p))
	}
	return out, nil
}
