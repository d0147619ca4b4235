package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/seismo-dev/seismo/detector"
)

// scoredSeries is one series judged with one setting: every judged point,
// column by column, in time order.
type scoredSeries struct {
	detector string // the detector's name (auto's choice for auto)
	t        []time.Time
	v, e     []float64
	lo, hi   []float64
	score    []float64
	anomaly  []bool
	// scale is the band's half-width per unit of threshold, for the
	// re-thresholdable families (else nil).
	scale []float64
}

func (s *scoredSeries) add(r detector.Result) {
	s.t = append(s.t, r.T)
	s.v = append(s.v, r.Value)
	s.e = append(s.e, r.Expected)
	s.lo = append(s.lo, r.Lower)
	s.hi = append(s.hi, r.Upper)
	s.score = append(s.score, r.Score)
	s.anomaly = append(s.anomaly, r.Anomaly)
}

func (s *scoredSeries) grow(n int) {
	s.t = make([]time.Time, 0, n)
	s.v = make([]float64, 0, n)
	s.e = make([]float64, 0, n)
	s.lo = make([]float64, 0, n)
	s.hi = make([]float64, 0, n)
	s.score = make([]float64, 0, n)
	s.anomaly = make([]bool, 0, n)
}

// chart returns the series' chart columns.
func (s *scoredSeries) chart() *ChartPoints {
	c := &ChartPoints{
		T: make([]int64, len(s.t)), Value: s.v, Expected: s.e, Lower: s.lo, Upper: s.hi,
		Score: s.score, Anomaly: s.anomaly, Scale: s.scale,
	}
	for i, t := range s.t {
		c.T[i] = t.UnixMilli()
	}
	return c
}

// rethresholdable lists the families whose verdict at any sensitivity
// follows from one run: their statistic is a |z| that does not depend on
// the sensitivity, their state does not depend on their verdicts, and
// they cross at |z| ≥ K(s) = detector.Threshold(s) with Score =
// |z|/(|z| + K). TestRethresholdMatchesRun checks each against running
// the detector at every sensitivity of a sweep. The others (seasonal
// families update their noise scale with the threshold, cusum resets at
// an alarm, ...) are run once per sensitivity, on the same baselines.
var rethresholdable = map[string]bool{
	detector.TypeRobust:       true,
	detector.TypeZScore:       true,
	detector.TypeRobustZ:      true,
	detector.TypeRateOfChange: true,
}

// rawPoint is a point judged by an ungated re-thresholdable detector.
type rawPoint struct {
	t     time.Time
	v, e  float64
	z     float64
	scale float64 // (upper − expected)/K: the band's scale
}

// rawChunk is a chunk's raw scores: warm are the results of the History
// points the gated stream would have been warmed on (they only fill the
// persistence memory), pts those of the chunk's points.
type rawChunk struct {
	warm, pts []rawPoint
}

// rawSeries is a series' raw scores, chunk by chunk.
type rawSeries struct {
	detector string
	chunks   []rawChunk
}

// score judges every series of the backtest with cfg (after
// ApplyDefaults).
func (b *backtest) score(ctx context.Context, cfg detector.Config) ([]scoredSeries, error) {
	if rethresholdable[cfg.Type] {
		raw, err := b.rawScores(ctx, cfg)
		if err != nil {
			return nil, err
		}
		out := make([]scoredSeries, len(raw))
		for i := range raw {
			out[i] = rethreshold(raw[i], cfg)
		}
		return out, nil
	}
	det, err := detector.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	out := make([]scoredSeries, len(b.series))
	for i, bs := range b.series {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := det
		name := cfg.Type
		if sel, ok := detector.SelectionOf(det); ok {
			if d, err = b.autoChoice(bs, sel); err != nil {
				return nil, err
			}
			name = bs.choice.Detector
		}
		out[i] = runChunks(d, bs.chunks)
		out[i].detector = name
	}
	return out, nil
}

// runChunks judges each chunk with d as a run would (detector.Run).
func runChunks(d detector.Detector, chunks []btChunk) scoredSeries {
	var sc scoredSeries
	n := 0
	for _, c := range chunks {
		n += len(c.pts)
	}
	sc.grow(n)
	for _, c := range chunks {
		if c.model == nil || len(c.pts) == 0 {
			continue
		}
		for _, r := range detector.Run(d, detector.Input{History: c.hist, Points: c.pts, Model: c.model}) {
			sc.add(r)
		}
	}
	return sc
}

// autoChoice returns auto's choice for a series: made once, on the history
// before the backtest's range, with the series' labels (a live monitor
// chooses again each day; a backtest keeps one choice for speed).
func (b *backtest) autoChoice(bs *btSeries, sel detector.Selection) (detector.Detector, error) {
	if bs.choice == nil {
		var in detector.Input
		for _, c := range bs.chunks {
			if c.model != nil {
				in = detector.Input{History: c.hist, Model: c.model}
				break
			}
		}
		var ranges []detector.LabelRange
		for _, l := range bs.marks {
			ranges = append(ranges, detector.LabelRange{Start: l.From, End: l.To, Kind: detector.LabelKind(l.Kind)})
		}
		ch := sel.Choose(in, ranges)
		bs.choice = &ch
	}
	d, err := sel.Detector(*bs.choice)
	if err != nil {
		return nil, fmt.Errorf("auto chose %q: %w", bs.choice.Detector, err)
	}
	return d, nil
}

// ungated is cfg's family with the gates that depend on the draft turned
// off: direction both, no minimum deviation, persistence 1 of 1, at
// sensitivity ref.
func ungated(cfg detector.Config) detector.Config {
	u := cfg
	u.Direction = detector.DirectionBoth
	u.MinDeviation = detector.MinDeviation{}
	u.Persistence = detector.Persistence{K: 1, N: 1}
	return u
}

// rawScores returns the raw scores of every series for cfg's family,
// computing them on first use. The family's parameters (its window) and
// the persistence's n (how much of History warms the stream up, which
// can move a rolling sum's rounding) are part of the key; the
// sensitivity and the other gates are not.
func (b *backtest) rawScores(ctx context.Context, cfg detector.Config) ([]rawSeries, error) {
	u := ungated(cfg)
	u.Sensitivity = detector.DefaultSensitivity
	n := max(1, cfg.Persistence.N, cfg.Persistence.K)
	key := fmt.Sprintf("%s/%v/%v/%v/%d", u.Type, u.ZScore, u.RobustZ, u.RateOfChange, n)
	if raw, ok := b.raw[key]; ok {
		return raw, nil
	}
	det, err := detector.New(u)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	k := detector.Threshold(u.Sensitivity)
	innerWarm := -1
	if w, ok := det.(detector.Warmer); ok {
		innerWarm = w.Warmup()
	}
	warm := -1 // what the gated detector's Run pushes of History
	if innerWarm >= 0 {
		warm = innerWarm + n - 1
	}
	out := make([]rawSeries, len(b.series))
	for i, bs := range b.series {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = rawSeries{detector: u.Type, chunks: make([]rawChunk, 0, len(bs.chunks))}
		for _, c := range bs.chunks {
			if c.model != nil && len(c.pts) > 0 {
				out[i].chunks = append(out[i].chunks, rawChunkOf(det, c, warm, n-1, k))
			}
		}
	}
	b.raw[key] = out
	return out, nil
}

// rawChunkOf judges a chunk with the ungated det as detector.Run would
// judge it with the gated detector: a new stream warmed on the last warm
// points of History (all when warm < 0), then the chunk's points. Of the
// warm-up's results it keeps the last keep, all that the persistence
// memory still holds at the chunk's first point. k is det's threshold.
func rawChunkOf(det detector.Detector, c btChunk, warm, keep int, k float64) rawChunk {
	s := det.NewStream(c.model)
	hist := c.hist
	if warm >= 0 && warm < len(hist) {
		hist = hist[len(hist)-warm:]
	}
	var rc rawChunk
	for _, p := range hist {
		if r, ok := s.Push(p); ok && keep > 0 {
			if len(rc.warm) == keep {
				rc.warm = append(rc.warm[:0], rc.warm[1:]...)
			}
			rc.warm = append(rc.warm, rawOf(r, k))
		}
	}
	rc.pts = make([]rawPoint, 0, len(c.pts))
	for _, p := range c.pts {
		if r, ok := s.Push(p); ok {
			rc.pts = append(rc.pts, rawOf(r, k))
		}
	}
	return rc
}

// rawOf keeps what re-thresholding needs of a result judged at threshold k.
func rawOf(r detector.Result, k float64) rawPoint {
	return rawPoint{t: r.T, v: r.Value, e: r.Expected, z: r.Z, scale: (r.Upper - r.Expected) / k}
}

// rethreshold turns raw scores into the verdicts of cfg: the threshold of
// its sensitivity, then the gates as detector.New applies them (see
// detector's package doc): direction zeroes the score of a deviation the
// wrong way, min_deviation is a filter, persistence k-of-n counts the
// crossings of the last n points, the warm-up's included.
func rethreshold(raw rawSeries, cfg detector.Config) scoredSeries {
	k := detector.Threshold(cfg.Sensitivity)
	g := newGateSim(cfg)
	var sc scoredSeries
	n := 0
	for _, c := range raw.chunks {
		n += len(c.pts)
	}
	sc.grow(n)
	sc.scale = make([]float64, 0, n)
	sc.detector = raw.detector
	for _, c := range raw.chunks {
		g.reset()
		for _, p := range c.warm {
			_, crossed := g.cross(p, k)
			g.remember(crossed)
		}
		for _, p := range c.pts {
			score, crossed := g.cross(p, k)
			anomaly := g.remember(crossed)
			sc.t = append(sc.t, p.t)
			sc.v = append(sc.v, p.v)
			sc.e = append(sc.e, p.e)
			sc.lo = append(sc.lo, clampF(p.e-k*p.scale))
			sc.hi = append(sc.hi, clampF(p.e+k*p.scale))
			sc.score = append(sc.score, score)
			sc.anomaly = append(sc.anomaly, anomaly)
			sc.scale = append(sc.scale, p.scale)
		}
	}
	return sc
}

// gateSim applies a detector config's gates to raw points.
type gateSim struct {
	dir            int
	absDev, relDev float64
	k              int
	ring           []bool
	pos, count     int
}

func newGateSim(cfg detector.Config) *gateSim {
	g := &gateSim{
		absDev: cfg.MinDeviation.Absolute,
		relDev: cfg.MinDeviation.Relative,
		k:      max(1, cfg.Persistence.K),
		ring:   make([]bool, max(1, cfg.Persistence.N, cfg.Persistence.K)),
	}
	switch cfg.Direction {
	case detector.DirectionUp:
		g.dir = 1
	case detector.DirectionDown:
		g.dir = -1
	}
	return g
}

func (g *gateSim) reset() {
	clear(g.ring)
	g.pos, g.count = 0, 0
}

// cross returns the score of p at threshold k and whether it crossed
// after the direction and minimum-deviation gates.
func (g *gateSim) cross(p rawPoint, k float64) (score float64, crossed bool) {
	dz := math.Abs(p.z)
	switch {
	case math.IsInf(dz, 1):
		score = 1
	case dz > 0:
		score = dz / (dz + k)
	}
	crossed = dz >= k
	if g.dir != 0 {
		sign := p.z
		if sign == 0 {
			sign = p.v - p.e
		}
		if (g.dir > 0 && sign < 0) || (g.dir < 0 && sign > 0) {
			score, crossed = 0, false
		}
	}
	if crossed {
		dev := math.Abs(p.v - p.e)
		crossed = dev >= g.absDev && dev >= g.relDev*math.Abs(p.e)
	}
	return score, crossed
}

// remember records a crossing in the persistence memory and returns
// whether the point is an anomaly (k of the last n crossed, itself
// included).
func (g *gateSim) remember(crossed bool) bool {
	if g.ring[g.pos] {
		g.count--
	}
	g.ring[g.pos] = crossed
	if crossed {
		g.count++
	}
	if g.pos++; g.pos == len(g.ring) {
		g.pos = 0
	}
	return crossed && g.count >= g.k
}

// clampF keeps a band edge finite so that results stay JSON-encodable.
func clampF(v float64) float64 {
	return max(-math.MaxFloat64, min(math.MaxFloat64, v))
}
