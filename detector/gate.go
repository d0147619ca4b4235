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
	wantDir        int // the configured direction: 0 both, +1 up, −1 down
	dir            int // wantDir, or 0 when d is exempt from it
	absDev, relDev float64
	devGate        bool // min_deviation applies to d
	k, n           int
}

// gatedBatch is a gated detector whose inner detector is a Batcher.
type gatedBatch struct{ *gated }

// gate wraps d in the gates cfg configures. cfg has had ApplyDefaults.
func gate(d Detector, cfg Config) Detector {
	g := &gated{
		absDev: cfg.MinDeviation.Absolute,
		relDev: cfg.MinDeviation.Relative,
		k:      max(1, cfg.Persistence.K),
		n:      max(1, cfg.Persistence.N, cfg.Persistence.K),
	}
	switch cfg.Direction {
	case DirectionUp:
		g.wantDir = 1
	case DirectionDown:
		g.wantDir = -1
	}
	return g.wrap(d)
}

// wrap sets d as g's inner detector, with the gates d is exempt from
// switched off, and returns g in the form d needs (batch or not).
func (g *gated) wrap(d Detector) Detector {
	g.d, g.dir, g.devGate = d, g.wantDir, true
	if e, ok := d.(exempter); ok {
		noDir, noDev := e.exempt()
		if noDir {
			g.dir = 0
		}
		g.devGate = !noDev
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
	s := &gatedStream{s: g.d.NewStream(m)}
	s.in, _ = s.s.(pusher)
	g.initState(&s.st)
	return s
}

// DetectBatch gates the inner detector's batch results.
func (g gatedBatch) DetectBatch(in Input) []Result {
	rs := g.d.(Batcher).DetectBatch(in)
	var st gateState
	g.initState(&st)
	for i := range rs {
		st.apply(&rs[i], true)
	}
	return rs
}

func (g *gated) initState(st *gateState) {
	st.g = g
	if g.n > 1 {
		st.ring = make([]bool, g.n)
	}
}

// gateState applies the gates to one stream's results in order.
type gateState struct {
	g     *gated
	ring  []bool // the last n crossings; nil when n = 1
	pos   int
	count int // true entries in ring
}

// apply gates *r in place. commit=false peeks: the persistence memory is
// not updated.
func (st *gateState) apply(r *Result, commit bool) {
	g := st.g
	crossed := r.Anomaly
	if g.dir != 0 {
		sign := r.Z
		if sign == 0 {
			sign = r.Value - r.Expected
		}
		if (g.dir > 0 && sign < 0) || (g.dir < 0 && sign > 0) {
			r.Score, crossed = 0, false
		}
	}
	if crossed && g.devGate {
		dev := math.Abs(r.Value - r.Expected)
		crossed = dev >= g.absDev && dev >= g.relDev*math.Abs(r.Expected)
	}
	r.Anomaly = crossed
	if st.ring == nil {
		return
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
		if st.pos++; st.pos == len(st.ring) {
			st.pos = 0
		}
	}
}

// pusher is implemented by the package's own streams: push judges p,
// which the caller has checked is finite and strictly after the last
// point, writing the verdict into *r; when it returns false *r means
// nothing (most leave it alone; the seasonal family's, which keep their
// own step clock for gaps, may have written it). A family's own Push is
// the checks (its clock) and then push.
// It is the form gatedStream calls, so that the checks run once per point
// and the ~90-byte Result is written once instead of being copied through
// every layer.
type pusher interface {
	push(p series.Point, r *Result) bool
}

// gatedStream is an inner stream behind the gates. It drops points the
// contract says to ignore before the inner stream sees them, so that no
// family has to trust its input.
type gatedStream struct {
	s  Stream
	in pusher // s's unchecked form, nil when s has none
	st gateState
	ck clock
	// res is where the inner stream writes its verdict: a field, so that
	// passing its address through the pusher interface allocates nothing.
	res Result
}

// Push implements Stream.
func (s *gatedStream) Push(p series.Point) (Result, bool) {
	if !finite(p.V) || !s.ck.accept(p.T) {
		return Result{}, false
	}
	var ok bool
	if s.in != nil {
		ok = s.in.push(p, &s.res)
	} else {
		s.res, ok = s.s.Push(p)
	}
	if !ok {
		return Result{}, false
	}
	s.st.apply(&s.res, true)
	return s.res, true
}

// Stale implements Staler when the inner stream does; otherwise ok=false.
func (s *gatedStream) Stale(now time.Time) (r Result, ok bool) {
	st, isStaler := s.s.(Staler)
	if !isStaler || !s.ck.after(now) {
		return Result{}, false
	}
	if r, ok = st.Stale(now); !ok {
		return Result{}, false
	}
	s.st.apply(&r, false)
	return r, true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// clock enforces strictly increasing time in a stream. It keeps the last
// time as Unix seconds and nanoseconds: two integer comparisons instead
// of time.Time.After (a call) and no pointer (time.Location) stored per
// point. Times are compared by their wall-clock instant, which is what
// After does unless both carry a monotonic reading, and data points carry
// none.
type clock struct {
	sec  int64
	nsec int32
	seen bool
}

// after reports whether t is strictly after the last accepted time (true
// when there is none).
func (c *clock) after(t time.Time) bool {
	sec := t.Unix()
	return !c.seen || sec > c.sec || (sec == c.sec && int32(t.Nanosecond()) > c.nsec)
}

// accept reports whether t is strictly after the last accepted time, and
// if so makes it the last.
func (c *clock) accept(t time.Time) bool {
	sec, nsec := t.Unix(), int32(t.Nanosecond())
	if c.seen && (sec < c.sec || (sec == c.sec && nsec <= c.nsec)) {
		return false
	}
	c.sec, c.nsec, c.seen = sec, nsec, true
	return true
}
