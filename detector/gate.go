package detector

import (
	"math"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/series"
)

// exempter is implemented by families to which some gates do not apply:
// direction is meaningless for a flatline, min_deviation for a family with
// no expected value.
type exempter interface {
	exempt() (direction, deviation bool)
}

// gated wraps a detector in the common gates (see the package doc).
type gated struct {
	d              Detector
	dir            string
	absDev, relDev float64
	k, n           int
	noDir, noDev   bool
}

// gatedBatch is a gated detector whose inner detector is a Batcher.
type gatedBatch struct{ *gated }

// gate wraps d in the gates cfg configures. cfg has had ApplyDefaults.
func gate(d Detector, cfg Config) Detector {
	g := &gated{
		d:      d,
		dir:    cfg.Direction,
		absDev: cfg.MinDeviation.Absolute,
		relDev: cfg.MinDeviation.Relative,
		k:      max(1, cfg.Persistence.K),
		n:      max(1, cfg.Persistence.N, cfg.Persistence.K),
	}
	if e, ok := d.(exempter); ok {
		g.noDir, g.noDev = e.exempt()
	}
	if _, ok := d.(Batcher); ok {
		return gatedBatch{g}
	}
	return g
}

// Name returns the inner detector's name.
func (g *gated) Name() string { return g.d.Name() }

// Unwrap returns the detector without its gates.
func (g *gated) Unwrap() Detector { return g.d }

// Warmup is the inner detector's warm-up plus what persistence needs; -1
// (all of History) when the inner detector does not say.
func (g *gated) Warmup() int {
	w, ok := g.d.(Warmer)
	if !ok {
		return -1
	}
	n := w.Warmup()
	if n < 0 {
		return -1
	}
	return n + g.n - 1
}

// NewStream returns the inner stream behind the gates.
func (g *gated) NewStream(m baseline.Model) Stream {
	return &gatedStream{s: g.d.NewStream(m), st: g.newState()}
}

// DetectBatch gates the inner detector's batch results.
func (g gatedBatch) DetectBatch(in Input) []Result {
	rs := g.d.(Batcher).DetectBatch(in)
	st := g.newState()
	for i := range rs {
		rs[i] = st.apply(rs[i], true)
	}
	return rs
}

func (g *gated) newState() *gateState {
	st := &gateState{g: g}
	if g.n > 1 {
		st.ring = make([]bool, g.n)
	}
	return st
}

// gateState applies the gates to one stream's results in order.
type gateState struct {
	g     *gated
	ring  []bool // the last n crossings; nil when n = 1
	pos   int
	count int // true entries in ring
}

// apply gates r. commit=false peeks: the persistence memory is not updated.
func (st *gateState) apply(r Result, commit bool) Result {
	g := st.g
	crossed := r.Anomaly
	if !g.noDir && g.dir != DirectionBoth {
		sign := r.Z
		if sign == 0 {
			sign = r.Value - r.Expected
		}
		if (g.dir == DirectionUp && sign < 0) || (g.dir == DirectionDown && sign > 0) {
			r.Score, crossed = 0, false
		}
	}
	if crossed && !g.noDev {
		dev := math.Abs(r.Value - r.Expected)
		crossed = dev >= g.absDev && dev >= g.relDev*math.Abs(r.Expected)
	}
	r.Anomaly = crossed
	if st.ring == nil {
		return r
	}
	count := st.count
	if st.ring[st.pos] {
		count--
	}
	if crossed {
		count++
	}
	r.Anomaly = crossed && count >= g.k
	if commit {
		st.ring[st.pos] = crossed
		st.count = count
		st.pos = (st.pos + 1) % len(st.ring)
	}
	return r
}

// gatedStream is an inner stream behind the gates. It drops points the
// contract says to ignore before the inner stream sees them, so that no
// family has to trust its input.
type gatedStream struct {
	s    Stream
	st   *gateState
	last time.Time
	seen bool
}

// Push implements Stream.
func (s *gatedStream) Push(p series.Point) (Result, bool) {
	if !finite(p.V) || (s.seen && !p.T.After(s.last)) {
		return Result{}, false
	}
	s.last, s.seen = p.T, true
	r, ok := s.s.Push(p)
	if !ok {
		return Result{}, false
	}
	return s.st.apply(r, true), true
}

// Stale implements Staler when the inner stream does; otherwise ok=false.
func (s *gatedStream) Stale(now time.Time) (Result, bool) {
	st, ok := s.s.(Staler)
	if !ok || (s.seen && !now.After(s.last)) {
		return Result{}, false
	}
	r, ok := st.Stale(now)
	if !ok {
		return Result{}, false
	}
	return s.st.apply(r, false), true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// clock enforces strictly increasing time in a stream.
type clock struct {
	last time.Time
	seen bool
}

// accept reports whether t is strictly after the last accepted time, and
// if so makes it the last.
func (c *clock) accept(t time.Time) bool {
	if c.seen && !t.After(c.last) {
		return false
	}
	c.last, c.seen = t, true
	return true
}
