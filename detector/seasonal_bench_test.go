package detector

import (
	"testing"
)

// Benchmarks of the seasonal family report ns/point: the cost of judging
// one point in the steady state (streams) or in a batch.
//
//	go test ./detector -run '^$' -bench 'Stream|SHESDBatch|Auto' -cpu 1

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

// gatedNew builds cfg with New: the detector behind the common gates.
func gatedNew(b *testing.B, cfg Config) Detector {
	b.Helper()
	d, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func BenchmarkStreamSeasonal(b *testing.B) {
	ssBenchStream(b, gatedNew(b, Config{Type: TypeSeasonal, Seasonal: SeasonalParams{Period: "1d"}}))
}

func BenchmarkStreamSeasonalNoPeriod(b *testing.B) {
	ssBenchStream(b, gatedNew(b, Config{Type: TypeSeasonal, Seasonal: SeasonalParams{Period: PeriodNone}}))
}

func BenchmarkStreamHoltWinters(b *testing.B) {
	ssBenchStream(b, gatedNew(b, Config{Type: TypeHoltWinters, HoltWinters: SeasonalParams{Period: "1d"}}))
}

// BenchmarkStreamSHESD judges each point in a window of four days (576
// points, k = 11 ESD steps).
func BenchmarkStreamSHESD(b *testing.B) {
	ssBenchStream(b, gatedNew(b, Config{Type: TypeSHESD, SHESD: SHESDParams{Period: "1d"}}))
}

// BenchmarkStreamSHESDNoPeriod judges each point in a window of 1,000
// points without a period (k = 20).
func BenchmarkStreamSHESDNoPeriod(b *testing.B) {
	ssBenchStream(b, gatedNew(b, Config{Type: TypeSHESD, SHESD: SHESDParams{Period: PeriodNone}}))
}

func BenchmarkStreamSpectral(b *testing.B) {
	ssBenchStream(b, gatedNew(b, Config{Type: TypeSpectral}))
}

func BenchmarkStreamEnsemble(b *testing.B) {
	ssBenchStream(b, gatedNew(b, Config{Type: TypeEnsemble, Members: []Config{
		{Type: TypeSeasonal, Seasonal: SeasonalParams{Period: "1d"}},
		{Type: TypeHoltWinters, HoltWinters: SeasonalParams{Period: "1d"}},
		{Type: TypeSpectral},
	}}))
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
