package baseline

import "math"

// realFFT transforms real sequences of a power-of-two length m ≥ 8 by a
// complex FFT of length m/2 (the even samples as real parts, the odd ones
// as imaginary parts) and a split step. Period detection needs three
// transforms of 2,048 points per fit; this is several times faster than
// the general-purpose gonum/fourier (no per-call plan, radix 2 with a
// shared twiddle table) and allocates nothing once its buffers exist.
type realFFT struct {
	m  int
	tw []complex128 // e^{−2πik/m} for k < m/2
	z  []complex128 // work, m/2
}

// newRealFFT prepares transforms of length m (a power of two ≥ 8) with
// buffers from buf (grown as needed; 3m/2 values).
func newRealFFT(m int, buf *[]complex128) realFFT {
	h := m / 2
	if cap(*buf) < 2*h {
		*buf = make([]complex128, 2*h)
	}
	b := (*buf)[:2*h]
	f := realFFT{m: m, tw: b[:h], z: b[h:]}
	// Only the first eighth of the circle needs sin and cos; the rest
	// follows by symmetry, exactly.
	q := m / 4
	for k := 0; k <= m/8; k++ {
		s, c := math.Sincos(2 * math.Pi * float64(k) / float64(m))
		f.tw[k] = complex(c, -s)
		f.tw[q-k] = complex(s, -c)
	}
	for j := range q {
		f.tw[q+j] = complex(imag(f.tw[j]), -real(f.tw[j]))
	}
	return f
}

// forward sets X[k] = Σ x[j]·e^{−2πijk/m} for k = 0 … m/2 (the rest is
// the conjugate mirror). x has length m; X has length m/2+1.
func (f *realFFT) forward(X []complex128, x []float64) {
	h := f.m / 2
	z := f.z
	for j := range z {
		z[j] = complex(x[2*j], x[2*j+1])
	}
	fftRadix2(z, f.tw, false)
	X[0] = complex(real(z[0])+imag(z[0]), 0)
	X[h] = complex(real(z[0])-imag(z[0]), 0)
	for k := 1; k < h; k++ {
		a, b := z[k], cmplxConj(z[h-k])
		e := (a + b) * 0.5
		o := (a - b) * complex(0, -0.5)
		X[k] = e + f.tw[k]*o
	}
}

// inverse sets x[j] = Σ_{k<m} X[k]·e^{2πijk/m} (not divided by m) for
// the real sequence whose spectrum is X (k = 0 … m/2, the rest being its
// conjugate mirror). x has length m.
func (f *realFFT) inverse(x []float64, X []complex128) {
	h := f.m / 2
	z := f.z
	for k := range h {
		a, b := X[k], cmplxConj(X[h-k])
		z[k] = (a + b) + complex(0, 1)*((a-b)*cmplxConj(f.tw[k]))
	}
	fftRadix2(z, f.tw, true)
	for j, v := range z {
		x[2*j], x[2*j+1] = real(v), imag(v)
	}
}

func cmplxConj(c complex128) complex128 { return complex(real(c), -imag(c)) }

// fftRadix2 transforms z in place (inverse: with e^{+2πi…}, not
// normalised). len(z) is a power of two and tw holds e^{−2πik/(2·len(z))}
// for k < len(z).
func fftRadix2(z, tw []complex128, inverse bool) {
	n := len(z)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			z[i], z[j] = z[j], z[i]
		}
	}
	// The first two stages' twiddles are 1 and ∓i: their butterflies
	// need no multiplication (the same values: the table's −i is exact),
	// and loops of one or two butterflies per block would cost more than
	// the arithmetic.
	if n >= 4 {
		for s := 0; s+3 < n; s += 4 {
			q := z[s : s+4 : s+4]
			a0, a1 := q[0]+q[1], q[0]-q[1]
			a2, a3 := q[2]+q[3], q[2]-q[3]
			// a3·(−i) forward, a3·(+i) inverse.
			b3 := complex(imag(a3), -real(a3))
			if inverse {
				b3 = -b3
			}
			q[0], q[2] = a0+a2, a0-a2
			q[1], q[3] = a1+b3, a1-b3
		}
	} else if n == 2 {
		z[0], z[1] = z[0]+z[1], z[0]-z[1]
	}
	for size := 8; size <= n; size <<= 1 {
		half := size >> 1
		step := 2 * n / size // e^{−2πij/size} = tw[j·step]
		for start := 0; start < n; start += size {
			lo, hi := z[start:start+half], z[start+half:start+size]
			hi = hi[:len(lo)]
			if inverse {
				for j := range lo {
					b := hi[j] * cmplxConj(tw[j*step])
					a := lo[j]
					lo[j], hi[j] = a+b, a-b
				}
				continue
			}
			for j := range lo {
				b := hi[j] * tw[j*step]
				a := lo[j]
				lo[j], hi[j] = a+b, a-b
			}
		}
	}
}
