package detector

import (
	"math"
	"testing"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/series"
)

func TestPersistence(t *testing.T) {
	m := fixedModel{baseline.Expectation{Value: 0, Scale: 1, OK: true}}
	// 10 is far out (z 10), 0 is normal.
	in := []float64{10, 0, 10, 10, 0, 0, 0, 10, 10, 10, 10}
	tests := []struct {
		name string
		k, n int
		want string // one char per point: x anomaly, . not
	}{
		{"default", 0, 0, "x.xx...xxxx"},
		{"2 of 3", 2, 3, "..xx....xxx"},
		{"3 of 5", 3, 5, "...x.....xx"},
		{"3 of 3", 3, 3, ".........xx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDetector(t, Config{Persistence: Persistence{K: tt.k, N: tt.n}})
			rs := detect(d, pts(in...), m)
			got := ""
			for _, r := range rs {
				if r.Anomaly {
					got += "x"
				} else {
					got += "."
				}
				if want := 10 / (10 + Threshold(0.7)); r.Value == 10 && math.Abs(r.Score-want) > 1e-12 {
					t.Errorf("persistence changed the score: %v", r.Score)
				}
			}
			if got != tt.want {
				t.Errorf("anomalies %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPersistenceCountsHistory(t *testing.T) {
	m := fixedModel{baseline.Expectation{Value: 0, Scale: 1, OK: true}}
	d := newDetector(t, Config{Persistence: Persistence{K: 3, N: 3}})
	all := pts(10, 10, 10, 0)
	rs := Run(d, Input{History: all[:2], Points: all[2:], Model: m})
	if len(rs) != 2 || !rs[0].Anomaly || rs[1].Anomaly {
		t.Errorf("results %+v, want the third crossing in a row (two in History) flagged", rs)
	}
}

func TestStreamIgnoresBadPoints(t *testing.T) {
	m := fixedModel{baseline.Expectation{Value: 0, Scale: 1, OK: true}}
	s := newDetector(t, Config{}).NewStream(m)
	steps := []struct {
		p  series.Point
		ok bool
	}{
		{series.Point{T: at(1), V: 1}, true},
		{series.Point{T: at(1), V: 2}, false}, // duplicate
		{series.Point{T: at(0), V: 2}, false}, // out of order
		{series.Point{T: at(2), V: math.NaN()}, false},
		{series.Point{T: at(2), V: math.Inf(-1)}, false},
		{series.Point{T: at(2), V: 3}, true}, // NaN did not advance time
	}
	for i, st := range steps {
		if _, ok := s.Push(st.p); ok != st.ok {
			t.Errorf("step %d: ok = %v, want %v", i, ok, st.ok)
		}
	}
}

func TestConfigPersistenceAndMembers(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		paths []string
	}{
		{"ok", Config{Persistence: Persistence{K: 3, N: 5}}, nil},
		{"k only", Config{Persistence: Persistence{K: 3}}, nil},
		{"k > n", Config{Persistence: Persistence{K: 4, N: 3}}, []string{"persistence.k"}},
		{"n negative", Config{Persistence: Persistence{K: 1, N: -1}}, []string{"persistence.n"}},
		{"combine", Config{Type: "ensemble", Members: []Config{{}}, Combine: "median"}, []string{"combine"}},
		{"member", Config{Type: "ensemble", Members: []Config{{Type: "robust"}, {Type: "nope"}}}, []string{"members[1].type"}},
		{"member common", Config{Type: "ensemble", Members: []Config{{Type: "robust", Sensitivity: 2}}}, []string{"members[0].sensitivity"}},
		{"candidate", Config{Type: "auto", Candidates: []Config{{Direction: "left"}}}, []string{"candidates[0].direction"}},
		{"candidate type", Config{Type: "auto", Candidates: []Config{{Type: "zscore", ZScore: WindowConfig{Window: 1}}}}, []string{"candidates[0].zscore.window", "auto.candidates"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkPaths(t, tt.cfg, tt.paths)
		})
	}
}
