package datasets_test

import (
	"testing"
	"time"

	"github.com/seismo-dev/seismo/datasets"
)

// BenchmarkRange21d measures what one monitor run asks of the demo: 21
// days of one-minute points for one series.
func BenchmarkRange21d(b *testing.B) {
	d := datasets.NewDemo(42, nil)
	ls := d.Series()[0]
	end := time.Date(2026, 3, 18, 10, 7, 0, 0, cst)
	b.ReportAllocs()
	for b.Loop() {
		if pts := d.Range(ls, end.Add(-21*24*time.Hour), end, time.Minute); len(pts) != 21*24*60+1 {
			b.Fatalf("%d points", len(pts))
		}
	}
}
