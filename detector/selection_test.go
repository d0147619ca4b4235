package detector

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/series"
)

func TestSelectionChoosesStoresAndGates(t *testing.T) {
	d, err := New(Config{Type: TypeAuto, Direction: DirectionUp})
	if err != nil {
		t.Fatal(err)
	}
	sel, ok := SelectionOf(d)
	if !ok {
		t.Fatal("auto detector has no selection")
	}
	if _, ok := SelectionOf(mustNew(t, Config{Type: TypeRobust})); ok {
		t.Error("robust detector reported a selection")
	}

	// A daily wave at 10-minute steps: seven days to choose on, one to judge
	// with a spike up and a dip down.
	rng := rand.New(rand.NewPCG(7, 11))
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var pts []series.Point
	for i := range 8 * 144 {
		v := 100 + 40*math.Sin(2*math.Pi*float64(i%144)/144) + rng.NormFloat64()*2
		pts = append(pts, series.Point{T: t0.Add(time.Duration(i) * 10 * time.Minute), V: v})
	}
	spike, dip := 7*144+30, 7*144+90
	pts[spike].V += 60
	pts[dip].V -= 60
	hist, recent := pts[:7*144], pts[7*144:]

	choice := sel.Choose(Input{History: hist}, nil)
	if choice.Detector == "" || len(choice.Reasons) == 0 {
		t.Fatalf("choice without detector or reasons: %+v", choice)
	}
	chosen, err := sel.Detector(choice)
	if err != nil {
		t.Fatal(err)
	}
	flagged := map[time.Time]bool{}
	for _, r := range Run(chosen, Input{History: hist, Points: recent}) {
		if r.Anomaly {
			flagged[r.T] = true
		}
	}
	if !flagged[pts[spike].T] {
		t.Errorf("%s missed the spike", choice.Detector)
	}
	if flagged[pts[dip].T] {
		t.Errorf("direction up (auto's own gate) let the dip through")
	}
	if _, err := sel.Detector(Choice{Detector: "crystal_ball", Candidate: 99}); err == nil {
		t.Error("a foreign choice was accepted")
	}
}

func mustNew(t *testing.T, cfg Config) Detector {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
