package series

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		in   []Point
		step time.Duration
		want []Point
		rep  Report
	}{
		{
			name: "empty",
			rep:  Report{},
			want: []Point{},
		},
		{
			name: "nan inf dropped",
			in:   []Point{{at(0), 1}, {at(1), math.NaN()}, {at(2), math.Inf(1)}, {at(3), 4}},
			step: time.Minute,
			want: []Point{{at(0), 1}, {at(3), 4}},
			rep:  Report{Input: 4, NaN: 2, Gaps: 1},
		},
		{
			name: "out of order and duplicates, last write wins",
			in:   []Point{{at(2), 3}, {at(0), 1}, {at(1), 2}, {at(1), 20}},
			step: time.Minute,
			want: []Point{{at(0), 1}, {at(1), 20}, {at(2), 3}},
			rep:  Report{Input: 4, OutOfOrder: 1, Duplicates: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, rep := Clean(tc.in, tc.step)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("points (-want +got):\n%s", diff)
			}
			if rep != tc.rep {
				t.Errorf("report = %+v, want %+v", rep, tc.rep)
			}
		})
	}
}

func TestResampleKeepsGapsAsNaN(t *testing.T) {
	pts := []Point{{at(0), 1}, {at(1).Add(10 * time.Second), 2}, {at(4), 5}}
	got := Resample(pts, at(0), at(4), time.Minute)
	if len(got) != 5 {
		t.Fatalf("len = %d, want 5", len(got))
	}
	wantV := []float64{1, math.NaN(), 2, math.NaN(), 5}
	for i, p := range got {
		if !p.T.Equal(at(i)) {
			t.Errorf("t[%d] = %v, want %v", i, p.T, at(i))
		}
		if math.IsNaN(wantV[i]) != math.IsNaN(p.V) || (!math.IsNaN(wantV[i]) && wantV[i] != p.V) {
			t.Errorf("v[%d] = %v, want %v", i, p.V, wantV[i])
		}
	}
}

func TestSplit(t *testing.T) {
	pts := []Point{{at(0), 1}, {at(1), 2}, {at(2), 3}}
	b, a := Split(pts, at(1))
	if len(b) != 1 || len(a) != 2 {
		t.Fatalf("split = %d/%d, want 1/2", len(b), len(a))
	}
}
