package detector

// The automatic detector ("auto") chooses, per series, the candidate that
// does best in a backtest on the series' own history, and judges with it.
//
// The backtest (Choose):
//  1. The history is split in two: candidates warm up on the first half
//     (Train) and are judged on the second (Test). With a baseline model
//     in the Input, one is refitted on the first half only
//     (baseline.Fit with default settings) so no candidate sees the future.
//  2. Quietness: each candidate runs on the Test part as it is; the
//     fraction of presumed-normal points it flags (points outside labelled
//     anomaly and noise ranges) is its flag rate — on history that raised
//     no alarm anyone kept, every flag is a false alarm.
//  3. Sensitivity: the same Test part with synthetic spikes and dips
//     (Inject of them, alternating in sign, evenly spaced) of Magnitude
//     times the series' noise level, estimated as the robust σ of its
//     first differences over √2. The recall is the fraction found at the
//     injected point. A seasonal series' noise is small next to its daily
//     swing, so only detectors that model the season find these spikes.
//  4. Labels, when given and inside Test: F1 of the candidate's flags
//     against the anomaly ranges (a range counts as found when a point in
//     it is flagged; precision counts flagged points outside anomaly and
//     noise ranges as false), and a NAB-style reward that weights each
//     found range by how early in it the first flag came (1 at its start,
//     0.5 at its end) and charges 0.11 per false flag, normalised so that
//     finding every range at its start with no false flag scores 1.
//  5. Score = recall − 10·flag rate (1% of history flagged costs as much as
//     missing a tenth of the spikes); with labelled anomalies in Test,
//     Score = (that + F1 + NAB)/3. A candidate that judges less than 90%
//     of the Test points (it needs a model it was not given, or history it
//     did not get) is disqualified.
//  6. The choice is the first candidate, in the configured order, whose
//     score is within Tie of the best: candidates are listed from the
//     simplest, and a simpler detector that does as well is preferred.
//
// Choice records the winner, a reason per candidate and every metric, and
// serialises to JSON so that it can be stored and shown. Chosen turns a
// stored Choice back into a detector without repeating the backtest.
//
// Forms. The batch form chooses on Input.History and runs the choice on the
// Input (so it inherits the choice's look-ahead, if any). The stream
// collects Learn points, chooses on them and then judges causally with the
// choice; it judges nothing while it learns.

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// LabelKind is a human judgement on a time range.
type LabelKind string

// Label kinds.
const (
	LabelAnomaly LabelKind = "anomaly"
	LabelNoise   LabelKind = "noise"
	LabelNormal  LabelKind = "normal"
)

// LabelRange is a labelled time range [Start, End] (both inclusive).
type LabelRange struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Kind  LabelKind `json:"kind"`
}

// Choice is what auto chose for a series and why.
type Choice struct {
	// Detector names the chosen candidate (see Candidate names in
	// AutoParams' doc).
	Detector string `json:"detector"`
	// Candidate is the chosen candidate's index in the candidate list.
	Candidate int `json:"candidate"`
	// Reasons are one line per candidate, then the decision.
	Reasons []string `json:"reasons"`
	// Scores holds every metric: "<name>" is a candidate's score and
	// "<name>.recall", ".flag_rate", ".coverage", ".f1", ".nab" its parts;
	// "period" and "period.acf" describe the seasonality found.
	Scores map[string]float64 `json:"scores"`
}

// String is the choice in one line.
func (c Choice) String() string {
	return fmt.Sprintf("%s (%s)", c.Detector, strings.Join(c.Reasons, "; "))
}

// AutoParams tunes the auto detector (YAML key `auto:`). Zero values mean
// the defaults.
//
// Candidates come from Config.Candidates, each built like a detector of
// its own (its gates included) and named by its type ("seasonal", or
// "seasonal#2" for the second of that type). Without candidates the
// defaults are, from the simplest: rolling (the seasonal residual
// detector without period: a rolling median), holt (Holt's linear
// method), robust (the baseline model's robust deviation; only when the
// caller supplies a model), seasonal, holtwinters and spectral.
type AutoParams struct {
	Learn     int     `yaml:"learn,omitempty"`     // points a bare stream collects before choosing (default 2000)
	Inject    int     `yaml:"inject,omitempty"`    // synthetic anomalies injected in the test half (default 20)
	Magnitude float64 `yaml:"magnitude,omitempty"` // their size in noise σ (default 8)
	Tie       float64 `yaml:"tie,omitempty"`       // score margin within which the simpler candidate wins (default 0.02)
}

// Auto defaults.
const (
	DefaultAutoLearn     = 2000
	DefaultAutoInject    = 20
	DefaultAutoMagnitude = 8
	DefaultAutoTie       = 0.02
)

// candidate is one detector auto may choose.
type candidate struct {
	name      string
	d         Detector // gated with the candidate's own config
	needModel bool
}

// Auto is the automatic detector.
type Auto struct {
	p     AutoParams
	cands []candidate
}

// newAuto is the registry constructor of type auto; it builds
// cfg.Candidates with build (errors under candidates[i]) or the defaults.
func newAuto(cfg Config, p AutoParams) (Detector, error) {
	var errs field.List
	var cands []candidate
	seen := map[string]int{}
	for i, c := range cfg.Candidates {
		c.ApplyDefaults()
		d, err := build(c)
		if err != nil {
			errs.Add(fmt.Sprintf("candidates[%d]", i), err)
			continue
		}
		seen[c.Type]++
		name := c.Type
		if seen[c.Type] > 1 {
			name = fmt.Sprintf("%s#%d", c.Type, seen[c.Type])
		}
		cands = append(cands, candidate{name: name, d: gate(d, c), needModel: c.Type == TypeRobust})
	}
	if len(cfg.Candidates) == 0 {
		var err error
		if cands, err = defaultCandidates(cfg); err != nil {
			errs.Add("candidates", err)
		}
	}
	a, err := newAutoOf(cands, p)
	if err != nil {
		errs.Add("auto", err)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return a, nil
}

// defaultCandidates builds the default candidate list with cfg's
// sensitivity and direction.
func defaultCandidates(cfg Config) ([]candidate, error) {
	base := Config{Sensitivity: cfg.Sensitivity, Direction: DirectionBoth}
	base.ApplyDefaults()
	var out []candidate
	add := func(name string, d Detector, err error, needModel bool) error {
		if err != nil {
			return fmt.Errorf("default candidate %s: %w", name, err)
		}
		out = append(out, candidate{name: name, d: d, needModel: needModel})
		return nil
	}
	rolling, err := newSeasonal(base, SeasonalParams{Period: PeriodNone})
	if err := add("rolling", rolling, err, false); err != nil {
		return nil, err
	}
	holt, err := newHoltWinters(base, SeasonalParams{Period: PeriodNone})
	if err := add("holt", holt, err, false); err != nil {
		return nil, err
	}
	rob := Config{Type: TypeRobust, Sensitivity: cfg.Sensitivity, Direction: DirectionBoth}
	rob.ApplyDefaults()
	robust, err := build(rob)
	if err := add(TypeRobust, robust, err, true); err != nil {
		return nil, err
	}
	seas, err := newSeasonal(base, SeasonalParams{})
	if err := add(TypeSeasonal, seas, err, false); err != nil {
		return nil, err
	}
	hw, err := newHoltWinters(base, SeasonalParams{})
	if err := add(TypeHoltWinters, hw, err, false); err != nil {
		return nil, err
	}
	sr, err := newSpectral(base, SpectralParams{})
	if err := add(TypeSpectral, sr, err, false); err != nil {
		return nil, err
	}
	return out, nil
}

// newAutoOf returns an Auto over ready-made candidates (listed from the
// simplest).
func newAutoOf(cands []candidate, p AutoParams) (*Auto, error) {
	if p.Learn == 0 {
		p.Learn = DefaultAutoLearn
	}
	if p.Inject == 0 {
		p.Inject = DefaultAutoInject
	}
	if p.Magnitude == 0 {
		p.Magnitude = DefaultAutoMagnitude
	}
	if p.Tie == 0 {
		p.Tie = DefaultAutoTie
	}
	var errs field.List
	if p.Learn < 20 || p.Learn > 1_000_000 {
		errs.Addf("learn", "learn must be between 20 and 1000000 points, got %d", p.Learn)
	}
	if p.Inject < 1 || p.Inject > 1000 {
		errs.Addf("inject", "inject must be between 1 and 1000, got %d", p.Inject)
	}
	if !(p.Magnitude > 0) || math.IsInf(p.Magnitude, 0) {
		errs.Addf("magnitude", "magnitude must be a positive number, got %v", p.Magnitude)
	}
	if !(p.Tie >= 0 && p.Tie < 1) {
		errs.Addf("tie", "tie must be in [0, 1), got %v", p.Tie)
	}
	if len(cands) == 0 {
		errs.Addf("candidates", "auto needs at least one candidate")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &Auto{p: p, cands: cands}, nil
}

// Name returns "auto".
func (a *Auto) Name() string { return TypeAuto }

// Chosen returns the detector of a stored choice (gated by the
// candidate's own config; the auto config's gates are the caller's).
func (a *Auto) Chosen(c Choice) (Detector, error) {
	if c.Candidate < 0 || c.Candidate >= len(a.cands) || a.cands[c.Candidate].name != c.Detector {
		return nil, fmt.Errorf("choice %q (candidate %d) is not among the candidates of this configuration", c.Detector, c.Candidate)
	}
	return a.cands[c.Candidate].d, nil
}

// DetectBatch implements Batcher: choose on in.History, judge with the
// choice.
func (a *Auto) DetectBatch(in Input) []Result {
	c := a.Choose(in, nil)
	return Run(a.cands[c.Candidate].d, in)
}

// NewStream returns a stream that chooses after Learn points.
func (a *Auto) NewStream(m baseline.Model) Stream {
	s := &autoStream{}
	s.learnStream = learnStream{learn: a.p.Learn, start: func([]float64) Stream {
		c := a.Choose(Input{History: s.buf, Model: m}, nil)
		s.choice = &c
		return a.cands[c.Candidate].d.NewStream(m)
	}}
	return s
}

// autoStream is auto's stream; Choice reports what it chose.
type autoStream struct {
	learnStream
	choice *Choice
}

// Choice returns the choice once made.
func (s *autoStream) Choice() (Choice, bool) {
	if s.choice == nil {
		return Choice{}, false
	}
	return *s.choice, true
}

// Choose runs the backtest of the file doc on in.History (in.Points are
// not used) with optional labels and returns the choice. It never fails:
// with too little history it picks the first candidate that can judge and
// says so.
func (a *Auto) Choose(in Input, labels []LabelRange) Choice {
	hist := make([]series.Point, 0, len(in.History))
	for _, p := range in.History {
		if ssFinite(p.V) && (len(hist) == 0 || p.T.After(hist[len(hist)-1].T)) {
			hist = append(hist, p)
		}
	}
	ch := Choice{Scores: map[string]float64{}}
	vals := pointValues(hist)
	per, acf := ssPeriod(vals, 4, ssMinACF)
	ch.Scores["period"], ch.Scores["period.acf"] = float64(per), acf
	step := medianStep(hist)
	if per > 0 {
		ch.Reasons = append(ch.Reasons, fmt.Sprintf("history of %d points has a period of %d points (%s), autocorrelation %.2f", len(hist), per, time.Duration(per)*step, acf))
	} else {
		ch.Reasons = append(ch.Reasons, fmt.Sprintf("history of %d points has no period (best autocorrelation %.2f < %.2f)", len(hist), acf, ssMinACF))
	}
	if len(hist) < 40 {
		i := a.firstUsable(in.Model != nil)
		ch.Detector, ch.Candidate = a.cands[i].name, i
		ch.Reasons = append(ch.Reasons, fmt.Sprintf("too little history to backtest (%d points, need 40): chose %s, the simplest candidate", len(hist), ch.Detector))
		return ch
	}
	cut := len(hist) / 2
	train, test := hist[:cut], hist[cut:]
	var model baseline.Model
	if in.Model != nil {
		cfg := baseline.Config{}
		cfg.ApplyDefaults()
		if m, err := baseline.Fit(train, cfg, nil); err == nil {
			model = m
		}
	}
	sigma := noiseSigma(train)
	injected, at := injectSpikes(test, a.p.Inject, a.p.Magnitude*sigma)
	ch.Reasons = append(ch.Reasons, fmt.Sprintf("backtest: warm up on %d points, judge %d; %d spikes and dips of ±%.3g (%g× the noise σ %.3g) injected",
		len(train), len(test), len(at), a.p.Magnitude*sigma, a.p.Magnitude, sigma))

	kindAt := func(t time.Time) LabelKind {
		k := LabelKind("")
		for _, l := range labels {
			if !t.Before(l.Start) && !t.After(l.End) {
				if l.Kind == LabelAnomaly || k == "" {
					k = l.Kind
				}
			}
		}
		return k
	}
	var ranges []LabelRange // anomaly ranges overlapping test
	for _, l := range labels {
		if l.Kind == LabelAnomaly && !l.End.Before(test[0].T) && !l.Start.After(test[len(test)-1].T) {
			ranges = append(ranges, l)
		}
	}
	normal := 0
	for _, p := range test {
		if k := kindAt(p.T); k == "" || k == LabelNormal {
			normal++
		}
	}

	bestScore := math.Inf(-1)
	scores := make([]float64, len(a.cands))
	for i, c := range a.cands {
		var m baseline.Model
		if c.needModel {
			m = model
		}
		clean := Run(c.d, Input{History: train, Points: test, Model: m})
		coverage := float64(len(clean)) / float64(len(test))
		flags := 0
		for _, r := range clean {
			if k := kindAt(r.T); r.Anomaly && (k == "" || k == LabelNormal) {
				flags++
			}
		}
		flagRate := float64(flags) / float64(max(normal, 1))
		dirty := Run(c.d, Input{History: train, Points: injected, Model: m})
		found := 0
		for _, r := range dirty {
			if _, ok := at[r.T]; ok && r.Anomaly {
				found++
			}
		}
		recall := float64(found) / float64(max(len(at), 1))
		score := recall - 10*flagRate
		ch.Scores[c.name+".coverage"] = coverage
		ch.Scores[c.name+".flag_rate"] = flagRate
		ch.Scores[c.name+".recall"] = recall
		line := fmt.Sprintf("%s: found %d of %d injected, flagged %.2f%% of presumed-normal points", c.name, found, len(at), 100*flagRate)
		if len(ranges) > 0 {
			f1, nab := labelScores(clean, ranges, kindAt)
			ch.Scores[c.name+".f1"], ch.Scores[c.name+".nab"] = f1, nab
			score = (score + f1 + nab) / 3
			line += fmt.Sprintf(", F1 %.2f and NAB %.2f on %d labelled anomalies", f1, nab, len(ranges))
		}
		if coverage < 0.9 {
			score = math.Inf(-1)
			line += fmt.Sprintf(": disqualified, judged only %.0f%% of the points", 100*coverage)
			if c.needModel && m == nil {
				line += " (needs a baseline model)"
			}
		} else {
			line += fmt.Sprintf(": score %.3f", score)
		}
		scores[i] = score
		if !math.IsInf(score, 0) {
			ch.Scores[c.name] = score
		}
		bestScore = max(bestScore, score)
		ch.Reasons = append(ch.Reasons, line)
	}
	if math.IsInf(bestScore, -1) {
		i := a.firstUsable(in.Model != nil)
		ch.Detector, ch.Candidate = a.cands[i].name, i
		ch.Reasons = append(ch.Reasons, fmt.Sprintf("no candidate judged enough of the history: chose %s, the simplest", ch.Detector))
		return ch
	}
	best := slices.Index(scores, bestScore)
	for i, s := range scores {
		if s >= bestScore-a.p.Tie {
			ch.Detector, ch.Candidate = a.cands[i].name, i
			if i == best {
				ch.Reasons = append(ch.Reasons, fmt.Sprintf("chose %s: the best score", ch.Detector))
			} else {
				ch.Reasons = append(ch.Reasons, fmt.Sprintf("chose %s: within %.2f of the best (%s, %.3f) and simpler", ch.Detector, a.p.Tie, a.cands[best].name, bestScore))
			}
			break
		}
	}
	return ch
}

// firstUsable is the first candidate that needs no model, or that has one.
func (a *Auto) firstUsable(haveModel bool) int {
	for i, c := range a.cands {
		if !c.needModel || haveModel {
			return i
		}
	}
	return 0
}

// noiseSigma estimates the noise level of pts: the robust σ of the first
// differences over √2 (the differences of white noise have twice its
// variance; a smooth season and a trend barely move them). Floored so a
// constant series still gets spikes to find.
func noiseSigma(pts []series.Point) float64 {
	if len(pts) < 3 {
		return 1
	}
	d := make([]float64, len(pts)-1)
	level := 0.0
	for i := 1; i < len(pts); i++ {
		d[i-1] = pts[i].V - pts[i-1].V
		level = max(level, math.Abs(pts[i].V))
	}
	tmp := slices.Clone(d)
	med := ssMedian(tmp)
	s := ssRobustSigma(d, med) / math.Sqrt2
	if !(s > 0) || !ssFinite(s) {
		s = max(1e-3*level, 1)
	}
	return s
}

// injectSpikes returns a copy of pts with n spikes and dips of size mag
// (alternating, evenly spaced, away from the ends) and their instants.
func injectSpikes(pts []series.Point, n int, mag float64) ([]series.Point, map[time.Time]bool) {
	out := slices.Clone(pts)
	at := map[time.Time]bool{}
	n = min(n, len(pts)/10)
	if n == 0 {
		return out, at
	}
	gap := len(pts) / (n + 1)
	for j := 1; j <= n; j++ {
		i := j * gap
		sign := 1.0
		if j%2 == 0 {
			sign = -1
		}
		v := out[i].V + sign*mag
		if !ssFinite(v) {
			continue
		}
		out[i].V = v
		at[out[i].T] = true
	}
	return out, at
}

// labelScores scores results against labelled anomaly ranges: F1 (ranges
// found for recall, flagged points for precision) and a NAB-style reward
// (see the file doc).
func labelScores(rs []Result, ranges []LabelRange, kindAt func(time.Time) LabelKind) (f1, nab float64) {
	found := 0
	reward := 0.0
	for _, l := range ranges {
		for _, r := range rs {
			if r.Anomaly && !r.T.Before(l.Start) && !r.T.After(l.End) {
				found++
				pos := 0.0
				if span := l.End.Sub(l.Start); span > 0 {
					pos = float64(r.T.Sub(l.Start)) / float64(span)
				}
				reward += 1 - pos/2
				break
			}
		}
	}
	inside, outside := 0, 0
	for _, r := range rs {
		if !r.Anomaly {
			continue
		}
		switch kindAt(r.T) {
		case LabelAnomaly:
			inside++
		case LabelNoise:
		default:
			outside++
		}
	}
	recall := float64(found) / float64(len(ranges))
	precision := 0.0
	if inside+outside > 0 {
		precision = float64(inside) / float64(inside+outside)
	}
	if recall+precision > 0 {
		f1 = 2 * recall * precision / (recall + precision)
	}
	nab = (reward - 0.11*float64(outside)) / float64(len(ranges))
	return f1, max(nab, -1)
}
