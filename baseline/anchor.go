package baseline

import (
	"fmt"
	"math"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// Reanchorer re-levels any Model after a sustained level shift, so that a
// series that moved to a new normal — a new fee schedule, a migrated
// client — alerts for a bounded number of points instead of for days until
// the history catches up.
//
// It watches the last N judged points (LevelShiftConfig.Window). When at
// least Fraction·N of them lie beyond K scales on the same side of the
// expectation, it adds the median of their N residuals to a level offset
// and starts watching afresh. So a shift of more than K scales is absorbed
// after at most ceil(Fraction·N) points on the new level (N when the first
// points after the shift are mixed). Expectations are the base model's
// plus the offset; scales are unchanged.
//
// Fit applies it to the last 4N points of the history for the models with
// a static level (phase, stl), so a shift inside the history re-anchors
// the fitted model (returned as *Anchored). Holt–Winters and EWMA follow
// the level by construction and are not anchored at fit time.
//
// A caller judging a stream (the engine, a detector stream) can follow
// shifts between fits too: wrap the model with NewReanchorer, judge each
// point against r.Expect, then r.Push(point).
//
// A Reanchorer is not safe for concurrent use; Push and Expect do not
// allocate.
type Reanchorer struct {
	base     Model
	cfg      LevelShiftConfig
	need     int
	offset   float64
	since    time.Time
	shifts   int
	resid    []float64 // ring of residuals from the anchored expectation
	side     []int8
	scratch  []float64
	pos      int
	filled   int
	up, down int
}

// NewReanchorer wraps m; zero fields of cfg take the defaults.
func NewReanchorer(m Model, cfg LevelShiftConfig) *Reanchorer {
	if cfg.Window < 3 {
		cfg.Window = DefaultShiftWindow
	}
	if !(cfg.Fraction > 0.5 && cfg.Fraction <= 1) {
		cfg.Fraction = DefaultShiftFraction
	}
	if !(cfg.K > 0) {
		cfg.K = DefaultShiftK
	}
	return &Reanchorer{
		base: m, cfg: cfg,
		need:    int(math.Ceil(cfg.Fraction * float64(cfg.Window))),
		resid:   make([]float64, cfg.Window),
		side:    make([]int8, cfg.Window),
		scratch: make([]float64, cfg.Window),
	}
}

// Name returns the base model's name.
func (r *Reanchorer) Name() string { return r.base.Name() }

// Describe is the base model's description with the offset, if any.
func (r *Reanchorer) Describe() string { return r.Model().Describe() }

// Expect is the base expectation shifted by the current offset.
func (r *Reanchorer) Expect(t time.Time) Expectation {
	e := r.base.Expect(t)
	if e.OK {
		e.Value += r.offset
	}
	return e
}

// Offset is the level added to the base model so far.
func (r *Reanchorer) Offset() float64 { return r.offset }

// Push records a judged point; it returns true when p completed a shift
// and the offset moved. Non-finite points and instants the model cannot
// judge are ignored.
func (r *Reanchorer) Push(p series.Point) bool {
	if !finite(p.V) {
		return false
	}
	e := r.Expect(p.T)
	if !e.OK || !(e.Scale > 0) {
		return false
	}
	d := p.V - e.Value
	if !finite(d) {
		return false
	}
	var s int8
	switch z := d / e.Scale; {
	case z > r.cfg.K:
		s = 1
	case z < -r.cfg.K:
		s = -1
	}
	if r.filled == len(r.resid) {
		switch r.side[r.pos] {
		case 1:
			r.up--
		case -1:
			r.down--
		}
	} else {
		r.filled++
	}
	r.resid[r.pos], r.side[r.pos] = d, s
	switch s {
	case 1:
		r.up++
	case -1:
		r.down++
	}
	r.pos = (r.pos + 1) % len(r.resid)
	if max(r.up, r.down) < r.need {
		return false
	}
	copy(r.scratch, r.resid[:r.filled])
	r.offset += median(r.scratch[:r.filled])
	r.since = p.T
	r.shifts++
	r.pos, r.filled, r.up, r.down = 0, 0, 0, 0
	return true
}

// Model returns the base model re-anchored by the current offset: the
// base itself while no shift was seen, else an *Anchored.
func (r *Reanchorer) Model() Model {
	if r.shifts == 0 || r.offset == 0 {
		return r.base
	}
	return &Anchored{Base: r.base, Offset: r.offset, Since: r.since}
}

// Anchored is a model whose level was re-anchored after a level shift:
// Expect is Base's plus Offset. It serialises with its base.
type Anchored struct {
	Base   Model
	Offset float64
	Since  time.Time // when the shift was confirmed
}

// Name returns the base model's name.
func (a *Anchored) Name() string { return a.Base.Name() }

// Expect is the base expectation shifted by Offset.
func (a *Anchored) Expect(t time.Time) Expectation {
	e := a.Base.Expect(t)
	if e.OK {
		e.Value += a.Offset
		if !finite(e.Value) {
			return Expectation{}
		}
	}
	return e
}

// Describe adds the re-anchoring to the base description.
func (a *Anchored) Describe() string {
	return fmt.Sprintf("%s; re-anchored by %+.6g after a level shift confirmed at %s", a.Base.Describe(), a.Offset, a.Since.UTC().Format(time.RFC3339))
}

// anchorTail runs a Reanchorer over the last 4N finite points of pts
// (sorted or not) outside exclude and returns the anchored model.
func anchorTail(m Model, pts []series.Point, cfg LevelShiftConfig, exclude []TimeRange) Model {
	if cfg.Disable {
		return m
	}
	// Measure against the model's view of the future where it differs.
	var probe Model = m
	if a, ok := m.(aheadModel); ok {
		probe = aheadView{a}
	}
	r := NewReanchorer(probe, cfg)
	want := 4 * r.cfg.Window
	tail := make([]series.Point, 0, want)
	sorted := true
	for i := len(pts) - 1; i >= 0 && len(tail) < want; i-- {
		p := pts[i]
		if !finite(p.V) || excluded(p.T, exclude) {
			continue
		}
		if n := len(tail); n > 0 && !p.T.Before(tail[n-1].T) {
			sorted = false
			break
		}
		tail = append(tail, p)
	}
	if !sorted {
		clean, _ := series.Clean(pts, 0)
		tail = tail[:0]
		for i := len(clean) - 1; i >= 0 && len(tail) < want; i-- {
			if !excluded(clean[i].T, exclude) {
				tail = append(tail, clean[i])
			}
		}
	}
	for i := len(tail) - 1; i >= 0; i-- {
		r.Push(tail[i])
	}
	if r.shifts == 0 || r.offset == 0 {
		return m
	}
	return &Anchored{Base: m, Offset: r.offset, Since: r.since}
}

// aheadModel is a model whose expectation inside its history differs from
// its view of the future (STLModel: interpolated trend vs final level).
type aheadModel interface {
	Model
	expectAhead(t time.Time) Expectation
}

type aheadView struct{ aheadModel }

func (v aheadView) Expect(t time.Time) Expectation { return v.expectAhead(t) }
