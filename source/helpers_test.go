package source

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/series"
)

// cmpSeries compares series with NaN equal to NaN and label sets by value.
var cmpSeries = []cmp.Option{
	cmp.Comparer(labels.Equal),
	cmpopts.EquateNaNs(),
	cmpopts.EquateEmpty(),
}

func diffSeries(t *testing.T, want, got []series.Series) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpSeries...); d != "" {
		t.Errorf("series mismatch (-want +got):\n%s", d)
	}
}

// pts builds points from alternating unix-second timestamps and values.
func pts(tv ...float64) []series.Point {
	out := make([]series.Point, 0, len(tv)/2)
	for i := 0; i+1 < len(tv); i += 2 {
		out = append(out, series.Point{T: time.Unix(int64(tv[i]), 0).UTC(), V: tv[i+1]})
	}
	return out
}

// logBuffer is a concurrency-safe log sink for asserting on log output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}
