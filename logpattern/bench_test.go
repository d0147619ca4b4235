package logpattern

import (
	"runtime"
	"testing"
)

// BenchmarkMinerAdd replays the Loghub-2k messages (header already
// stripped in the setup) through one warm miner per dataset and reports
// lines/s and allocs/line.
func BenchmarkMinerAdd(b *testing.B) {
	sets := loadLoghub(b)
	for _, noParams := range []bool{false, true} {
		name := "params"
		if noParams {
			name = "no_params"
		}
		b.Run(name, func(b *testing.B) {
			var msgs []string
			for _, s := range sets {
				msgs = append(msgs, s.content...)
			}
			// One miner per dataset, as one per stream.
			miners := make([]*Miner, len(sets))
			owner := make([]*Miner, 0, len(msgs))
			for i, s := range sets {
				m, err := New(Config{NoParams: noParams})
				if err != nil {
					b.Fatal(err)
				}
				miners[i] = m
				for _, msg := range s.content {
					m.Add(msg) // warm up
					owner = append(owner, m)
				}
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mallocs := ms.Mallocs
			b.ResetTimer()
			lines := 0
			for b.Loop() {
				for i, msg := range msgs {
					owner[i].Add(msg)
				}
				lines += len(msgs)
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(ms.Mallocs-mallocs)/float64(lines), "allocs/line")
			b.ReportMetric(0, "ns/op")
		})
	}
}
