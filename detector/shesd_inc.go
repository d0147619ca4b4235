package detector

import (
	"math"
	"slices"
)

// shesdInc is the incremental form of the S-H-ESD window test (see
// shesd.go) for a stream whose window is full: it keeps what the test
// needs from one point to the next instead of rebuilding it.
//
// Decomposition. A point's expected level is the median of its pool (the
// window's values in its phase and the two neighbouring phases) without
// itself. Phases are counted from the newest point, so a point keeps its
// phase class t mod per (t its arrival number) while the window slides,
// and each class keeps its pool sorted. A new point enters three pools
// and the point that leaves is removed from three; only the points whose
// pool changed (those of at most six classes, about 6·window/period
// points) get a new level, each read off its sorted pool in O(1). Without
// a period, or with fewer than three cycles in the window, the level is
// the median of the whole window: a sorted window gives it in O(1), and
// all residuals move with it (an O(window) subtraction).
//
// Test. The residuals are kept sorted (a changed residual moves by a
// binary search and a memmove), so the generalized ESD test runs on them
// directly: O(k log window) for k = max_anomalies·window steps, instead of
// sorting the window for every point.
//
// Units. The full form divides the window by its largest magnitude
// first; this form works in the values' own units and passes that
// magnitude to the test for its absolute floors, so the two agree up to
// floating-point rounding (the golden test holds their scores within
// 1e-9). Windows with values beyond ±1e300 or all below 1e-280 in
// magnitude take the full form.
type shesdInc struct {
	w, per int
	global bool // the level is the window's median (no usable period)
	built  bool
	next   int       // arrival number of the next point
	vals   []float64 // by slot = arrival number mod w
	resid  []float64 // by slot
	level  []float64 // by slot: the expected level
	sorted []float64 // the residuals, sorted
	pools  [][]float64
	all    *sortedWindow // the global case's values
	cls    []int         // scratch: the classes whose pools changed
	cs     [3]int        // scratch of classes
}

func newSHESDInc(w, per int) *shesdInc {
	l := &shesdInc{w: w, per: per, global: per <= 0 || w < 3*per,
		vals: make([]float64, w), resid: make([]float64, w), level: make([]float64, w),
		sorted: make([]float64, 0, w), cls: make([]int, 0, 6)}
	if l.global {
		l.all = newSortedWindow(w)
	} else {
		l.pools = make([][]float64, per)
		size := 3 * (w/per + 1)
		for c := range l.pools {
			l.pools[c] = make([]float64, 0, size)
		}
	}
	return l
}

// classes returns the classes whose pools hold a value of class c.
func (l *shesdInc) classes(c int) []int {
	if l.per < 3 {
		l.cs[0] = c
		return l.cs[:1]
	}
	l.cs = [3]int{(c + l.per - 1) % l.per, c, (c + 1) % l.per}
	return l.cs[:]
}

// build sets the state from a full window, oldest first.
func (l *shesdInc) build(vals []float64) {
	l.next = 0
	l.sorted = l.sorted[:0]
	if l.global {
		l.all = newSortedWindow(l.w)
	} else {
		for c := range l.pools {
			l.pools[c] = l.pools[c][:0]
		}
	}
	for _, v := range vals {
		slot := l.next % l.w
		l.vals[slot] = v
		if l.global {
			l.all.push(v)
		} else {
			for _, c := range l.classes(l.next % l.per) {
				l.pools[c] = insertSorted(l.pools[c], v)
			}
		}
		l.next++
	}
	if l.global {
		l.relevel()
	} else {
		for t := l.next - l.w; t < l.next; t++ {
			slot := t % l.w
			l.level[slot] = poolMedianWithout(l.pools[t%l.per], l.vals[slot])
			l.resid[slot] = l.vals[slot] - l.level[slot]
			l.sorted = insertSorted(l.sorted, l.resid[slot])
		}
	}
	l.built = true
}

// relevel sets every level to the window's median and the residuals
// from it (the global case).
func (l *shesdInc) relevel() {
	m := l.all.median()
	l.sorted = l.sorted[:0]
	for _, v := range l.all.sorted {
		l.sorted = append(l.sorted, v-m)
	}
	for i, v := range l.vals {
		l.level[i], l.resid[i] = m, v-m
	}
}

// push slides the window by v and returns the newest point's slot.
func (l *shesdInc) push(v float64) int {
	t := l.next
	slot := t % l.w
	old := l.vals[slot]
	l.vals[slot] = v
	l.next++
	if l.global {
		l.all.push(v)
		l.relevel()
		return slot
	}
	per := l.per
	cNew, cOld := t%per, (t-l.w)%per
	l.cls = l.cls[:0]
	for _, c := range l.classes(cOld) {
		l.pools[c] = removeSorted(l.pools[c], old)
		l.cls = append(l.cls, c)
	}
	for _, c := range l.classes(cNew) {
		l.pools[c] = insertSorted(l.pools[c], v)
		if !slices.Contains(l.cls, c) {
			l.cls = append(l.cls, c)
		}
	}
	l.sorted = removeSorted(l.sorted, l.resid[slot])
	first := t - l.w + 1 // the oldest arrival number in the window
	for _, c := range l.cls {
		pool := l.pools[c]
		for u := t - (t-c)%per; u >= first; u -= per {
			if u == t {
				continue
			}
			s := u % l.w
			lv := poolMedianWithout(pool, l.vals[s])
			if r := l.vals[s] - lv; r != l.resid[s] {
				replaceSorted(l.sorted, l.resid[s], r)
				l.resid[s] = r
			}
			l.level[s] = lv
		}
	}
	l.level[slot] = poolMedianWithout(l.pools[cNew], v)
	l.resid[slot] = v - l.level[slot]
	l.sorted = insertSorted(l.sorted, l.resid[slot])
	return slot
}

// poolMedianWithout is the median of the sorted pool without one copy of
// v (which it holds), as ssMedian computes it: the middle value, or the
// mean of the two middle values as lo/2 + hi/2; NaN when nothing is left.
func poolMedianWithout(pool []float64, v float64) float64 {
	// Without one copy of v, the j-th value is pool[j] if pool[j] < v
	// (j is below v's first position) and pool[j+1] otherwise: no search.
	get := func(j int) float64 {
		if pool[j] < v {
			return pool[j]
		}
		return pool[j+1]
	}
	m := len(pool) - 1
	switch {
	case m == 0:
		return math.NaN()
	case m%2 == 1:
		return get(m / 2)
	}
	return get(m/2-1)/2 + get(m/2)/2
}
