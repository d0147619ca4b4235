package baseline

import (
	"encoding/json"
	"testing"
	"time"

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
