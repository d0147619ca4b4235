package detector

import (
	"testing"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/series"
)

// Every detector family has a BenchmarkStream*: go test ./detector -run '^$'
// -bench Stream -cpu 1 -count 5 (see docs/detectors.md for the figures).
// Each builds its detector with New, so the common gates run as in a
// monitor.

// benchStream measures one gated Push per op in steady state: the stream
// is warmed first, then fed Gaussian noise with rare spikes, one minute
// apart.
func benchStream(b *testing.B, cfg Config, m baseline.Model) {
	b.Helper()
	d := newDetector(b, cfg)
	vs := gauss(1<<12, 100, 5, 77)
	for i := 0; i < len(vs); i += 301 {
		vs[i] += 60
	}
	s := d.NewStream(m)
	t := t0
	for i := range 2000 {
		t = t.Add(time.Minute)
		s.Push(series.Point{T: t, V: vs[i%len(vs)]})
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		t = t.Add(time.Minute)
		s.Push(series.Point{T: t, V: vs[i&(len(vs)-1)]})
		i++
	}
}

func BenchmarkStreamRobust(b *testing.B) {
	benchStream(b, Config{}, fixedModel{baseline.Expectation{Value: 100, Scale: 5, OK: true}})
}
func BenchmarkStreamStatic(b *testing.B) {
	benchStream(b, Config{Type: TypeStatic, Static: StaticConfig{Upper: f64(150)}}, nil)
}
func BenchmarkStreamZScore(b *testing.B)  { benchStream(b, Config{Type: TypeZScore}, nil) }
func BenchmarkStreamRobustZ(b *testing.B) { benchStream(b, Config{Type: TypeRobustZ}, nil) }
func BenchmarkStreamRobustZ500(b *testing.B) {
	benchStream(b, Config{Type: TypeRobustZ, RobustZ: WindowConfig{Window: 500}}, nil)
}
func BenchmarkStreamIQR(b *testing.B)        { benchStream(b, Config{Type: TypeIQR}, nil) }
func BenchmarkStreamEWMA(b *testing.B)       { benchStream(b, Config{Type: TypeEWMA}, nil) }
func BenchmarkStreamCUSUM(b *testing.B)      { benchStream(b, Config{Type: TypeCUSUM}, nil) }
func BenchmarkStreamLevelShift(b *testing.B) { benchStream(b, Config{Type: TypeLevelShift}, nil) }
func BenchmarkStreamFlatline(b *testing.B)   { benchStream(b, Config{Type: TypeFlatline}, nil) }
func BenchmarkStreamNoData(b *testing.B)     { benchStream(b, Config{Type: TypeNoData}, nil) }
func BenchmarkStreamRateOfChange(b *testing.B) {
	benchStream(b, Config{Type: TypeRateOfChange}, nil)
}
func BenchmarkStreamDistributionShift(b *testing.B) {
	benchStream(b, Config{Type: TypeDistributionShift}, nil)
}
func BenchmarkStreamPersistence(b *testing.B) {
	benchStream(b, Config{Type: TypeRobustZ, Persistence: Persistence{K: 3, N: 5}}, nil)
}

// BenchmarkStreamGates has every gate on: direction, both minimum
// deviations and persistence.
func BenchmarkStreamGates(b *testing.B) {
	benchStream(b, Config{Type: TypeRobustZ, Direction: DirectionUp,
		MinDeviation: MinDeviation{Absolute: 1, Relative: 0.01}, Persistence: Persistence{K: 2, N: 3}}, nil)
}
func BenchmarkStreamAdaptive(b *testing.B) { benchStream(b, Config{Type: TypeAdaptive}, nil) }

// BenchmarkStreamFlatlineModel is flatline with a baseline, whose
// expectation and phase it reads at every point.
func BenchmarkStreamFlatlineModel(b *testing.B) {
	benchStream(b, Config{Type: TypeFlatline}, fixedModel{baseline.Expectation{Value: 100, Scale: 5, OK: true, Phase: "mon 09:30"}})
}
