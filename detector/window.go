package detector

import "math"

// sortedWindow holds the last n values both in arrival order (a ring) and
// sorted, so that quantiles cost O(1), the MAD O(1) amortised (O(n) at
// worst) and a push two interleaved binary searches plus one memmove of
// at most n values (about 20 ns for a few hundred).
type sortedWindow struct {
	ring   []float64 // arrival order; ring[head] is the oldest once full
	head   int
	sorted []float64 // len = number of values held
	// madHint is where kthDist found its split last time, where it starts
	// looking next time.
	madHint int
}

func newSortedWindow(n int) *sortedWindow {
	return &sortedWindow{ring: make([]float64, 0, n), sorted: make([]float64, 0, n)}
}

// len is the number of values held.
func (w *sortedWindow) len() int { return len(w.sorted) }

// full reports whether the window holds its capacity.
func (w *sortedWindow) full() bool { return len(w.sorted) == cap(w.sorted) }

// push adds v, evicting the oldest value when full; it returns the
// evicted value and whether there was one. v must not be NaN.
func (w *sortedWindow) push(v float64) (old float64, evicted bool) {
	if len(w.ring) < cap(w.ring) {
		w.ring = append(w.ring, v)
		w.sorted = insertSorted(w.sorted, v)
		return 0, false
	}
	old = w.ring[w.head]
	w.ring[w.head] = v
	w.head++
	if w.head == len(w.ring) {
		w.head = 0
	}
	w.replace(old, v)
	return old, true
}

// replace swaps one copy of old in the sorted values for v, moving only
// the values between them. The positions of old and v are found by one
// pair of interleaved searches over the whole window: two independent
// chains of loads that the CPU runs side by side, where searching for v
// in the part past old would wait for old's search first. v's position
// is the same either way: every value before old's is ≤ old.
func (w *sortedWindow) replace(old, v float64) { replaceSorted(w.sorted, old, v) }

// replaceSorted swaps one copy of old in the sorted s for v (see replace).
func replaceSorted(s []float64, old, v float64) {
	r, j := searchGE2(s, old, v)
	moveSorted(s, r, j, old, v)
}

// moveSorted swaps old = s[r], where r = searchGE(s, old), for v in the
// sorted s, where j = searchGE(s, v): the values between the two places
// shift by one.
func moveSorted(s []float64, r, j int, old, v float64) {
	switch {
	case v > old: // j > r
		copy(s[r:j-1], s[r+1:j])
		s[j-1] = v
	case v < old: // j <= r
		copy(s[j+1:r+1], s[j:r])
		s[j] = v
	}
}

// oldest returns the value the next push evicts. The window must be full.
func (w *sortedWindow) oldest() float64 { return w.ring[w.head] }

// cycle records v as the newest value of the full window in place of the
// oldest, in arrival order only: the caller has already swapped them in
// w.sorted (as push does with replace), with searches of its own.
func (w *sortedWindow) cycle(v float64) {
	w.ring[w.head] = v
	w.head++
	if w.head == len(w.ring) {
		w.head = 0
	}
}

// insertSorted inserts v into the sorted s, which must have room for it.
func insertSorted(s []float64, v float64) []float64 {
	i := searchGE(s, v)
	s = s[:len(s)+1]
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

// removeSorted removes one copy of v, which it must hold, from the sorted s.
func removeSorted(s []float64, v float64) []float64 {
	i := searchGE(s, v)
	copy(s[i:], s[i+1:])
	return s[:len(s)-1]
}

// searchGE returns the first index i with s[i] >= v (len(s) if none). It
// is branch-free (see b2i), which roughly halves its cost on random
// input, where a branchy search mispredicts every other level.
func searchGE(s []float64, v float64) int {
	n := len(s)
	if n == 0 {
		return 0
	}
	base := 0
	for n > 1 {
		half := n >> 1
		base += half & -b2i(s[base+half-1] < v)
		n -= half
	}
	if s[base] < v {
		base++
	}
	return base
}

// searchGE2 is searchGE for a and b at once (see replace).
func searchGE2(s []float64, a, b float64) (int, int) {
	n := len(s)
	if n == 0 {
		return 0, 0
	}
	ba, bb := 0, 0
	for n > 1 {
		half := n >> 1
		ba += half & -b2i(s[ba+half-1] < a)
		bb += half & -b2i(s[bb+half-1] < b)
		n -= half
	}
	ba += b2i(s[ba] < a)
	bb += b2i(s[bb] < b)
	return ba, bb
}

// searchGE2x2 is searchGE2 on two slices at once: searchGE(s, a),
// searchGE(s, b), searchGE(t, c) and searchGE(t, d) as four independent
// chains of loads that the CPU overlaps, for a caller that edits two
// sorted windows per point (see distShiftStream.slide).
func searchGE2x2(s []float64, a, b float64, t []float64, c, d float64) (ia, ib, ic, id int) {
	n, m := len(s), len(t)
	if n == 0 || m == 0 {
		ia, ib = searchGE2(s, a, b)
		ic, id = searchGE2(t, c, d)
		return ia, ib, ic, id
	}
	for n > 1 && m > 1 {
		half := n >> 1
		ia += half & -b2i(s[ia+half-1] < a)
		ib += half & -b2i(s[ib+half-1] < b)
		n -= half
		half = m >> 1
		ic += half & -b2i(t[ic+half-1] < c)
		id += half & -b2i(t[id+half-1] < d)
		m -= half
	}
	for n > 1 {
		half := n >> 1
		ia += half & -b2i(s[ia+half-1] < a)
		ib += half & -b2i(s[ib+half-1] < b)
		n -= half
	}
	for m > 1 {
		half := m >> 1
		ic += half & -b2i(t[ic+half-1] < c)
		id += half & -b2i(t[id+half-1] < d)
		m -= half
	}
	ia += b2i(s[ia] < a)
	ib += b2i(s[ib] < b)
	ic += b2i(t[ic] < c)
	id += b2i(t[id] < d)
	return ia, ib, ic, id
}

// b2i is 1 for true: the compiler turns it into SETcc, so the searches
// built on it do not branch on the data.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// searchGT returns the first index i with s[i] > v (len(s) if none).
func searchGT(s []float64, v float64) int {
	n := len(s)
	if n == 0 {
		return 0
	}
	base := 0
	for n > 1 {
		half := n >> 1
		base += half & -b2i(s[base+half-1] <= v)
		n -= half
	}
	if s[base] <= v {
		base++
	}
	return base
}

// quantile returns the q-quantile, interpolating linearly between order
// statistics (R's type 7). The window must not be empty.
func (w *sortedWindow) quantile(q float64) float64 {
	s := w.sorted
	h := q * float64(len(s)-1)
	i := int(h)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	f := h - float64(i)
	if f == 0 {
		return s[i]
	}
	return s[i] + f*(s[i+1]-s[i])
}

// median returns the median. The window must not be empty.
func (w *sortedWindow) median() float64 {
	s := w.sorted
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return s[n/2-1]/2 + s[n/2]/2
}

// mad returns the median absolute deviation from the median m (which must
// be w.median()): the distances below and above the median are two
// sorted sequences read off the sorted window, and the median of their
// union is found by walking from where it was after the previous push
// (see kthDist).
func (w *sortedWindow) mad(m float64) float64 {
	n := len(w.sorted)
	if n%2 == 1 {
		d, _ := w.kthDist(m, (n-1)/2)
		return d
	}
	lo, hi := w.kthDist(m, n/2-1)
	return lo/2 + hi/2
}

// kthDist returns the k-th and (k+1)-th smallest (from 0) of |s[i] − m|,
// where m lies between the lower and upper middle values of s; the second
// is +Inf when k+1 = n.
func (w *sortedWindow) kthDist(m float64, k int) (kth, next float64) {
	return kthDist(w.sorted, m, k, &w.madHint)
}

// kthDist is sortedWindow.kthDist on any sorted s; *hint is where the walk
// starts and is left where it ended, for the next call.
func kthDist(s []float64, m float64, k int, hint *int) (kth, next float64) {
	n := len(s)
	a := (n - 1) / 2 // L_j = m − s[a−j], j ∈ [0, a]; R_j = s[a+1+j] − m, j ∈ [0, n−a−2]
	lenL, lenR := a+1, n-a-1
	// i, the number of distances taken from L, is the smallest in
	// [lo, hi] with L_i ≥ R_{k−i} (hi if none). L is non-decreasing and R
	// non-increasing (rounding is monotone), so the test is false then
	// true along i, and i can be walked to from last time's answer: one
	// push moves the median and the window by one value, so i moves by
	// about one, two or three tests where a binary search takes log n
	// dependent steps.
	lo, hi := max(0, k+1-lenR), min(k+1, lenL)
	i := min(max(*hint, lo), hi)
	for i > lo && !(m-s[a-i+1] < s[a+2+k-i]-m) { // the test holds at i−1
		i--
	}
	for i < hi && m-s[a-i] < s[a+1+k-i]-m {
		i++
	}
	*hint = i
	// The first k+1 distances are L_0..L_{i−1} and R_0..R_{k−i}.
	kth = math.Inf(-1)
	if i > 0 {
		kth = m - s[a-i+1]
	}
	if k-i >= 0 {
		kth = max(kth, s[a+1+k-i]-m)
	}
	next = math.Inf(1)
	if i < lenL {
		next = m - s[a-i]
	}
	if j := k + 1 - i; j < lenR {
		next = min(next, s[a+1+j]-m)
	}
	return kth, next
}

// robustScale estimates the standard deviation of the window's values
// robustly: 1.4826·MAD; when more than half the values are equal (MAD
// 0), the 10–90% inter-quantile range / 2.563; 0 when that too is 0.
func (w *sortedWindow) robustScale(m float64) float64 {
	if s := 1.4826 * w.mad(m); s > 0 {
		return s
	}
	return (w.quantile(0.9) - w.quantile(0.1)) / 2.5631
}

// scaleFloor is the smallest scale a window family divides by: a
// millionth of the centre's magnitude (at least 1e-6), so that a series
// that never moved still judges a change without dividing by zero, and a
// change of one part in a million or less never alerts.
func scaleFloor(center float64) float64 {
	return 1e-6 * max(1, math.Abs(center))
}
