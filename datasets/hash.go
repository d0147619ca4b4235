package datasets

import (
	"hash/fnv"
	"math"
)

// The demo's randomness is counter-based: every random number is a hash of
// (seed, series, instant, stream), never the next output of a stateful
// generator. That is what makes any range, queried in any order and at any
// time, return the same values — the live feed is just "query up to now".

// Streams keep the independent random draws for the same key apart.
const (
	streamDay       uint64 = iota + 1 // per-day level factor
	streamOverdisp                    // per-minute overdispersion of counts
	streamCount                       // per-minute Poisson draw
	streamCountNorm                   // second uniform for the normal approximation
	streamLatency                     // per-minute latency noise
	streamLatency2                    // second uniform for the latency noise
	streamPick                        // which series get an anomaly on a day
	streamKind                        // anomaly kind
	streamDuration                    // anomaly duration
	streamPlace                       // anomaly placement within its window
	streamPlace2                      // second placement draw (session choice)
	streamMagnitude                   // anomaly magnitude
)

// splitmix64 is the finaliser of the SplitMix64 generator: a bijective,
// well-mixed 64-bit hash.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// mix hashes a sequence of words into one.
func mix(words ...uint64) uint64 {
	h := uint64(0x6a09e667f3bcc909)
	for _, w := range words {
		h = splitmix64(h ^ w)
	}
	return h
}

// uniform maps a hash to (0, 1), never exactly 0 or 1, so that logarithms
// of it are finite.
func uniform(h uint64) float64 {
	// 52 bits plus a half keep the sum exact in a float64's 53-bit mantissa.
	return (float64(h>>12) + 0.5) / (1 << 52)
}

// normal turns two independent uniforms into a standard normal deviate
// (Box–Muller).
func normal(u1, u2 float64) float64 {
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// poisson draws a Poisson(lambda) count from uniforms: by inversion of the
// CDF for small lambda (exact) and by a rounded normal approximation for
// large lambda, where inversion would need too many steps.
func poisson(lambda, u1, u2 float64) float64 {
	if !(lambda > 0) {
		return 0
	}
	if lambda >= 30 {
		v := math.Round(lambda + math.Sqrt(lambda)*normal(u1, u2))
		return math.Max(v, 0)
	}
	p := math.Exp(-lambda)
	cdf := p
	k := 0.0
	for u1 > cdf && k < 200 {
		k++
		p *= lambda / k
		cdf += p
	}
	return k
}

// hashString is a stable 64-bit hash of a string (FNV-1a).
func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s)) // never fails
	return h.Sum64()
}
