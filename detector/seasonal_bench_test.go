package detector

import (
	"testing"
)

// Benchmarks of the seasonal family report ns/point: the cost of judging
// one point in the steady state (streams) or in a batch.
//
//	go test ./detector -run '^$' -bench 'Seasonal|SHESD|Spectral|Ensemble|Auto' -benchmem

// ssBenchStream pushes the points of 14 days at 10m (2016 points) through
// fresh streams, b.N points in all.
func ssBenchStream(b *testing.B, d Detector) {
	b.Helper()
	pts := ssSeries(28, 20, 1, 1)
	warm := 14 * ssPerDay
	s := d.NewStream(nil)
	for _, p := range pts[:warm] {
		s.Push(p)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := warm
	for range b.N {
		if i == len(pts) { // start again, off the clock
			b.StopTimer()
			s = d.NewStream(nil)
			for _, p := range pts[:warm] {
				s.Push(p)
			}
			i = warm
			b.StartTimer()
		}
		s.Push(pts[i])
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/point")
}

func BenchmarkSeasonalStream(b *testing.B) {
	ssBenchStream(b, mustSeasonal(b, TypeSeasonal, SeasonalParams{Period: "1d"}))
}

func BenchmarkSeasonalStreamNoPeriod(b *testing.B) {
	ssBenchStream(b, mustSeasonal(b, TypeSeasonal, SeasonalParams{Period: PeriodNone}))
}

func BenchmarkHoltWintersStream(b *testing.B) {
	ssBenchStream(b, mustSeasonal(b, TypeHoltWinters, SeasonalParams{Period: "1d"}))
}

func BenchmarkSHESDStream(b *testing.B) {
	ssBenchStream(b, mustSHESD(b, Config{}, SHESDParams{Period: "1d"}))
}

func BenchmarkSpectralStream(b *testing.B) {
	ssBenchStream(b, mustSpectral(b, SpectralParams{}))
}

func BenchmarkEnsembleStream(b *testing.B) {
	ssBenchStream(b, newEnsembleOf([]Detector{
		mustSeasonal(b, TypeSeasonal, SeasonalParams{Period: "1d"}),
		mustSeasonal(b, TypeHoltWinters, SeasonalParams{Period: "1d"}),
		mustSpectral(b, SpectralParams{}),
	}, CombineMax))
}

// BenchmarkSHESDBatch judges 14 days after 14 days of history in
// piecewise windows.
func BenchmarkSHESDBatch(b *testing.B) {
	d := mustSHESD(b, Config{}, SHESDParams{}).(Batcher)
	in := ssSplit(ssSeries(28, 20, 1, 1), 14)
	b.ReportAllocs()
	for b.Loop() {
		d.DetectBatch(in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in.Points)), "ns/point")
}

// BenchmarkAutoChoose backtests the default candidates on 14 days of
// history (2016 points).
func BenchmarkAutoChoose(b *testing.B) {
	a := mustAuto(b, AutoParams{})
	in := Input{History: ssSeries(14, 20, 1, 1)}
	b.ReportAllocs()
	for b.Loop() {
		a.Choose(in, nil)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(in.History)), "ns/point")
}
