package logpattern

import (
	"runtime"
	"strings"
	"testing"
)

// BenchmarkMinerAdd replays the Loghub-2k messages (header already
// stripped in the setup) through one warm miner per dataset and reports
// lines/s and allocs/line.
func BenchmarkMinerAdd(b *testing.B) {
	sets := loadLoghub(b)
	for _, mode := range []string{"params", "params_addto", "no_params"} {
		noParams := mode == "no_params"
		b.Run(mode, func(b *testing.B) {
			// The messages lie one after the other in one buffer, as lines
			// read from a file do.
			var all strings.Builder
			for _, s := range sets {
				for _, msg := range s.content {
					all.WriteString(msg)
				}
			}
			buf := all.String()
			var msgs []string
			for _, s := range sets {
				for _, msg := range s.content {
					msgs = append(msgs, buf[:len(msg)])
					buf = buf[len(msg):]
				}
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
			cpu0, cpuOK := processCPU()
			b.ResetTimer()
			lines := 0
			var mt Match
			for b.Loop() {
				if mode == "params_addto" {
					for i, msg := range msgs {
						owner[i].AddTo(msg, &mt)
					}
				} else {
					for i, msg := range msgs {
						owner[i].Add(msg)
					}
				}
				lines += len(msgs)
			}
			b.StopTimer()
			cpu1, _ := processCPU()
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
			if cpuOK && cpu1 > cpu0 {
				// Wall-clock lines/s suffers when other processes share
				// the machine; lines per CPU second of this process
				// (garbage collection included) does not.
				b.ReportMetric(float64(lines)/(cpu1-cpu0).Seconds(), "lines/cpu-s")
			}
			b.ReportMetric(float64(ms.Mallocs-mallocs)/float64(lines), "allocs/line")
			b.ReportMetric(0, "ns/op")
		})
	}
}
