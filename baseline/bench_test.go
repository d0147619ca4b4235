package baseline

import (
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/series"
)

// twoWeeks is the speed target's input: 2 weeks of 1-minute data
// (20,160 points) with daily and weekly seasonality.
func twoWeeks() []series.Point {
	return gen(time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC), 14, time.Minute, profile, 0.03, 2, 21)
}

func benchFit(b *testing.B, cfg Config) {
	pts := twoWeeks()
	var m Model
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		var err error
		if m, err = Fit(pts, cfg, nil); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, "fits")
	data, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(data)), "json-bytes")
	b.ReportMetric(float64(modelBytes(m)), "model-bytes")
}

func BenchmarkFitSTLAuto(b *testing.B) {
	benchFit(b, Config{Seasonality: SeasonalityAuto, Model: ModelSTL})
}
func BenchmarkFitHWAuto(b *testing.B) {
	benchFit(b, Config{Seasonality: SeasonalityAuto, Model: ModelHoltWinters})
}
func BenchmarkFitEWMA(b *testing.B) {
	benchFit(b, Config{Seasonality: SeasonalityNone, Model: ModelEWMA})
}
func BenchmarkFitPhaseAuto(b *testing.B) {
	benchFit(b, Config{Seasonality: SeasonalityAuto, Model: ModelPhase})
}
func BenchmarkFitModelAuto(b *testing.B) {
	benchFit(b, Config{Seasonality: SeasonalityAuto, Model: ModelAuto})
}

// BenchmarkFitSeasonal20160 is the speed target of a complete seasonal
// fit: period detection (seasonality auto) and the seasonal-trend model,
// with the level-shift check, on 2 weeks of 1-minute business data
// (20,160 points). It fails unless the fit found both the daily and the
// weekly period, so a fallback to a cheaper model cannot pass for speed.
// "fit" calls the package-level Fit (fresh buffers every time); "fitter"
// reuses one Fitter, as a worker fitting many series would.
func BenchmarkFitSeasonal20160(b *testing.B) {
	pts := twoWeeks()
	if len(pts) != 20160 {
		b.Fatalf("%d points, want 20160", len(pts))
	}
	cfg := Config{Seasonality: SeasonalityAuto, Model: ModelSTL}
	m, err := Fit(pts, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	stl, ok := m.(*STLModel)
	if !ok || len(stl.periods) != 2 || stl.periods[0].Period != 24*time.Hour || stl.periods[1].Period != 7*24*time.Hour {
		b.Fatalf("fit is not a daily+weekly STL model: %s", m.Describe())
	}
	var f Fitter
	for _, bc := range []struct {
		name string
		fit  func([]series.Point, Config, *calendar.Calendar) (Model, error)
	}{
		{"fit", Fit},
		{"fitter", f.Fit},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if m, err = bc.fit(pts, cfg, nil); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0, "fits")
			runtime.KeepAlive(m)
		})
	}
}

func BenchmarkDetectSeasonality(b *testing.B) {
	pts := twoWeeks()
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		DetectSeasonality(pts, time.Minute, DetectOptions{})
	}
	reportCPU(b, cpu0, "detections")
}

// reportCPU reports the operations per second of wall time and of CPU
// time, and the CPU time per operation.
func reportCPU(b *testing.B, cpu0 time.Duration, what string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), what+"/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), what+"/cpu-s")
	}
}

// BenchmarkModelMemory reports, per model kind fitted on two weeks of 1m
// data, the serialized size and the heap a model takes once reloaded
// (measured: the live heap growth over 32 retained copies, after GC).
func BenchmarkModelMemory(b *testing.B) {
	pts := twoWeeks()
	for _, cfg := range []Config{
		{Model: ModelPhase, Seasonality: SeasonalityAuto},
		{Model: ModelSTL, Seasonality: SeasonalityAuto},
		{Model: ModelHoltWinters, Seasonality: SeasonalityAuto},
		{Model: ModelEWMA, Seasonality: SeasonalityNone},
	} {
		b.Run(cfg.Model, func(b *testing.B) {
			m, err := Fit(pts, cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			data, err := json.Marshal(m)
			if err != nil {
				b.Fatal(err)
			}
			const copies = 32
			var heap float64
			for b.Loop() {
				keep := make([]Model, copies)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range keep {
					if keep[i], err = UnmarshalModel(data); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / copies
				runtime.KeepAlive(keep)
			}
			b.ReportMetric(float64(len(data)), "json-bytes")
			b.ReportMetric(heap, "heap-bytes")
			b.ReportMetric(float64(modelBytes(m)), "est-bytes")
		})
	}
}

// BenchmarkExpect is the cost of one expectation (O(1), no allocation).
func BenchmarkExpect(b *testing.B) {
	pts := twoWeeks()
	for _, model := range []string{ModelPhase, ModelSTL, ModelHoltWinters, ModelEWMA} {
		b.Run(model, func(b *testing.B) {
			m, err := Fit(pts, Config{Model: model, Seasonality: SeasonalityAuto}, nil)
			if err != nil {
				b.Fatal(err)
			}
			at := pts[len(pts)-1].T
			b.ReportAllocs()
			for b.Loop() {
				at = at.Add(time.Minute)
				m.Expect(at)
			}
		})
	}
}
