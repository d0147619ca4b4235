package detector

import (
	"math"
	"slices"
	"testing"
)

func mustSpectral(t testing.TB, p SpectralParams) Detector {
	t.Helper()
	d, err := newSpectral(Config{Sensitivity: DefaultSensitivity, Direction: DirectionBoth}, p)
	if err != nil {
		t.Fatalf("newSpectral(%+v): %v", p, err)
	}
	return d
}

// TestSpectralNewestPoint pushes a series point by point: a spike must be
// flagged when it is the newest point (causally), not later.
func TestSpectralNewestPoint(t *testing.T) {
	for _, tc := range []struct {
		name string
		base []Input
		at   []int
		dv   float64
	}{
		{"seasonal spike", []Input{{Points: ssSeries(4, 20, 1, 51)}}, []int{200, 300, 400, 500}, 20},
		{"noise spike", []Input{{Points: ssNoise(600, 52)}}, []int{200, 300, 400, 500}, 25},
		{"noise dip", []Input{{Points: ssNoise(600, 53)}}, []int{200, 300, 400, 500}, -25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, at := range tc.at {
				pts := ssInject(tc.base[0].Points, map[int]float64{at: tc.dv})
				s := mustSpectral(t, SpectralParams{}).NewStream(nil)
				var flagged []int
				var rs []Result
				for i, p := range pts[:at+1] {
					r, ok := s.Push(p)
					if ok {
						rs = append(rs, r)
						if r.Anomaly {
							flagged = append(flagged, i)
						}
					}
				}
				ssCheckContract(t, rs)
				if !slices.Equal(flagged, []int{at}) {
					t.Errorf("spike at %d: flagged %v", at, flagged)
				}
				if last := rs[len(rs)-1]; tc.dv > 0 && last.Z < 0 || tc.dv < 0 && last.Z > 0 {
					t.Errorf("spike at %d: Z = %v has the wrong sign", at, last.Z)
				}
			}
		})
	}
}

func TestSpectralQuiet(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Input
	}{
		{"seasonal", Input{Points: ssSeries(14, 20, 1, 61)}},
		{"noise", Input{Points: ssNoise(3000, 62)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := ssBatch(mustSpectral(t, SpectralParams{}), tc.in)
			ssCheckContract(t, rs)
			if got := ssFlagged(tc.in.Points, rs); len(got) > 0 {
				t.Errorf("clean data flagged at %v", got)
			}
		})
	}
}

func TestSpectralConfigErrors(t *testing.T) {
	for _, p := range []SpectralParams{
		{Window: 4}, {Window: 20, ScoreWindow: 30}, {Extend: -1}, {Threshold: math.Inf(1)}, {Threshold: -1}, {MagWindow: 500},
	} {
		if _, err := newSpectral(Config{Sensitivity: 0.7}, p); err == nil {
			t.Errorf("newSpectral(%+v): no error", p)
		}
	}
}
