package detector

import (
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/dsp/fourier"
)

// The incremental form of the spectral residual (see spectral.go).
//
// For the window x_0..x_{w−1} (oldest first) placed at the start of an
// n-point transform (n = Window + Extend), the DFT of the window alone,
//
//	D_k = Σ_{i<w} (x_i − c)·ω^{ik},   ω = e^{−2πi/n},
//
// moves to the next window (x_0 leaves, y arrives) by the sliding-DFT
// recurrence
//
//	D'_k = ω^{−k}·(D_k − (x_0 − c)) + (y − c)·ω^{(w−1)k}
//
// in O(1) per frequency. The values enter shifted by c, the newest value
// at the last exact refresh, so that rounding scales with the deviations
// from the level and not with the level. Only k ≤ n/2 are kept: the input
// is real, so D_{n−k} is the conjugate of D_k. The spectrum the detector
// transforms is then, in units of the window's largest magnitude m,
//
//	C_k = (D_k + c·U_k)/m + e·E_k
//
// with U_k = Σ_{i<w} ω^{ik}, E_k = Σ_{w≤i<n} ω^{ik} and e the extension
// value (Ren et al. eq. 7–8, computed as the full form does). Rounding
// error of the recurrence grows slowly, so the sums are recomputed exactly
// (one real FFT) every srRefresh points, and at once when a value leaves
// that was so large, relative to what stays, that its rounding residue
// could matter.
type slidingSR struct {
	t     *srTables
	d     []complex128 // D_k, k ≤ n/2
	c     float64      // the shift
	age   int          // slides since the last refresh
	valid bool
	buf   []float64 // refresh input
	amp   []float64 // |C_k|
	root  []float64 // max(|C_k|, eps)^(−1/3), for mag_window 3
}

// srTables are the constants of one (window, extend) shape, shared by the
// detector's streams.
type srTables struct {
	w, n, half int
	rot        []complex128 // ω^{−k}
	in         []complex128 // ω^{(w−1)k}
	u, e       []complex128 // U_k, E_k
	rfft       *fourier.FFT
	inv        *radix2 // the inverse transform when n is a power of two
}

// srRefresh is how many slides the sums go without an exact refresh.
const srRefresh = 64

func newSRTables(w, n int) *srTables {
	half := n/2 + 1
	t := &srTables{w: w, n: n, half: half,
		rot: make([]complex128, half), in: make([]complex128, half),
		u: make([]complex128, half), e: make([]complex128, half),
		rfft: fourier.NewFFT(n),
		inv:  newRadix2(n),
	}
	// ω^j for an integer exponent j, reduced mod n first so the angle is
	// exact to rounding.
	pow := func(j int) complex128 {
		j %= n
		if j < 0 {
			j += n
		}
		s, c := math.Sincos(-2 * math.Pi * float64(j) / float64(n))
		return complex(c, s)
	}
	for k := range half {
		t.rot[k] = pow(-k)
		t.in[k] = pow((w - 1) * k)
		var e complex128
		for i := w; i < n; i++ {
			e += pow(i * k)
		}
		t.e[k] = e
		if k == 0 {
			t.u[k] = complex(float64(w), 0)
		} else {
			t.u[k] = -e // Σ over all n powers is 0
		}
	}
	return t
}

func newSlidingSR(t *srTables) *slidingSR {
	return &slidingSR{t: t, d: make([]complex128, t.half), buf: make([]float64, t.n), amp: make([]float64, t.n), root: make([]float64, t.n)}
}

// refresh sets the sums exactly from the window.
func (l *slidingSR) refresh(s *spectralStream) {
	w := l.t.w
	l.c = s.at(w - 1)
	for i := range w {
		l.buf[i] = s.at(i) - l.c
	}
	clear(l.buf[w:])
	l.t.rfft.Coefficients(l.d, l.buf)
	l.age, l.valid = 0, true
}

// score returns the relative saliency of the newest point, as srScore
// does. slid reports whether the window was full before this point (so
// that old, the value that left, is meaningful); mx is the window's
// largest magnitude.
func (l *slidingSR) score(s *spectralStream, slid bool, old, mx float64) float64 {
	t, p := l.t, s.d.p
	w, n, half := t.w, t.n, t.half
	y := s.at(w - 1)
	switch {
	case !l.valid || !slid || l.age >= srRefresh || math.Abs(old-l.c) > 1e3*(mx+math.Abs(l.c)):
		l.refresh(s)
	default:
		a, b := old-l.c, y-l.c
		for k, dk := range l.d {
			l.d[k] = t.rot[k]*(dk-complex(a, 0)) + complex(b, 0)*t.in[k]
		}
		l.age++
	}
	// The extension value, from the values divided by mx exactly as
	// srScore computes it.
	bi := w - 2
	m := min(p.Lookahead, bi)
	xb := s.at(bi) / mx
	g := 0.0
	for i := 1; i <= m; i++ {
		g += (xb - s.at(bi-i)/mx) / float64(i)
	}
	g /= float64(m)
	next := s.at(bi-m+1)/mx + g*float64(m)

	const eps = 1e-8
	c := s.c
	inv := 1 / mx
	cs := complex(l.c, 0)
	for k := range half {
		ck := (l.d[k]+cs*t.u[k])*complex(inv, 0) + complex(next, 0)*t.e[k]
		c[k] = ck
		l.amp[k] = math.Sqrt(real(ck)*real(ck) + imag(ck)*imag(ck))
	}
	for k := half; k < n; k++ {
		c[k] = cmplx.Conj(c[n-k])
		l.amp[k] = l.amp[n-k]
	}
	// c_k·exp(−A_k), A_k the trailing mean of log max(a, eps) over q
	// bins (fewer at the start), or 0 where the amplitude is below eps.
	q := p.MagWindow
	if q == 3 {
		// exp(−A_k) = (a_{k−2}·a_{k−1}·a_k)^(−1/3): one cube root per
		// distinct amplitude (they are symmetric) instead of one per bin.
		for k := range half {
			l.root[k] = 1 / math.Cbrt(max(l.amp[k], eps))
		}
		for k := half; k < n; k++ {
			l.root[k] = l.root[n-k]
		}
	}
	var a1 float64 // max(a, eps) of bin k−1
	sumLog := 0.0
	for k := range n {
		a := l.amp[k]
		ae := max(a, eps)
		var wt float64
		switch cnt := min(k+1, q); {
		case q > 3:
			sumLog += math.Log(ae)
			if k >= q {
				sumLog -= math.Log(max(l.amp[k-q], eps))
			}
			wt = math.Exp(-sumLog / float64(cnt))
		case cnt == 1:
			wt = 1 / ae
		case cnt == 2:
			wt = 1 / math.Sqrt(ae*a1)
		default:
			wt = l.root[k-2] * l.root[k-1] * l.root[k]
		}
		a1 = ae
		if a < eps {
			c[k] = 0
			continue
		}
		c[k] *= complex(wt, 0)
	}
	floor := srFloor(c)
	if t.inv != nil {
		t.inv.inverse(c)
	} else {
		s.fft.Sequence(c, c)
	}
	return srRelSaliency(c, w, p.ScoreWindow, floor)
}

// maxDeque is the largest of the last size values pushed, in O(1)
// amortised per push: a ring of (push number, value) whose values
// decrease from the front.
type maxDeque struct {
	seq  []int
	val  []float64
	head int // index of the front
	cnt  int
	next int // number of the next push
}

func newMaxDeque(size int) maxDeque {
	return maxDeque{seq: make([]int, size), val: make([]float64, size)}
}

// push adds v; the value pushed size pushes ago leaves.
func (q *maxDeque) push(v float64) {
	size := len(q.val)
	for q.cnt > 0 {
		back := q.head + q.cnt - 1
		if back >= size {
			back -= size
		}
		if q.val[back] > v {
			break
		}
		q.cnt--
	}
	if q.cnt > 0 && q.seq[q.head] <= q.next-size {
		if q.head++; q.head == size {
			q.head = 0
		}
		q.cnt--
	}
	back := q.head + q.cnt
	if back >= size {
		back -= size
	}
	q.seq[back], q.val[back] = q.next, v
	q.cnt++
	q.next++
}

// max is the largest value in the window (the deque must not be empty).
func (q *maxDeque) max() float64 { return q.val[q.head] }

// radix2 is an in-place iterative radix-2 inverse FFT (unnormalised, as
// fourier.CmplxFFT.Sequence) for a power-of-two length: the spectral
// stream's one transform per point, about twice as fast as the general
// mixed-radix one for n = 128.
type radix2 struct {
	rev []int32      // bit-reversed index
	tw  []complex128 // e^{+2πik/n}, k < n/2
}

// newRadix2 returns the transform for length n, or nil when n is not a
// power of two (at least 2).
func newRadix2(n int) *radix2 {
	if n < 2 || n&(n-1) != 0 {
		return nil
	}
	f := &radix2{rev: make([]int32, n), tw: make([]complex128, n/2)}
	bits := 0
	for 1<<bits < n {
		bits++
	}
	for i := range n {
		r := 0
		for b := range bits {
			r |= (i >> b & 1) << (bits - 1 - b)
		}
		f.rev[i] = int32(r)
	}
	for k := range f.tw {
		s, c := math.Sincos(2 * math.Pi * float64(k) / float64(n))
		f.tw[k] = complex(c, s)
	}
	return f
}

// inverse transforms x (of the length f was made for) in place.
func (f *radix2) inverse(x []complex128) {
	n := len(x)
	for i, j := range f.rev {
		if i < int(j) {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size>>1, n/size
		for start := 0; start < n; start += size {
			lo, hi := x[start:start+half], x[start+half:start+size]
			for k := range lo {
				a, b := lo[k], hi[k]*f.tw[k*step]
				lo[k], hi[k] = a+b, a-b
			}
		}
	}
}
