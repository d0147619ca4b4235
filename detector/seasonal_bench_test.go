package detector

import (
	"testing"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// Benchmarks of the seasonal family report ns/point: the cost of judging
// one point in the steady state (streams) or in a batch.
//
//	go test ./detector -run '^$' -bench 'Stream|SHESDBatch|Auto' -cpu 1

// ssBenchVals is a long stretch of ssSeries' shape: a daily cycle every
// 10 minutes with N(0, 1) noise, 64 weeks, so that a stream can run for
// millions of points without starting again (timestamps keep increasing,
// values repeat every 64 weeks).
var ssBenchVals = pointValues(ssSeries(64*7, 20, 1, 1))

// ssBenchStream warms a stream on 14 days (2016 points), then measures
// one Push per op in the steady state.
func ssBenchStream(b *testing.B, d Detector) {
	b.Helper()
	s := d.NewStream(nil)
	at := func(i int) series.Point {
		return series.Point{T: ssStart.Add(time.Duration(i) * ssStep), V: ssBenchVals[i%len(ssBenchVals)]}
	}
	warm := 14 * ssPerDay
	for i := range warm {
		s.Push(at(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := warm
	for b.Loop() {
		s.Push(at(i))
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
