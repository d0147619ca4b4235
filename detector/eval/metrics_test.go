package eval

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)

// at returns n timestamps one minute apart from t0.
func at(n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = t0.Add(time.Duration(i) * time.Minute)
	}
	return out
}

// win is the window over rows [a, b] of at(·).
func win(a, b int) Window {
	return Window{Start: t0.Add(time.Duration(a) * time.Minute), End: t0.Add(time.Duration(b) * time.Minute)}
}

// flags returns n predictions with the given indices set.
func flags(n int, idx ...int) []bool {
	out := make([]bool, n)
	for _, i := range idx {
		out[i] = true
	}
	return out
}

func TestCountsRatios(t *testing.T) {
	for _, tc := range []struct {
		name         string
		c            Counts
		p, r, f1     float64
		wantZeroDivs bool
	}{
		{name: "perfect", c: Counts{TP: 4, TN: 10}, p: 1, r: 1, f1: 1},
		{name: "half", c: Counts{TP: 1, FP: 1, FN: 1}, p: 0.5, r: 0.5, f1: 0.5},
		{name: "precise, low recall", c: Counts{TP: 1, FN: 3}, p: 1, r: 0.25, f1: 0.4},
		{name: "nothing flagged", c: Counts{FN: 2, TN: 5}, p: 0, r: 0, f1: 0},
		{name: "nothing to find", c: Counts{FP: 2, TN: 5}, p: 0, r: 0, f1: 0},
		{name: "empty", c: Counts{}, p: 0, r: 0, f1: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, m := range []struct {
				name      string
				got, want float64
			}{{"precision", tc.c.Precision(), tc.p}, {"recall", tc.c.Recall(), tc.r}, {"f1", tc.c.F1(), tc.f1}} {
				if math.Abs(m.got-m.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", m.name, m.got, m.want)
				}
			}
		})
	}
}

func TestPointCounts(t *testing.T) {
	got, err := PointCounts(
		[]bool{true, true, false, false, true},
		[]bool{true, false, true, false, true})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{TP: 2, FP: 1, FN: 1, TN: 1}); got != want {
		t.Errorf("PointCounts = %+v, want %+v", got, want)
	}
	if _, err := PointCounts(make([]bool, 2), make([]bool, 3)); err == nil {
		t.Error("length mismatch: no error")
	}
}

func TestWindowCounts(t *testing.T) {
	const n = 20
	windows := []Window{win(12, 14), win(3, 5)} // unsorted on purpose
	for _, tc := range []struct {
		name    string
		flagged []bool
		want    Counts
	}{
		{"nothing flagged", flags(n), Counts{FN: 2, TN: 14}},
		{"one point in each window", flags(n, 5, 12), Counts{TP: 2, TN: 14}},
		{"many points in one window count once", flags(n, 3, 4, 5), Counts{TP: 1, FN: 1, TN: 14}},
		{"window edges are inclusive", flags(n, 3, 14), Counts{TP: 2, TN: 14}},
		{"just outside is a false positive", flags(n, 2, 6, 11, 15), Counts{FP: 4, FN: 2, TN: 10}},
		{"everything flagged", flags(n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19), Counts{TP: 2, FP: 14}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := WindowCounts(at(n), tc.flagged, windows)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("WindowCounts = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestWindowCountsErrors(t *testing.T) {
	unsorted := at(3)
	unsorted[0], unsorted[2] = unsorted[2], unsorted[0]
	for _, tc := range []struct {
		name    string
		times   []time.Time
		flagged []bool
		windows []Window
	}{
		{"length mismatch", at(3), flags(4), nil},
		{"times out of order", unsorted, flags(3), nil},
		{"inverted window", at(3), flags(3), []Window{{Start: t0.Add(time.Hour), End: t0}}},
		{"overlapping windows", at(10), flags(10), []Window{win(1, 4), win(4, 6)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := WindowCounts(tc.times, tc.flagged, tc.windows); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestFlagAndLabels(t *testing.T) {
	if got, want := Flag([]float64{0.1, 0.5, 0.7, math.NaN()}, 0.5), []bool{false, true, true, false}; !equalBools(got, want) {
		t.Errorf("Flag = %v, want %v", got, want)
	}
	if got, want := Labels(at(6), []Window{win(1, 2), win(4, 4)}), []bool{false, true, true, false, true, false}; !equalBools(got, want) {
		t.Errorf("Labels = %v, want %v", got, want)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
